//! Minimal BTF for a set of objects (BTFGen, as `bpftool gen min_core_btf`
//! does it): every CO-RE relocation of the objects is resolved against the
//! kernel's BTF with the engine's own decisions, and only what the chosen
//! target spec touches is kept:
//!
//! - field kinds: the root type, each member on the access path and that
//!   member's type (through typedefs and modifiers, not through pointers);
//! - `type_id_target`, `type_exists`, `type_size`: the root, through
//!   pointers (structs and unions without members);
//! - `type_matches`: members recursively, composites behind pointers without;
//! - enum kinds: the whole enum.
//!
//! The result holds the kept types in their original order, structs and
//! unions with their original size and only the kept members at their
//! original offsets; a reference to a dropped type becomes `void`.
//! Relocating against it decides exactly as against the full BTF.
//!
//! Unlike bpftool, the target may be a module's split BTF on its base: the
//! kept types of both go into one standalone BTF, which is what a loader's
//! custom-BTF option takes.

use std::collections::HashSet;

use corex_btf::write::{Body, BtfBuilder, TypeDef};
use corex_btf::{Btf, Kind, TypeId};

use crate::core::{match_candidate, parse_spec, CandidateMatch, RelocKind, Relocator, Target};
use crate::object::Object;

/// A relocation the minimizer cannot record, because the engine fails it
/// against the full BTF (bpftool refuses the whole input then too).
#[derive(Debug, thiserror::Error)]
#[error("relocation #{index} of section '{section}' ({kind} {local}): {why}")]
pub struct MinimizeError {
    /// The record's ELF section.
    pub section: String,
    /// Its position among the section's records.
    pub index: usize,
    /// libbpf's name of the kind.
    pub kind: &'static str,
    /// The local spec as libbpf prints it.
    pub local: String,
    /// Why it fails.
    pub why: String,
}

/// Deepest chain of references followed while marking (hostile BTF may
/// hold cycles through typedefs).
const MAX_MARK_DEPTH: usize = 64;

/// Collects the types and members a set of objects needs from one target.
pub struct Minimizer<'t> {
    target: &'t Target<'t>,
    types: Vec<bool>,
    members: HashSet<(TypeId, usize)>,
}

