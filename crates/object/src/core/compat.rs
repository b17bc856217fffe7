//! Type compatibility as libbpf judges it for field relocations
//! (`bpf_core_fields_are_compat`) and for type relocations
//! (`__bpf_core_types_are_compat`). Errors are limits hit (depth, cycles,
//! the step budget); verdicts on type pairs are remembered per relocation
//! (see [`Matcher`]).

use corex_btf::{essential_name, Btf, Kind, Type, TypeId};

use super::work::{Matcher, Stop};

/// Deepest type graph followed (libbpf's recursion limit).
pub(crate) const MAX_DEPTH: i32 = 32;

/// Same kind, or ENUM against ENUM64 (`btf_kind_core_compat`).
pub(crate) fn kinds_compat(a: Kind, b: Kind) -> bool {
    a == b || (a.is_any_enum() && b.is_any_enum())
}

/// Whether an INT has a non-zero bit offset in its encoding (the old,
/// deprecated bitfield-like integers CO-RE rejects).
fn int_has_offset(t: &Type<'_>) -> bool {
    t.int().is_some_and(|i| i.offset != 0)
}

/// One step of a lockstep walk down a local and a target type chain.
pub(crate) enum Step {
    /// The walk ends with this verdict.
    Done(bool),
    /// Continue with these two types.
    Next(TypeId, TypeId),
}

/// Walks a local and a target type chain in lockstep (modifiers and
/// typedefs skipped at each step), at most [`MAX_DEPTH`] steps, as libbpf's
/// `goto recur` loops do. Each step counts against `m`'s budget.
pub(crate) fn walk_pair<'l, 't>(
    m: &mut Matcher,
    local: &'l Btf,
    local_id: TypeId,
    targ: &'t Btf,
    targ_id: TypeId,
    mut step: impl FnMut(&mut Matcher, Type<'l>, Type<'t>) -> Result<Step, Stop>,
) -> Result<bool, Stop> {
    let (mut lid, mut tid) = (local_id, targ_id);
    for _ in 0..MAX_DEPTH {
        m.step()?;
        let lt = local.skip_mods_and_typedefs(lid);
        let tt = targ.skip_mods_and_typedefs(tid);
        match step(m, lt, tt)? {
            Step::Done(verdict) => return Ok(verdict),
            Step::Next(l, t) => (lid, tid) = (l, t),
        }
    }
    Err(Stop::Limit(format!(
        "type chain deeper than {MAX_DEPTH} levels"
    )))
}

fn array_elem(t: &Type<'_>) -> TypeId {
    t.array().map_or(TypeId::VOID, |a| a.elem)
}

/// Whether a local field type and a target field type are compatible.
pub(crate) fn fields_are_compat(
    m: &mut Matcher,
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
) -> Result<bool, Stop> {
    walk_pair(m, local, local_id, targ, targ_id, |_, lt, tt| {
        if lt.is_composite() && tt.is_composite() {
            return Ok(Step::Done(true));
        }
        if !kinds_compat(lt.kind(), tt.kind()) {
            return Ok(Step::Done(false));
        }
        Ok(match lt.kind() {
            Kind::Ptr | Kind::Float => Step::Done(true),
            Kind::Fwd | Kind::Enum | Kind::Enum64 => {
                let (ln, tn) = (essential_name(lt.name()), essential_name(tt.name()));
                Step::Done(ln.is_empty() || tn.is_empty() || ln == tn)
            }
            Kind::Int => Step::Done(!int_has_offset(&lt) && !int_has_offset(&tt)),
            Kind::Array => Step::Next(array_elem(&lt), array_elem(&tt)),
            _ => Step::Done(false),
        })
    })
}

/// Whether a local type and a same-named target type are compatible for
/// the type-based kinds (`__bpf_core_types_are_compat` with `level`); a
/// pair already judged at this level is not judged again.
pub(crate) fn types_are_compat(
    m: &mut Matcher,
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
    level: i32,
) -> Result<bool, Stop> {
    m.compat((local_id, targ_id, level), |m| {
        judge_compat(m, local, local_id, targ, targ_id, level)
    })
}

/// [`types_are_compat`] for a pair not judged yet.
fn judge_compat(
    m: &mut Matcher,
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
    level: i32,
) -> Result<bool, Stop> {
    if !kinds_compat(local.ty(local_id).kind(), targ.ty(targ_id).kind()) {
        return Ok(false);
    }
    walk_pair(m, local, local_id, targ, targ_id, |m, lt, tt| {
        if !kinds_compat(lt.kind(), tt.kind()) {
            return Ok(Step::Done(false));
        }
        Ok(match lt.kind() {
            Kind::Void | Kind::Struct | Kind::Union | Kind::Enum | Kind::Fwd | Kind::Enum64 => {
                Step::Done(true)
            }
            Kind::Int => Step::Done(!int_has_offset(&lt) && !int_has_offset(&tt)),
            Kind::Ptr => Step::Next(lt.type_id(), tt.type_id()),
            Kind::Array => Step::Next(array_elem(&lt), array_elem(&tt)),
            Kind::FuncProto => {
                if lt.vlen() != tt.vlen() {
                    return Ok(Step::Done(false));
                }
                for (lp, tp) in lt.params().zip(tt.params()) {
                    if level <= 0 {
                        return Err(Stop::Limit(format!(
                            "function prototypes nested deeper than {MAX_DEPTH} levels"
                        )));
                    }
                    let l = local.skip_mods_and_typedefs(lp.ty).id();
                    let t = targ.skip_mods_and_typedefs(tp.ty).id();
                    if !types_are_compat(m, local, l, targ, t, level - 1)? {
                        return Ok(Step::Done(false));
                    }
                }
                Step::Next(
                    local.skip_mods_and_typedefs(lt.type_id()).id(),
                    targ.skip_mods_and_typedefs(tt.type_id()).id(),
                )
            }
            _ => Step::Done(false),
        })
    })
}
