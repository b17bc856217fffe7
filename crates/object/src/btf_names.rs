//! The object's BTF types by exact name and kind, indexed once per object,
//! so that resolving externs, maps and data sections (and
//! [`Object::has_btf_type`]) looks names up instead of scanning every type,
//! however many types share a name.
//!
//! [`Object::has_btf_type`]: crate::Object::has_btf_type

use corex_btf::{Btf, Kind, TypeId};

use crate::work::tick;

/// The named types of one BTF, ordered by name, kind and id.
#[derive(Debug, Default)]
pub(crate) struct BtfNames {
    sorted: Vec<TypeId>,
}

/// `⌈log2(n + 1)⌉`: the probes of a binary search over `n` items.
pub(crate) fn log2(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

impl BtfNames {
    /// Indexes every named type of `btf` (nothing without BTF).
    pub fn new(btf: Option<&Btf>) -> BtfNames {
        let Some(btf) = btf else {
            return BtfNames::default();
        };
        let mut named: Vec<(&str, Kind, TypeId)> = btf
            .types()
            .filter(|t| !t.name().is_empty())
            .map(|t| (t.name(), t.kind(), t.id()))
            .collect();
        named.sort_unstable_by(|a, b| (a.0, a.1 as u8, a.2).cmp(&(b.0, b.1 as u8, b.2)));
        tick(btf.type_count() as usize + named.len() * log2(named.len()));
        BtfNames {
            sorted: named.into_iter().map(|(_, _, id)| id).collect(),
        }
    }

    /// The first type (lowest id) of kind `kind` called `name` in `btf`, the
    /// BTF this index was made from.
    pub fn first(&self, btf: &Btf, kind: Kind, name: &str) -> Option<TypeId> {
        tick(log2(self.sorted.len()));
        let key = (name, kind as u8);
        let at = self.sorted.partition_point(|&id| {
            let t = btf.ty(id);
            (t.name(), t.kind() as u8) < key
        });
        let id = *self.sorted.get(at)?;
        let t = btf.ty(id);
        (t.name() == name && t.kind() == kind).then_some(id)
    }
}
