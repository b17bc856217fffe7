//! Matching a local spec against one candidate type, producing the target
//! spec (`bpf_core_spec_match` and `bpf_core_match_member`), or the reason,
//! in plain words, why the candidate does not match.

use std::collections::HashMap;

use corex_btf::{essential_name, printable, Btf, Type, TypeId};

use super::compat::{fields_are_compat, types_are_compat, MAX_DEPTH};
use super::format::{kind_str, type_desc, type_name};
use super::matches::types_match;
use super::spec::{is_flex_array, type_size, Accessor, Spec, MAX_SPEC_LEN};
use super::work::{Matcher, Stop};

/// Why a candidate does not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// A named field is not in the target type.
    MemberMissing {
        /// Field name.
        field: String,
        /// The local struct it belongs to, e.g. `struct request`.
        container: String,
    },
    /// A named field exists but its type is incompatible.
    MemberIncompatible {
        /// Field name.
        field: String,
        /// The target struct, e.g. `struct request`.
        container: String,
        /// The local field type's kind.
        local_kind: &'static str,
        /// The target field type's kind.
        target_kind: &'static str,
    },
    /// A field is looked up in something that is not a struct or union.
    NotComposite {
        /// Field name.
        field: String,
        /// What the target has instead.
        target: String,
    },
    /// An array index where the target has no array.
    NotArray {
        /// What the target has instead.
        target: String,
    },
    /// An array index past the target array's length.
    IndexOutOfRange {
        /// The index.
        idx: u32,
        /// The target array's length.
        nelems: u32,
    },
    /// The target of an enumerator relocation is not an enum.
    NotEnum {
        /// What the target has instead.
        target: String,
    },
    /// The enumerator is not in the target enum.
    EnumeratorMissing {
        /// Enumerator name.
        name: String,
        /// The target enum.
        target: String,
    },
    /// The target type is not compatible (type-based kinds).
    TypeIncompatible {
        /// The target type.
        target: String,
    },
    /// The target type does not match strictly (`type_matches`).
    TypeMismatch {
        /// The target type.
        target: String,
    },
}

/// Shows each name through [`printable`]: the text is safe to print.
impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = printable::<str>;
        match self {
            Mismatch::MemberMissing { field, container } => write!(
                f,
                "field '{}' does not exist in {} on this kernel",
                p(field),
                p(container)
            ),
            Mismatch::MemberIncompatible { field, container, local_kind, target_kind } => write!(
                f,
                "field '{}' of {} has an incompatible type on this kernel ({local_kind} locally, {target_kind} in the target)",
                p(field),
                p(container)
            ),
            Mismatch::NotComposite { field, target } => write!(
                f,
                "field '{}' is looked up in {}, which is not a struct or union on this kernel",
                p(field),
                p(target)
            ),
            Mismatch::NotArray { target } => {
                write!(f, "{} is not an array on this kernel", p(target))
            }
            Mismatch::IndexOutOfRange { idx, nelems } => {
                write!(f, "index {idx} is out of range for an array of {nelems} elements on this kernel")
            }
            Mismatch::NotEnum { target } => write!(f, "{} is not an enum on this kernel", p(target)),
            Mismatch::EnumeratorMissing { name, target } => write!(
                f,
                "enumerator '{}' does not exist in {} on this kernel",
                p(name),
                p(target)
            ),
            Mismatch::TypeIncompatible { target } => write!(
                f,
                "{} on this kernel is not compatible with the local type",
                p(target)
            ),
            Mismatch::TypeMismatch { target } => write!(
                f,
                "{} on this kernel does not match the local type",
                p(target)
            ),
        }
    }
}

/// The result of matching one candidate.
pub(crate) enum CandidateMatch<'t> {
    /// The candidate matches; the target spec.
    Match(Spec<'t>),
    /// It does not, and why.
    NoMatch(Mismatch),
}

#[derive(Clone, Copy)]
enum Member {
    Found,
    NotFound,
    Incompatible(&'static str, &'static str),
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

/// The search of one local field (named member) in a target type, through
/// anonymous members at any depth (`bpf_core_match_member`).
struct MemberSearch<'s, 'l, 't> {
    m: &'s mut Matcher,
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

    /// Scans the members of composite `tt`. `next` is set to the type of
    /// every target field found by name (for [`Miss::next`]).
    fn scan(&mut self, tt: Type<'t>, next: &mut Option<TypeId>) -> Result<Member, Stop> {
        // An incompatible same-named field inside an anonymous member makes
        // libbpf keep scanning (its result is 0 either way); remember it for
        // the explanation.
        let mut incompatible = None;
        for (i, mem) in tt.members().enumerate() {
            self.m.step()?;
            if self.spec.raw.len() == MAX_SPEC_LEN {
                return Err(Stop::Limit(format!(
                    "struct/union/array nesting deeper than {MAX_SPEC_LEN} levels"
                )));
            }
            self.spec.bit_offset = self.spec.bit_offset.wrapping_add(mem.bit_offset);
            self.spec.raw.push(i as u32);
            if mem.name.is_empty() {
                // On a miss, libbpf leaves the inner member's offset and
                // index in place and undoes only this level's: mirrored
                // exactly (the pop below takes the top entry, whichever).
                let (outcome, inner_next) = self.search(mem.ty)?;
                match outcome {
                    Member::Found => return Ok(Member::Found),
                    Member::Incompatible(l, t) => incompatible = Some(Member::Incompatible(l, t)),
                    Member::NotFound => {}
                }
                if inner_next.is_some() {
                    *next = inner_next;
                }
            } else if mem.name == self.local_name {
                self.spec.accessors.push(Accessor {
                    type_id: tt.id(),
                    idx: i as u32,
                    name: Some(mem.name),
                });
                *self.next = mem.ty;
                *next = Some(mem.ty);
                if fields_are_compat(self.m, self.local, self.local_ty, self.targ, mem.ty)? {
                    return Ok(Member::Found);
                }
                self.spec.accessors.pop();
                let lk = kind_str(self.local.skip_mods_and_typedefs(self.local_ty).kind());
                let tk = kind_str(self.targ.skip_mods_and_typedefs(mem.ty).kind());
                return Ok(Member::Incompatible(lk, tk));
            }
            self.spec.bit_offset = self.spec.bit_offset.wrapping_sub(mem.bit_offset);
            self.spec.raw.pop();
        }
        Ok(incompatible.unwrap_or(Member::NotFound))
    }
}

