//! Finding a local field (a named member) in a target type, through
//! anonymous members at any depth, as libbpf's `bpf_core_match_member`
//! does, with two differences that change only the work, never the result:
//!
//! - each target composite is indexed once per [`Relocator`](super::Relocator)
//!   (the first member of each name, the anonymous members), so that a
//!   struct of hundreds of members is not scanned again by every relocation;
//! - a search that did not find the field is remembered with what it did to
//!   the target spec (see [`Miss`]), so that a composite reached again
//!   through another path of anonymous members is not searched again.

use std::collections::HashMap;
use std::rc::Rc;

use corex_btf::{Btf, Type, TypeId};

use super::compat::fields_are_compat;
use super::format::kind_str;
use super::spec::{Accessor, Spec, MAX_SPEC_LEN};
use super::work::{Matcher, Stop};

/// What a search for the field found.
#[derive(Clone, Copy)]
pub(crate) enum Member {
    Found,
    NotFound,
    /// A same-named field of an incompatible type (local kind, target kind).
    Incompatible(&'static str, &'static str),
}

/// One member of a target composite: index, type, bit offset.
#[derive(Clone, Copy)]
struct Slot {
    index: u32,
    ty: TypeId,
    bit_offset: u32,
}

/// The members of one target composite, as a search needs them.
struct Composite<'t> {
    /// The first member of each name.
    named: HashMap<&'t str, Slot>,
    /// The anonymous members, in order.
    anonymous: Vec<Slot>,
    /// Number of members.
    vlen: usize,
}

/// Target composites, indexed on first use.
#[derive(Default)]
pub(crate) struct MemberIndex<'t> {
    composites: HashMap<TypeId, Rc<Composite<'t>>>,
}

impl<'t> MemberIndex<'t> {
    /// The index of composite `t` (one step per member the first time).
    fn get(&mut self, m: &mut Matcher, t: Type<'t>) -> Result<Rc<Composite<'t>>, Stop> {
        if let Some(c) = self.composites.get(&t.id()) {
            return Ok(Rc::clone(c));
        }
        let mut c = Composite {
            named: HashMap::new(),
            anonymous: Vec::new(),
            vlen: t.vlen(),
        };
        for (i, mem) in t.members().enumerate() {
            m.step()?;
            let slot = Slot {
                index: i as u32,
                ty: mem.ty,
                bit_offset: mem.bit_offset,
            };
            if mem.name.is_empty() {
                c.anonymous.push(slot);
            } else {
                c.named.entry(mem.name).or_insert(slot);
            }
        }
        let c = Rc::new(c);
        self.composites.insert(t.id(), Rc::clone(&c));
        Ok(c)
    }
}

/// What searching a composite for the field did to the target spec when it
/// did not find it: libbpf leaves traces of same-named incompatible fields
/// met in anonymous members (see [`MemberSearch::scan`]). Remembered, so
/// that a composite reached again, through another path of anonymous
/// members, is not searched again.
struct Miss {
    /// Raw spec entries left behind.
    raw: Vec<u32>,
    /// Bits added to the spec's offset.
    bit_delta: u32,
    /// The last target field type recorded, if the search recorded one.
    next: Option<TypeId>,
    outcome: Member,
}

/// The search of one local field in a target type.
struct MemberSearch<'s, 'l, 't> {
    m: &'s mut Matcher,
    index: &'s mut MemberIndex<'t>,
    local: &'l Btf,
    /// The local field: its name and type.
    local_name: &'l str,
    local_ty: TypeId,
    targ: &'t Btf,
    spec: &'s mut Spec<'t>,
    /// The type of the target field last found by name.
    next: &'s mut TypeId,
    /// Misses by (composite, raw spec length when the search entered it).
    misses: HashMap<(TypeId, usize), Miss>,
}

fn too_deep() -> Stop {
    Stop::Limit(format!(
        "struct/union/array nesting deeper than {MAX_SPEC_LEN} levels"
    ))
}

impl<'t> MemberSearch<'_, '_, 't> {
    /// Searches `targ_id` (after modifiers and typedefs) for the field;
    /// also says which target field type it recorded last, if any.
    fn search(&mut self, targ_id: TypeId) -> Result<(Member, Option<TypeId>), Stop> {
        self.m.step()?;
        let tt = self.targ.skip_mods_and_typedefs(targ_id);
        if !tt.is_composite() {
            return Ok((Member::NotFound, None));
        }
        let key = (tt.id(), self.spec.raw.len());
        if let Some(miss) = self.misses.get(&key) {
            self.spec.raw.extend_from_slice(&miss.raw);
            self.spec.bit_offset = self.spec.bit_offset.wrapping_add(miss.bit_delta);
            if let Some(next) = miss.next {
                *self.next = next;
            }
            return Ok((miss.outcome, miss.next));
        }
        let (raw_len, bit_offset) = (self.spec.raw.len(), self.spec.bit_offset);
        let mut next = None;
        let outcome = self.scan(tt, &mut next)?;
        if !matches!(outcome, Member::Found) {
            let miss = Miss {
                raw: self.spec.raw[raw_len..].to_vec(),
                bit_delta: self.spec.bit_offset.wrapping_sub(bit_offset),
                next,
                outcome,
            };
            self.misses.insert(key, miss);
        }
        Ok((outcome, next))
    }

