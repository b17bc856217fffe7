//! One module per subcommand.

pub mod archive;
pub mod btf;
pub mod check;
pub mod execsnoop;
pub mod inspect;
pub mod load;
pub mod minimize;
pub mod probe;
pub mod reloc;
pub mod run;
