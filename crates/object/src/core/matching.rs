//! Matching a local spec against one candidate type, producing the target
//! spec (`bpf_core_spec_match`), or the reason, in plain words, why the
//! candidate does not match. Fields are found by [`super::member`].

use corex_btf::{essential_name, printable, Btf, TypeId};

use super::compat::{types_are_compat, MAX_DEPTH};
use super::format::{type_desc, type_name};
use super::matches::types_match;
use super::member::{match_member, Member, MemberIndex};
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

/// Matches `local` against candidate `targ_id` of `targ` on its own (for
/// callers outside a [`Relocator`](super::Relocator), such as the
/// minimizer): within one relocation's step budget, a limit or the budget
/// given as text.
pub(crate) fn match_candidate<'t>(
    local: &Spec<'_>,
    targ: &'t Btf,
    targ_id: TypeId,
) -> Result<CandidateMatch<'t>, String> {
    let mut m = Matcher::new(super::MAX_RELO_STEPS);
    let mut members = MemberIndex::default();
    match_candidate_with(&mut m, &mut members, local, targ, targ_id).map_err(|stop| match stop {
        Stop::Limit(why) => why,
        Stop::Work => crate::Error::WorkLimit {
            steps: super::MAX_RELO_STEPS,
            object: false,
        }
        .to_string(),
    })
}

/// Matches `local` against candidate `targ_id` of `targ`, whose composites
/// `members` indexes, within `m`'s budget.
pub(crate) fn match_candidate_with<'t>(
    m: &mut Matcher,
    members: &mut MemberIndex<'t>,
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
            match match_member(m, members, local.btf, acc, targ, tid, &mut spec, &mut tid)? {
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