/// Finds the local accessor's named field in target type `targ_id`,
/// searching anonymous members recursively, and extends `spec` with it.
fn match_member<'t>(
    m: &mut Matcher,
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

/// Matches `local` against candidate `targ_id` of `targ`.
pub(crate) fn match_candidate<'t>(
    m: &mut Matcher,
    local: &Spec<'_>,
    targ: &'t Btf,
    targ_id: TypeId,
) -> Result<CandidateMatch<'t>, Stop> {
    let mut spec = Spec::empty(targ, targ_id, local.kind);
    let kind = local.kind;
    if kind.is_type_based() {
        let ok = if kind == super::RelocKind::TypeMatches {
            types_match(m, local.btf, local.root, targ, targ_id, false, MAX_DEPTH)?
        } else {
            types_are_compat(m, local.btf, local.root, targ, targ_id, MAX_DEPTH)?
        };
        return Ok(match (ok, kind == super::RelocKind::TypeMatches) {
            (true, _) => CandidateMatch::Match(spec),
            (false, true) => CandidateMatch::NoMatch(Mismatch::TypeMismatch {
                target: type_desc(targ, targ_id),
            }),
            (false, false) => CandidateMatch::NoMatch(Mismatch::TypeIncompatible {
                target: type_desc(targ, targ_id),
            }),
        });
    }
    let Some(first) = local.accessors.first() else {
        return Err(Stop::Limit("the local spec has no accessor".into()));
    };
    if kind.is_enumval_based() {
        let tt = targ.skip_mods_and_typedefs(targ_id);
        if !tt.kind().is_any_enum() {
            return Ok(CandidateMatch::NoMatch(Mismatch::NotEnum {
                target: type_desc(targ, tt.id()),
            }));
        }
        let local_name = first.name.unwrap_or("");
        let wanted = essential_name(local_name);
        for (i, v) in tt.enum_values().enumerate() {
            m.step()?;
            if essential_name(v.name) == wanted {
                spec.accessors.push(Accessor {
                    type_id: tt.id(),
                    idx: i as u32,
                    name: Some(v.name),
                });
                spec.raw.push(i as u32);
                return Ok(CandidateMatch::Match(spec));
            }
        }
        return Ok(CandidateMatch::NoMatch(Mismatch::EnumeratorMissing {
            name: local_name.to_owned(),
            target: type_name(targ, tt.id()),
        }));
    }
    let mut tid = targ_id;
    for (i, acc) in local.accessors.iter().enumerate() {
        let tt = targ.skip_mods_and_typedefs(tid);
        tid = tt.id();
        if let Some(name) = acc.name {
            match match_member(m, local.btf, acc, targ, tid, &mut spec, &mut tid)? {
                Member::Found => {}
                Member::NotFound => {
                    let why = if tt.is_composite() {
                        Mismatch::MemberMissing {
                            field: name.to_owned(),
                            container: type_name(targ, tt.id()),
                        }
                    } else {
                        Mismatch::NotComposite {
                            field: name.to_owned(),
                            target: type_desc(targ, tt.id()),
                        }
                    };
                    return Ok(CandidateMatch::NoMatch(why));
                }
                Member::Incompatible(local_kind, target_kind) => {
                    return Ok(CandidateMatch::NoMatch(Mismatch::MemberIncompatible {
                        field: name.to_owned(),
                        container: type_name(targ, tt.id()),
                        local_kind,
                        target_kind,
                    }))
                }
            }
            continue;
        }
        if i > 0 {
            let Some(a) = tt.array() else {
                return Ok(CandidateMatch::NoMatch(Mismatch::NotArray {
                    target: type_desc(targ, tt.id()),
                }));
            };
            let flex = is_flex_array(targ, spec.accessors.get(i - 1), a.nelems);
            if !flex && acc.idx >= a.nelems {
                return Ok(CandidateMatch::NoMatch(Mismatch::IndexOutOfRange {
                    idx: acc.idx,
                    nelems: a.nelems,
                }));
            }
            tid = targ.skip_mods_and_typedefs(a.elem).id();
        }
        if spec.raw.len() == MAX_SPEC_LEN {
            return Err(Stop::Limit(format!(
                "struct/union/array nesting deeper than {MAX_SPEC_LEN} levels"
            )));
        }
        spec.accessors.push(Accessor {
            type_id: tid,
            idx: acc.idx,
            name: None,
        });
        spec.raw.push(acc.idx);
        let size = type_size(targ, tid)?;
        spec.bit_offset = spec
            .bit_offset
            .wrapping_add(u64::from(acc.idx).wrapping_mul(size).wrapping_mul(8) as u32);
    }
    Ok(CandidateMatch::Match(spec))
}
