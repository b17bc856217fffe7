//! Essential names (without a `___flavor` suffix) and an index by them.

use std::hash::BuildHasher;

use rustc_hash::{FxBuildHasher, FxHashSet};

use crate::btf::{Btf, TypeId};
use crate::kind::Kind;

/// The name without its CO-RE flavor suffix: `task_struct___old` gives
/// `task_struct`. The suffix starts at the last `___` that has a character
/// other than `_` on both sides, as libbpf decides.
pub fn essential_name(name: &str) -> &str {
    // The cut is before an ASCII `_`, so on a character boundary.
    &name[..essential_bytes(name.as_bytes()).len()]
}

/// [`essential_name`] on bytes.
fn essential_bytes(b: &[u8]) -> &[u8] {
    // Most names have no `___` at all: a vectorized search says so quickly.
    let Some(first) = memchr::memmem::find(b, b"___") else {
        return b;
    };
    if b.len() < 5 {
        return b;
    }
    for i in (first.saturating_sub(1)..=b.len() - 5).rev() {
        if b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
            return &b[..=i];
        }
    }
    b
}

/// Named types of a BTF grouped by essential name, each group in id order.
/// Built once per BTF, it answers "which types are called X" (CO-RE
/// candidates) and "the FUNC called X" ([`NameIndex::find`]) without a scan.
///
/// It holds only hashes and type ids, no borrow of the BTF, so it can live
/// beside the BTF it indexes (say, with an `Arc<Btf>` in one struct);
/// lookups take that BTF again. A BTF parsed once indexes its own types on
/// first use ([`Btf::find_by_name_kind`], [`Btf::name_index`]).
///
/// Entries are sorted by the hash of their essential name, then by the name
/// itself, then by id: names that share a hash (by chance, or forged by a
/// hostile BTF) stay apart and are found by binary search, so neither
/// building nor looking up can turn quadratic.
#[derive(Clone, Debug)]
pub struct NameIndex {
    /// Hash of each entry's essential name, ascending.
    hashes: Vec<u64>,
    /// The entries' type ids, parallel to `hashes`.
    ids: Vec<TypeId>,
    /// The hash function (tests give one that always collides).
    hash: fn(&[u8]) -> u64,
}

fn hash(essential: &[u8]) -> u64 {
    FxBuildHasher.hash_one(essential)
}

impl NameIndex {
    /// Indexes every named type of `btf`, its base's included.
    pub fn new(btf: &Btf) -> NameIndex {
        NameIndex::build(btf, btf.all_ids(), |_| true, hash)
    }

    /// Indexes the named types `btf` itself holds (not a split BTF's base):
    /// for a module, look in its base's index first.
    pub fn own(btf: &Btf) -> NameIndex {
        NameIndex::build(btf, btf.own_ids(), |_| true, hash)
    }

