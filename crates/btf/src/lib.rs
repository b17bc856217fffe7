//! BTF, the BPF Type Format: a zero-copy parser for every form it comes in
//! (raw, ELF `.BTF` with `.BTF.ext`, split module BTF, BTFHub archives), a
//! writer, and dumpers whose output matches bpftool's byte for byte.
//!
//! ```no_run
//! let data = std::fs::read("/sys/kernel/btf/vmlinux").unwrap();
//! let btf = corex_btf::Btf::parse(&data).unwrap();
//! let task = btf.types().find(|t| t.name() == "task_struct").unwrap();
//! println!("task_struct has {} members", task.vlen());
//! ```

mod archive;
mod btf;
pub mod dump;
mod error;
mod ext;
mod input;
mod kind;
mod names;
mod printable;
mod types;
mod validate;
pub mod write;

pub use crate::archive::MAX_DECOMPRESSED;
pub use crate::btf::{
    parse_header, Btf, Endian, Header, TypeId, BTF_MAGIC, HEADER_LEN, MAX_RESOLVE_DEPTH,
};
pub use crate::error::{Error, Result};
pub use crate::ext::{BtfExt, CoreRelo, ExtSection, FuncInfo, LineInfo};
pub use crate::input::{elf_btf_sections, load, load_vec, Container, LoadedBtf};
pub use crate::kind::{Kind, Linkage, INT_BOOL, INT_CHAR, INT_SIGNED};
pub use crate::names::{essential_name, NameIndex};
pub use crate::printable::{printable, Printable};
pub use crate::types::{ArrayInfo, EnumValue, IntInfo, Member, Param, Type, VarSecInfo};
