//! BPF ELF objects and the CO-RE relocation engine. Pure: no syscalls, no kernel.
//!
//! [`Object::parse`] reads what clang writes: programs (several per section,
//! `.text` subprograms), maps, global data, externs, instruction relocations,
//! `.BTF` and `.BTF.ext`. The [`core`] module computes and applies CO-RE
//! relocations with libbpf 1.1's decisions.

#![warn(missing_docs)]

mod attach;
mod btf_names;
pub mod check;
pub mod core;
mod data;
mod elf;
mod error;
pub mod insn;
pub mod load;
mod maps;
pub mod minimize;
mod name_scan;
mod object;
mod program;
mod reloc;
#[cfg(test)]
mod scale_tests;
mod work;

pub use crate::attach::{attach_point, AttachKind, AttachPoint};
pub use crate::data::{DataKind, DataSection, Extern, ExternKind, Variable};
pub use crate::error::{Error, ForeignElf, NotElf, Result};
pub use crate::insn::Insn;
pub use crate::maps::{Map, MapDef, MapOrigin};
pub use crate::object::{CoreRecord, Object};
pub use crate::program::{Call, Program};
pub use crate::reloc::{InsnReloc, RelocTarget};
#[cfg(feature = "work-counter")]
pub use crate::work::take_steps;
