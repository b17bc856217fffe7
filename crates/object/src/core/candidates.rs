//! Target BTF and candidate search. The name index is built once per target;
//! candidate lists are cached per local root id and pruned to the candidates
//! that matched, as libbpf does.

use std::borrow::Cow;
use std::collections::HashMap;

use corex_btf::{essential_name, Btf, Kind, NameIndex, TypeId};

use super::compat::kinds_compat;
use crate::name_scan::{kind_bit, NameMatch, NameScan, ScanResult};
use crate::object::Object;

/// A target BTF (vmlinux, or a module's split BTF on its base) indexed by
/// essential name.
pub struct Target<'t> {
    btf: &'t Btf,
    names: Names<'t>,
}

/// The target's types by essential name: all of them, or those of the
/// names and kinds some objects look up (other lookups go to the index the
/// BTF builds on first use).
enum Names<'t> {
    All(NameIndex),
    /// An index of every named type kept beside the BTF.
    Shared(&'t NameIndex),
    /// Essential name -> (the kinds looked for, a bit per kind number; the
    /// types of that name and those kinds).
    Wanted(HashMap<String, (u32, Vec<TypeId>)>),
}

impl Names<'_> {
    fn get<'a>(&'a self, btf: &Btf, essential: &str, kind: Kind) -> Cow<'a, [TypeId]> {
        match self {
            Names::All(index) => Cow::Borrowed(index.get(btf, essential)),
            Names::Shared(index) => Cow::Borrowed(index.get(btf, essential)),
            Names::Wanted(map) => match map.get(essential) {
                Some((kinds, ids)) if kinds & kind_bit(kind) != 0 => Cow::Borrowed(ids),
                _ => Cow::Owned(named(btf, essential)),
            },
        }
    }
}

/// The types of `btf` (its base's first) whose essential name is
/// `essential`, from the indexes each BTF builds on first use.
fn named(btf: &Btf, essential: &str) -> Vec<TypeId> {
    let mut ids = btf.base().map_or_else(Vec::new, |b| named(b, essential));
    ids.extend_from_slice(btf.name_index().get(btf, essential));
    ids
}

/// The essential names of `obj`'s CO-RE local root types, each with the
/// kinds its candidates may have (a bit per kind number).
fn core_roots(obj: &Object) -> HashMap<&str, u32> {
    let mut roots: HashMap<&str, u32> = HashMap::new();
    let Some(local) = obj.btf.as_ref() else {
        return roots;
    };
    // ENUM and ENUM64 are candidates of each other (kinds_compat).
    let enums = kind_bit(Kind::Enum) | kind_bit(Kind::Enum64);
    // Each root type once: objects repeat a few roots in many records.
    let mut seen = vec![false; local.type_count() as usize];
    for r in &obj.core_relos {
        match seen.get_mut(r.relo.type_id.0 as usize) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        let t = local.ty(r.relo.type_id);
        let name = essential_name(t.name());
        if name.is_empty() {
            continue;
        }
        let mut kinds = kind_bit(t.kind());
        if kinds & enums != 0 {
            kinds |= enums;
        }
        *roots.entry(name).or_default() |= kinds;
    }
    roots
}

/// The CO-RE lookups of some objects, asked of a [`NameScan`] so that they
/// share its one pass over the target with other lookups.
pub(crate) struct CoreWants<'o> {
    /// (essential name, kinds, scan slot).
    slots: Vec<(&'o str, u32, usize)>,
}

impl<'o> CoreWants<'o> {
    /// Asks `scan` for the candidates of every CO-RE root of `objects`.
    pub(crate) fn ask(scan: &mut NameScan<'o>, objects: &[&'o Object]) -> CoreWants<'o> {
        let mut roots: HashMap<&'o str, u32> = HashMap::new();
        for obj in objects {
            for (name, kinds) in core_roots(obj) {
                *roots.entry(name).or_default() |= kinds;
            }
        }
        let slots = roots
            .into_iter()
            .map(|(name, kinds)| (name, kinds, scan.want(name, kinds, NameMatch::Essential)))
            .collect();
        CoreWants { slots }
    }

    /// The target the scan's result makes for these objects.
    pub(crate) fn target<'t>(&self, btf: &'t Btf, found: &mut ScanResult) -> Target<'t> {
        let names = self
            .slots
            .iter()
            .map(|&(name, kinds, slot)| {
                let ids = std::mem::take(&mut found.found[slot]);
                (name.to_owned(), (kinds, ids))
            })
            .collect();
        Target {
            btf,
            names: Names::Wanted(names),
        }
    }
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

    /// Indexes only the types `obj`'s CO-RE relocations look up (of the
    /// kinds and essential names of their local root types): one pass over
    /// `btf` that compares a name only when the kind fits and its first byte
    /// starts a wanted name, many times faster than [`Target::new`] on a
    /// kernel's BTF. Other names (another object's) are still found, through
    /// the index `btf` builds on first use ([`Btf::name_index`]).
    pub fn for_object(btf: &'t Btf, obj: &Object) -> Target<'t> {
        Target::for_objects(btf, &[obj])
    }

    /// [`Target::for_object`] for several objects: one pass over `btf` for
    /// the CO-RE roots of all of them.
    pub fn for_objects(btf: &'t Btf, objects: &[&Object]) -> Target<'t> {
        let mut scan = NameScan::default();
        let wants = CoreWants::ask(&mut scan, objects);
        wants.target(btf, &mut scan.run(btf))
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
        let ids = self.names.get(self.btf, essential, lt.kind());
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

    /// The candidates of `local_id` if they were searched already.
    pub(super) fn peek(&self, local_id: TypeId) -> Option<&[TypeId]> {
        self.lists.get(&local_id).map(Vec::as_slice)
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
