//! One module per subcommand.

pub mod btf;
pub mod inspect;
pub mod probe;
pub mod reloc;