    /// Scans the members of composite `tt` as libbpf does, in order: each
    /// anonymous member is searched, the first member of the field's name
    /// ends the scan. Named members of other names change nothing (libbpf
    /// pushes and pops them), so only the anonymous ones before the field
    /// are visited; libbpf's depth check, made at every member, is made
    /// where its verdict can change: before the first, and after each
    /// anonymous member. `next` is set to the type of every target field
    /// found by name (for [`Miss::next`]).
    fn scan(&mut self, tt: Type<'t>, next: &mut Option<TypeId>) -> Result<Member, Stop> {
        let composite = self.index.get(self.m, tt)?;
        if composite.vlen > 0 && self.spec.raw.len() == MAX_SPEC_LEN {
            return Err(too_deep());
        }
        let field = composite.named.get(self.local_name).copied();
        let end = field.map_or(u32::MAX, |f| f.index);
        // An incompatible same-named field inside an anonymous member makes
        // libbpf keep scanning (its result is 0 either way); remember it for
        // the explanation.
        let mut incompatible = None;
        for anon in composite.anonymous.iter().take_while(|a| a.index < end) {
            self.m.step()?;
            self.spec.bit_offset = self.spec.bit_offset.wrapping_add(anon.bit_offset);
            self.spec.raw.push(anon.index);
            // On a miss, libbpf leaves the inner member's offset and index
            // in place and undoes only this level's: mirrored exactly (the
            // pop below takes the top entry, whichever).
            let (outcome, inner_next) = self.search(anon.ty)?;
            match outcome {
                Member::Found => return Ok(Member::Found),
                Member::Incompatible(l, t) => incompatible = Some(Member::Incompatible(l, t)),
                Member::NotFound => {}
            }
            if inner_next.is_some() {
                *next = inner_next;
            }
            self.spec.bit_offset = self.spec.bit_offset.wrapping_sub(anon.bit_offset);
            self.spec.raw.pop();
            let more = (anon.index as usize) + 1 < composite.vlen;
            if more && self.spec.raw.len() == MAX_SPEC_LEN {
                return Err(too_deep());
            }
        }
        let Some(field) = field else {
            return Ok(incompatible.unwrap_or(Member::NotFound));
        };
        self.m.step()?;
        self.spec.bit_offset = self.spec.bit_offset.wrapping_add(field.bit_offset);
        self.spec.raw.push(field.index);
        self.spec.accessors.push(Accessor {
            type_id: tt.id(),
            idx: field.index,
            name: Some(self.name_in_target(&composite, field)),
        });
        *self.next = field.ty;
        *next = Some(field.ty);
        if fields_are_compat(self.m, self.local, self.local_ty, self.targ, field.ty)? {
            return Ok(Member::Found);
        }
        // As libbpf: the accessor is undone, the raw entry and offset stay.
        self.spec.accessors.pop();
        let lk = kind_str(self.local.skip_mods_and_typedefs(self.local_ty).kind());
        let tk = kind_str(self.targ.skip_mods_and_typedefs(field.ty).kind());
        Ok(Member::Incompatible(lk, tk))
    }

    /// The target's own name of `field` (the key it is indexed by).
    fn name_in_target(&self, composite: &Composite<'t>, field: Slot) -> &'t str {
        composite
            .named
            .get_key_value(self.local_name)
            .filter(|(_, s)| s.index == field.index)
            .map_or("", |(name, _)| name)
    }
}

/// Finds the local accessor's named field in target type `targ_id`,
/// searching anonymous members recursively, and extends `spec` with it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn match_member<'t>(
    m: &mut Matcher,
    index: &mut MemberIndex<'t>,
    local: &Btf,
    local_acc: &Accessor<'_>,
    targ: &'t Btf,
    targ_id: TypeId,
    spec: &mut Spec<'t>,
    next_targ_id: &mut TypeId,
) -> Result<Member, Stop> {
    let Some(local_member) = local.ty(local_acc.type_id).member(local_acc.idx as usize) else {
        return Ok(Member::NotFound);
    };
    let mut search = MemberSearch {
        m,
        index,
        local,
        local_name: local_member.name,
        local_ty: local_member.ty,
        targ,
        spec,
        next: next_targ_id,
        misses: HashMap::new(),
    };
    Ok(search.search(targ_id)?.0)
}
