//! One module per subcommand.

pub mod archive;
pub mod btf;
pub mod check;
pub mod inspect;
pub mod minimize;
pub mod reloc;
