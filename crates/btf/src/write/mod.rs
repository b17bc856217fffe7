//! Writing BTF: [`TypeDef`], the owned, editable form of a type, and
//! [`BtfBuilder`], the one editable type table, which builds BTF from
//! scratch, edits parsed BTF in place, keeps a subset of it, and writes raw
//! BTF in either byte order.
//!
//! ```
//! use corex_btf::write::{BtfBuilder, MemberDef, TypeDef};
//! use corex_btf::{Endian, Kind, INT_SIGNED};
//!
//! let mut b = BtfBuilder::new();
//! let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
//! let pair = b.add(&TypeDef::structure(
//!     "pair",
//!     8,
//!     vec![MemberDef::new("a", int, 0), MemberDef::new("b", int, 32)],
//! ));
//! let btf = b.to_btf().unwrap();
//! assert_eq!(btf.find_by_name_kind("pair", Kind::Struct), Some(pair));
//!
//! // Edit it: the struct becomes a union of the same name, same id.
//! let mut edit = BtfBuilder::from_btf(&btf);
//! let def = edit.get_mut(pair).unwrap();
//! *def = TypeDef::union(def.name.clone(), 4, vec![MemberDef::new("a", int, 0)]);
//! let bytes = edit.to_bytes(Endian::Big).unwrap();
//! assert_eq!(corex_btf::Btf::parse(&bytes).unwrap().ty(pair).kind(), Kind::Union);
//! ```

mod builder;
mod def;
mod encode;

pub use builder::{BtfBuilder, IdMap};
pub use def::{Body, MemberDef, TypeDef};

use crate::btf::{Btf, Endian};
use crate::error::Result;

/// Serializes `btf` (ids and string offsets preserved) in the given byte
/// order. Split BTF is written standalone, its base's types first, so ids
/// stay the same.
pub fn write(btf: &Btf, endian: Endian) -> Result<Vec<u8>> {
    BtfBuilder::from_btf(btf).to_bytes(endian)
}
