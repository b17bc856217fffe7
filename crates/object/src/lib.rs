//! BPF ELF objects and the CO-RE relocation engine. Pure: no syscalls, no kernel.
//!
//! [`Object::parse`] reads what clang writes: programs (several per section,
//! `.text` subprograms), maps, global data, externs, instruction relocations,
//! `.BTF` and `.BTF.ext`. The [`core`] module computes and applies CO-RE
//! relocations with libbpf 1.1's decisions.

#![warn(missing_docs)]

mod attach;
pub mod check;
pub mod core;
mod data;
mod elf;
mod error;
pub mod insn;
pub mod load;
mod maps;
pub mod minimize;
mod object;
mod program;
mod reloc;

pub use crate::attach::{attach_point, AttachKind, AttachPoint};
pub use crate::data::{DataKind, DataSection, Extern, ExternKind, Variable};
pub use crate::error::{Error, Result};
pub use crate::insn::Insn;
pub use crate::maps::{Map, MapDef, MapOrigin};
pub use crate::object::{CoreRecord, Object};
pub use crate::program::{Call, Program};
pub use crate::reloc::{InsnReloc, RelocTarget};
