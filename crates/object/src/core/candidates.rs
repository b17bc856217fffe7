//! Target BTF and candidate search. The name index is built once per target;
//! candidate lists are cached per local root id and pruned to the candidates
//! that matched, as libbpf does.

use std::collections::{HashMap, HashSet};

use corex_btf::{essential_name, Btf, Kind, NameIndex, TypeId};

use super::compat::kinds_compat;
use crate::object::Object;

/// A target BTF (vmlinux, or a module's split BTF on its base) indexed by
/// essential name.
pub struct Target<'t> {
    btf: &'t Btf,
    names: Names<'t>,
}

/// The target's types by essential name: all of them, or only those an
/// object looks up.
enum Names<'t> {
    All(NameIndex),
    Shared(&'t NameIndex),
    Wanted(HashMap<&'t str, Vec<TypeId>>),
}

impl Names<'_> {
    fn get(&self, btf: &Btf, essential: &str) -> &[TypeId] {
        match self {
            Names::All(index) => index.get(btf, essential),
            Names::Shared(index) => index.get(btf, essential),
            Names::Wanted(map) => map.get(essential).map_or(&[], Vec::as_slice),
        }
    }
}

/// The string-table bytes of `btf` (or its base) from `offset` on.
pub(crate) fn raw_string(btf: &Btf, offset: u32) -> &[u8] {
    match btf.base() {
        Some(base) if offset < base.strings_len() => raw_string(base, offset),
        base => {
            let own = offset - base.map_or(0, |b| b.strings_len());
            btf.own_string_bytes().get(own as usize..).unwrap_or(&[])
        }
    }
}

/// The types of `btf` of a kind in `kinds` (a bit per kind number) whose
/// essential name is in `wanted`. A type's name is read only if its kind
/// fits and its first byte starts a wanted name: a kernel's 100,000 names
/// are mostly passed over without reading them.
fn index_wanted<'t>(
    btf: &'t Btf,
    wanted: HashSet<&str>,
    kinds: u32,
) -> HashMap<&'t str, Vec<TypeId>> {
    let mut first = [false; 256];
    for name in &wanted {
        if let Some(&b) = name.as_bytes().first() {
            first[usize::from(b)] = true;
        }
    }
    let mut by_name: HashMap<&'t str, Vec<TypeId>> = HashMap::new();
    for id in btf.all_ids() {
        let t = btf.ty(id);
        let off = t.name_off();
        if off == 0
            || kinds & (1 << (t.kind() as u32)) == 0
            || !raw_string(btf, off)
                .first()
                .is_some_and(|&b| first[usize::from(b)])
        {
            continue;
        }
        let essential = essential_name(t.name());
        if wanted.contains(essential) {
            by_name.entry(essential).or_default().push(id);
        }
    }
    by_name
}

impl<'t> Target<'t> {
    /// Indexes `btf` once. For split BTF, the base is searched first and the
    /// module's own types only when the base has no candidate.
    pub fn new(btf: &'t Btf) -> Target<'t> {
        Target {
            btf,
            names: Names::All(NameIndex::new(btf)),
        }
    }

    /// A target that searches `index`, an index of every named type of
    /// `btf` (its base's included; [`NameIndex::new`], or
    /// [`NameIndex::own`] for a BTF without base) kept beside it, so that
    /// many objects relocated against one kernel share one index.
    pub fn with_index(btf: &'t Btf, index: &'t NameIndex) -> Target<'t> {
        Target {
            btf,
            names: Names::Shared(index),
        }
    }

    /// Indexes only the types `obj`'s CO-RE relocations can look up (of
    /// the kinds and essential names of their local root types): one pass
    /// over `btf` that reads a name only when the kind fits and the first
    /// byte starts a wanted name, many times faster than [`Target::new`] on
    /// a kernel's BTF. Use [`Target::new`] to relocate several objects
    /// against one target.
    pub fn for_object(btf: &'t Btf, obj: &Object) -> Target<'t> {
        let mut wanted = HashSet::new();
        let mut kinds = 0u32;
        if let Some(local) = obj.btf.as_ref() {
            for r in &obj.core_relos {
                let t = local.ty(r.relo.type_id);
                let name = essential_name(t.name());
                if name.is_empty() {
                    continue;
                }
                wanted.insert(name);
                kinds |= 1 << (t.kind() as u32);
            }
        }
        // ENUM and ENUM64 are candidates of each other (kinds_compat).
        let enums = (1 << (Kind::Enum as u32)) | (1 << (Kind::Enum64 as u32));
        if kinds & enums != 0 {
            kinds |= enums;
        }
        Target {
            btf,
            names: Names::Wanted(index_wanted(btf, wanted, kinds)),
        }
    }

    /// The target BTF.
    pub fn btf(&self) -> &'t Btf {
        self.btf
    }

    /// Types of the target with the local type's essential name and a
    /// compatible kind (same kind, or ENUM against ENUM64), in id order.
    /// An empty list for an anonymous local type.
    pub fn find_candidates(&self, local: &Btf, local_id: TypeId) -> Vec<TypeId> {
        let lt = local.ty(local_id);
        let essential = essential_name(lt.name());
        if essential.is_empty() {
            return Vec::new();
        }
        let ids = self.names.get(self.btf, essential);
        let fits = |id: &&TypeId| kinds_compat(self.btf.ty(**id).kind(), lt.kind());
        if self.btf.base().is_some() {
            let first_own = self.btf.first_id();
            let in_base: Vec<TypeId> = ids
                .iter()
                .filter(|id| id.0 < first_own)
                .filter(fits)
                .copied()
                .collect();
            if !in_base.is_empty() {
                return in_base;
            }
            return ids
                .iter()
                .filter(|id| id.0 >= first_own)
                .filter(fits)
                .copied()
                .collect();
        }
        ids.iter().filter(fits).copied().collect()
    }
}

/// Candidate lists per local root type id, shared by all relocations of one
/// object against one target, pruned as relocations match.
#[derive(Debug, Default)]
pub struct CandidateCache {
    lists: HashMap<TypeId, Vec<TypeId>>,
}

impl CandidateCache {
    /// An empty cache.
    pub fn new() -> CandidateCache {
        CandidateCache::default()
    }

    /// The (possibly pruned) candidates of `local_id`, searched on first use.
    pub fn get(&mut self, target: &Target<'_>, local: &Btf, local_id: TypeId) -> &[TypeId] {
        self.lists
            .entry(local_id)
            .or_insert_with(|| target.find_candidates(local, local_id))
    }

    /// Keeps only `matched` for `local_id` (nothing changes when it is empty).
    pub fn prune(&mut self, local_id: TypeId, matched: Vec<TypeId>) {
        if !matched.is_empty() {
            self.lists.insert(local_id, matched);
        }
    }

    /// Takes the candidates of `local_id` out (searched on first use), to
    /// [`put`](CandidateCache::put) back, without copying them.
    pub(super) fn take(
        &mut self,
        target: &Target<'_>,
        local: &Btf,
        local_id: TypeId,
    ) -> Vec<TypeId> {
        self.lists
            .remove(&local_id)
            .unwrap_or_else(|| target.find_candidates(local, local_id))
    }

    /// Puts the candidates of `local_id` (back) in.
    pub(super) fn put(&mut self, local_id: TypeId, candidates: Vec<TypeId>) {
        self.lists.insert(local_id, candidates);
    }
}