    /// Indexes only the types whose essential name is one of `wanted` (say,
    /// the local root types of an object's CO-RE relocations), its base's
    /// included: one pass over the types with a small lookup set, several
    /// times faster than [`new`] for a kernel's BTF. Lookups of other names
    /// find nothing.
    ///
    /// [`new`]: NameIndex::new
    pub fn with_names<'w>(btf: &Btf, wanted: impl IntoIterator<Item = &'w str>) -> NameIndex {
        let wanted: FxHashSet<&str> = wanted.into_iter().map(essential_name).collect();
        NameIndex::build(
            btf,
            btf.all_ids(),
            |essential| wanted.contains(essential),
            hash,
        )
    }

    fn build(
        btf: &Btf,
        ids: impl Iterator<Item = TypeId>,
        wanted: impl Fn(&str) -> bool,
        hash: fn(&[u8]) -> u64,
    ) -> NameIndex {
        let essential = |id: TypeId| essential_bytes(btf.name_bytes(btf.ty(id).name_off()));
        let mut entries: Vec<(u64, TypeId)> = ids
            .filter_map(|id| {
                let name = essential(id);
                let wanted = !name.is_empty() && std::str::from_utf8(name).is_ok_and(&wanted);
                wanted.then(|| (hash(name), id))
            })
            .collect();
        entries.sort_unstable();
        // Within a run of one hash, order by name (then id) if the run holds
        // more than one name; almost always it holds one, already in id order.
        let mut start = 0;
        while start < entries.len() {
            let h = entries[start].0;
            let end = start + entries[start..].partition_point(|e| e.0 == h);
            let run = &mut entries[start..end];
            if run.len() > 1 && run.iter().any(|e| essential(e.1) != essential(run[0].1)) {
                run.sort_unstable_by(|a, b| essential(a.1).cmp(essential(b.1)).then(a.cmp(b)));
            }
            start = end;
        }
        NameIndex {
            hashes: entries.iter().map(|e| e.0).collect(),
            ids: entries.into_iter().map(|e| e.1).collect(),
            hash,
        }
    }

    /// Ids of the types whose essential name is `essential`, in id order.
    /// `btf` must be the BTF this index was built from.
    pub fn get(&self, btf: &Btf, essential: &str) -> &[TypeId] {
        let essential = essential.as_bytes();
        let h = (self.hash)(essential);
        let lo = self.hashes.partition_point(|&x| x < h);
        let hi = lo + self.hashes[lo..].partition_point(|&x| x == h);
        let run = &self.ids[lo..hi];
        let name = |id: &TypeId| essential_bytes(btf.name_bytes(btf.ty(*id).name_off()));
        let first = run.partition_point(|id| name(id) < essential);
        let len = run[first..].partition_point(|id| name(id) == essential);
        &run[first..first + len]
    }

    /// The first type (in id order) called exactly `name` of kind `kind`,
    /// e.g. the FUNC an fentry program attaches to, the TYPEDEF
    /// `btf_trace_<tracepoint>`, the VAR of a ksym. `btf` must be the BTF
    /// this index was built from.
    pub fn find(&self, btf: &Btf, name: &str, kind: Kind) -> Option<TypeId> {
        self.get(btf, essential_name(name))
            .iter()
            .copied()
            .find(|&id| {
                let t = btf.ty(id);
                t.kind() == kind && t.name() == name
            })
    }

    /// Number of types indexed.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no type is indexed.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::{essential_name, NameIndex};
    use crate::write::{BtfBuilder, TypeDef};
    use crate::{Kind, TypeId};

    /// Names that all share one hash (as a hostile BTF could forge for a
    /// weak hash) are still told apart, each group in id order.
    #[test]
    fn names_sharing_a_hash_stay_apart() {
        let mut b = BtfBuilder::new();
        let int = b.add(&TypeDef::int("int", 4, 0));
        for i in (0..300).rev() {
            b.add(&TypeDef::typedef(format!("t{i}"), int));
            b.add(&TypeDef::structure(format!("t{i}___v2"), 0, vec![]));
        }
        let btf = b.to_btf().unwrap();
        let index = NameIndex::build(&btf, btf.all_ids(), |_| true, |_| 7);
        for i in 0..300u32 {
            let name = format!("t{i}");
            let (typedef, flavor) = (TypeId(2 + 2 * (299 - i)), TypeId(3 + 2 * (299 - i)));
            assert_eq!(index.get(&btf, &name), [typedef, flavor], "{name}");
            assert_eq!(index.find(&btf, &name, Kind::Typedef), Some(typedef));
            assert_eq!(
                index.find(&btf, &format!("{name}___v2"), Kind::Struct),
                Some(flavor)
            );
            assert_eq!(index.find(&btf, &name, Kind::Struct), None);
        }
        assert_eq!(index.get(&btf, "int"), [int]);
        assert!(index.get(&btf, "t300").is_empty());
    }

    #[test]
    fn strips_the_last_flavor() {
        assert_eq!(essential_name("task_struct___old"), "task_struct");
        assert_eq!(essential_name("a___b___c"), "a___b");
        assert_eq!(essential_name("task_struct"), "task_struct");
        assert_eq!(essential_name("x____y"), "x____y");
        assert_eq!(essential_name("__x___y"), "__x");
        assert_eq!(essential_name("x___"), "x___");
        assert_eq!(essential_name("___y"), "___y");
    }
}
