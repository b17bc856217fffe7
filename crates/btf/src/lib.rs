//! BTF, the BPF Type Format: a zero-copy parser for every form it comes in
//! (raw, ELF `.BTF` with `.BTF.ext`, split module BTF, BTFHub archives),
//! lookups by name and kind, an editable builder that writes BTF
//! ([`write::BtfBuilder`]), and dumpers whose output matches bpftool's byte
//! for byte.
//!
//! ```no_run
//! use corex_btf::{Btf, Kind};
//!
//! let data = std::fs::read("/sys/kernel/btf/vmlinux").unwrap();
//! let btf = Btf::parse(&data).unwrap();
//! let task = btf.find_by_name_kind("task_struct", Kind::Struct).unwrap();
//! println!("task_struct has {} members", btf.ty(task).vlen());
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
