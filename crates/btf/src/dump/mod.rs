//! Text dumps of BTF, each matching one of bpftool's formats.
//!
//! - [`raw`]: `bpftool btf dump file F` (one `[ID] KIND 'name' ...` entry a type).
//! - [`json`]: `bpftool -j btf dump file F`.
//! - [`c`]: `bpftool btf dump file F format c` (vmlinux.h).

pub mod c;
pub mod json;
pub mod raw;

use regex::Regex;

use crate::btf::TypeId;
use crate::kind::{Kind, Linkage};
use crate::types::{IntInfo, Type};
use crate::INT_BOOL;
use crate::INT_CHAR;
use crate::INT_SIGNED;

/// Which types a raw or JSON dump includes. The default includes all.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this type id.
    pub id: Option<TypeId>,
    /// Only types whose name matches (anonymous types have the name `""`).
    pub name: Option<Regex>,
    /// Only types of this kind.
    pub kind: Option<Kind>,
}

impl Filter {
    /// Whether `t` passes every condition set.
    pub fn matches(&self, t: &Type<'_>) -> bool {
        self.id.is_none_or(|id| id == t.id())
            && self.kind.is_none_or(|k| k == t.kind())
            && self.name.as_ref().is_none_or(|re| re.is_match(t.name()))
    }
}

/// The name bpftool prints: the name, or `(anon)`.
pub(crate) fn display_name(name: &str) -> &str {
    if name.is_empty() {
        "(anon)"
    } else {
        name
    }
}

/// bpftool's word for an INT's encoding.
pub(crate) fn int_encoding_name(info: IntInfo) -> &'static str {
    match info.encoding {
        0 => "(none)",
        INT_SIGNED => "SIGNED",
        INT_CHAR => "CHAR",
        INT_BOOL => "BOOL",
        _ => "UNKN",
    }
}

/// bpftool's word for a FUNC's or VAR's linkage.
pub(crate) fn linkage_name(t: &Type<'_>) -> &'static str {
    t.linkage().map_or("(unknown)", Linkage::name)
}
