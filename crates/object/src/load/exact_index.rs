//! An index of one kind's own types of a BTF by exact name, for the loader's
//! exact lookups (the FUNC an fentry program attaches to, the TYPEDEF
//! `btf_trace_<tracepoint>`, the VAR of a ksym, the FUNC of a kfunc).
//!
//! Built in one pass that reads every type's kind but the name only of the
//! types of the indexed kind (a tp_btf lookup hashes vmlinux's 3,000
//! typedef names, not its 70,000 names), with no UTF-8 check and no
//! flavor split (an exact name is compared whole). Entries are one `u64`
//! each, a 32-bit hash of the name above the type id, sorted: the types
//! called X are one run, in id order. The hash is keyed per index
//! (SipHash with the process's random keys), so a hostile BTF cannot
//! forge names that share a hash: a run holds one name but by chance,
//! and a lookup compares names only within it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use corex_btf::{Btf, Kind, TypeId};

use crate::name_scan::raw_string;

/// One kind's own named types of a BTF, by exact name.
pub(crate) struct ExactIndex {
    /// `hash << 32 | id`, ascending.
    entries: Vec<u64>,
    hasher: RandomState,
}

impl ExactIndex {
    /// Indexes the types of `kind` among `btf`'s own types (a split BTF's,
    /// not its base's).
    pub fn build(btf: &Btf, kind: Kind) -> ExactIndex {
        let hasher = RandomState::new();
        let mut entries: Vec<u64> = btf
            .own_ids()
            .filter_map(|id| {
                let t = btf.ty(id);
                if t.kind() != kind || t.name_off() == 0 {
                    return None;
                }
                let name = name_bytes(btf, t.name_off());
                (!name.is_empty()).then(|| key(hash(&hasher, name), id))
            })
            .collect();
        entries.sort_unstable();
        ExactIndex { entries, hasher }
    }

    /// The first type (in id order) of this index's kind called exactly
    /// `name`; `btf` must be the BTF it was built from.
    pub fn find(&self, btf: &Btf, name: &[u8]) -> Option<TypeId> {
        let h = u64::from(hash(&self.hasher, name));
        let start = self.entries.partition_point(|&e| e >> 32 < h);
        self.entries[start..]
            .iter()
            .take_while(|&&e| e >> 32 == h)
            .map(|&e| TypeId(e as u32))
            .find(|&id| name_bytes(btf, btf.ty(id).name_off()) == name)
    }

    /// Number of types indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

fn key(hash: u32, id: TypeId) -> u64 {
    u64::from(hash) << 32 | u64::from(id.0)
}

fn hash(hasher: &RandomState, name: &[u8]) -> u32 {
    (hasher.hash_one(name) >> 32) as u32
}

/// The name at `offset` as bytes, without its terminating NUL (up to the
/// table's end if it has none).
fn name_bytes(btf: &Btf, offset: u32) -> &[u8] {
    let rest = raw_string(btf, offset);
    &rest[..memchr::memchr(0, rest).unwrap_or(rest.len())]
}

#[cfg(test)]
mod tests {
    use corex_btf::write::{BtfBuilder, TypeDef};
    use corex_btf::{Kind, INT_SIGNED};

    use super::ExactIndex;

    #[test]
    fn finds_the_first_of_a_kind_by_its_whole_name() {
        let mut b = BtfBuilder::new();
        let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
        let first = b.add(&TypeDef::typedef("btf_trace_x", int));
        let second = b.add(&TypeDef::typedef("btf_trace_x", int));
        let longer = b.add(&TypeDef::typedef("btf_trace_xy", int));
        b.add(&TypeDef::typedef("", int));
        let btf = b.to_btf().unwrap();
        let index = ExactIndex::build(&btf, Kind::Typedef);
        assert_eq!(index.len(), 3);
        assert_ne!(first, second);
        assert_eq!(index.find(&btf, b"btf_trace_x"), Some(first));
        assert_eq!(index.find(&btf, b"btf_trace_xy"), Some(longer));
        assert_eq!(index.find(&btf, b"btf_trace_"), None);
        assert_eq!(index.find(&btf, b"int"), None);
        assert_eq!(index.find(&btf, b""), None);
    }

    #[test]
    fn names_sharing_a_hash_are_told_apart() {
        let mut b = BtfBuilder::new();
        let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
        let names = ["a", "b", "a", "c"];
        let ids: Vec<_> = names
            .iter()
            .map(|n| b.add(&TypeDef::typedef(*n, int)))
            .collect();
        let btf = b.to_btf().unwrap();
        let mut index = ExactIndex::build(&btf, Kind::Typedef);
        // All four entries under the hash of the name looked up: one run,
        // in id order, which the lookup reads comparing names.
        for (name, expected) in [("a", ids[0]), ("b", ids[1]), ("c", ids[3])] {
            let h = u64::from(super::hash(&index.hasher, name.as_bytes()));
            for e in &mut index.entries {
                *e = h << 32 | (*e & u64::from(u32::MAX));
            }
            index.entries.sort_unstable();
            assert_eq!(index.find(&btf, name.as_bytes()), Some(expected), "{name}");
        }
    }
}