impl<'t> Minimizer<'t> {
    /// An empty selection from `target`'s BTF.
    pub fn new(target: &'t Target<'t>) -> Minimizer<'t> {
        Minimizer {
            target,
            types: vec![false; target.btf().type_count() as usize],
            members: HashSet::new(),
        }
    }

    /// Records what every CO-RE relocation of `obj` needs (all records, of
    /// every program, as bpftool does).
    pub fn add_object(&mut self, obj: &Object) -> Result<(), MinimizeError> {
        let Some(local) = obj.btf.as_ref() else {
            return Ok(());
        };
        let mut relocator = Relocator::new(self.target);
        for rec in &obj.core_relos {
            if RelocKind::from_u32(rec.relo.kind) == Some(RelocKind::TypeIdLocal) {
                continue;
            }
            let res = relocator.resolve(local, &rec.relo);
            let fail = |why: String| MinimizeError {
                section: rec.section.clone(),
                index: rec.index,
                kind: res.kind,
                local: res.local.clone(),
                why,
            };
            if let Err(e) = &res.result {
                return Err(fail(e.to_string()));
            }
            let Some(root) = res.target_id else {
                continue;
            };
            let Some(kind) = RelocKind::from_u32(rec.relo.kind) else {
                continue;
            };
            if kind.is_field_based() {
                let access = local.str_at(rec.relo.access_str_off);
                let spec = parse_spec(local, rec.relo.type_id, access, kind)
                    .map_err(|e| fail(e.to_string()))?;
                let targ = self.target.btf();
                match match_candidate(&spec, targ, root).map_err(fail)? {
                    CandidateMatch::Match(t) => self.mark_field(root, &t.raw),
                    CandidateMatch::NoMatch(m) => return Err(fail(m.to_string())),
                }
            } else if kind == RelocKind::TypeMatches {
                self.mark_match(root, false, 0);
            } else if kind.is_type_based() {
                self.mark(root, true, 0);
            } else {
                self.mark(root, false, 0);
            }
        }
        Ok(())
    }

    fn btf(&self) -> &'t Btf {
        self.target.btf()
    }

    fn set(&mut self, id: TypeId) {
        if let Some(m) = self.types.get_mut(id.0 as usize) {
            *m = true;
        }
    }

    /// bpftool's `btfgen_mark_type`: the type and what it needs, pointees
    /// only with `follow_pointers`, never the members of a composite.
    fn mark(&mut self, id: TypeId, follow_pointers: bool, depth: usize) {
        if id == TypeId::VOID || depth > MAX_MARK_DEPTH {
            return;
        }
        self.set(id);
        let t = self.btf().ty(id);
        match t.kind() {
            Kind::Ptr if !follow_pointers => {}
            Kind::Struct | Kind::Union => {}
            Kind::Array | Kind::FuncProto | Kind::Ptr => {
                for r in t.referenced_ids().collect::<Vec<_>>() {
                    self.mark(r, follow_pointers, depth + 1);
                }
            }
            _ => {
                if t.kind().has_type() {
                    self.mark(t.type_id(), follow_pointers, depth + 1);
                }
            }
        }
    }

    /// bpftool's `btfgen_record_field_relo`: the root, then along the
    /// target spec each member and its type (array elements were marked
    /// with the array).
    fn mark_field(&mut self, root: TypeId, raw: &[u32]) {
        let btf = self.btf();
        self.mark(root, false, 0);
        let mut id = root;
        for &idx in raw.iter().skip(1) {
            let t = btf.skip_mods_and_typedefs(id);
            if t.is_composite() {
                let Some(m) = t.member(idx as usize) else {
                    return;
                };
                self.members.insert((t.id(), idx as usize));
                self.mark(m.ty, false, 0);
                id = m.ty;
            } else if let Some(a) = t.array() {
                id = a.elem;
            } else {
                return;
            }
        }
    }

    /// bpftool's `btfgen_mark_type_match`: every member, recursively, but
    /// not the members of composites behind pointers.
    fn mark_match(&mut self, id: TypeId, behind_ptr: bool, depth: usize) {
        if id == TypeId::VOID || depth > MAX_MARK_DEPTH {
            return;
        }
        self.set(id);
        let t = self.btf().ty(id);
        match t.kind() {
            Kind::Struct | Kind::Union => {
                if behind_ptr {
                    return;
                }
                for (i, m) in t.members().enumerate() {
                    self.members.insert((id, i));
                    self.mark_match(m.ty, false, depth + 1);
                }
            }
            Kind::Ptr => self.mark_match(t.type_id(), true, depth + 1),
            Kind::Array | Kind::FuncProto => {
                for r in t.referenced_ids().collect::<Vec<_>>() {
                    self.mark_match(r, false, depth + 1);
                }
            }
            k if k.has_type() => self.mark_match(t.type_id(), behind_ptr, depth + 1),
            _ => {}
        }
    }

    /// Number of types kept so far.
    pub fn type_count(&self) -> usize {
        self.types.iter().filter(|&&m| m).count()
    }

    /// Writes the kept types as raw BTF in the target's byte order; fails
    /// if a kept type does not fit BTF (see `BtfBuilder::to_bytes`).
    pub fn finish(&self) -> corex_btf::Result<Vec<u8>> {
        let btf = self.btf();
        let mut new_id = vec![TypeId::VOID; self.types.len()];
        let kept = self.types.iter().enumerate().filter(|(_, &m)| m);
        for (next, (i, _)) in (1..).zip(kept) {
            new_id[i] = TypeId(next);
        }
        let remap = |id: &mut TypeId| {
            *id = new_id.get(id.0 as usize).copied().unwrap_or(TypeId::VOID);
        };
        let mut builder = BtfBuilder::new();
        for (i, _) in self.types.iter().enumerate().filter(|(_, &m)| m) {
            let id = TypeId(i as u32);
            let mut def: TypeDef = btf.ty(id).to_def();
            if let Body::Composite { members, .. } = &mut def.body {
                let mut index = 0;
                members.retain(|_| {
                    let keep = self.members.contains(&(id, index));
                    index += 1;
                    keep
                });
                def.kflag = members
                    .iter()
                    .any(|m| m.bitfield_size != 0 || m.bit_offset % 8 != 0);
            }
            for r in def.refs_mut() {
                remap(r);
            }
            builder.add(&def);
        }
        builder.to_bytes(btf.endian())
    }
}
