//! The strict `type_matches` relation (`__bpf_core_types_match`): names at
//! every level, identical kinds (FWD against STRUCT/UNION behind a pointer,
//! ENUM against ENUM64), INT size and signedness, ARRAY length, every local
//! enumerator and member present in the target.

use corex_btf::{essential_name, Btf, Kind, Type, TypeId};

use super::compat::{walk_pair, Step, MAX_DEPTH};
use super::work::{Matcher, Stop};

/// Flavor-less names are equal; an anonymous target matches only an anonymous local.
fn names_match(local: &str, targ: &str) -> bool {
    if targ.is_empty() {
        return local.is_empty();
    }
    essential_name(local) == essential_name(targ)
}

/// Every local enumerator has a same-named one in the target (one step per
/// pair looked at).
fn enums_match(m: &mut Matcher, lt: Type<'_>, tt: Type<'_>) -> Result<bool, Stop> {
    if lt.size() != tt.size() || lt.vlen() > tt.vlen() {
        return Ok(false);
    }
    for lv in lt.enum_values() {
        let mut found = false;
        for tv in tt.enum_values() {
            m.step()?;
            if names_match(lv.name, tv.name) {
                found = true;
                break;
            }
        }
        if !found {
            return Ok(false);
        }
    }
    Ok(true)
}

fn composites_match(
    m: &mut Matcher,
    local: &Btf,
    lt: Type<'_>,
    targ: &Btf,
    tt: Type<'_>,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, Stop> {
    if lt.vlen() > tt.vlen() {
        return Ok(false);
    }
    for lm in lt.members() {
        let mut matched = false;
        for tm in tt.members() {
            m.step()?;
            if !names_match(lm.name, tm.name) {
                continue;
            }
            if types_match(m, local, lm.ty, targ, tm.ty, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `local_id` matches `targ_id` (root names are the caller's
/// business, as in libbpf; names below the root are checked here). A pair
/// already judged (with the same `behind_ptr` and `level`) is not judged
/// again.
pub(crate) fn types_match(
    m: &mut Matcher,
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, Stop> {
    if level <= 0 {
        return Err(Stop::Limit(format!(
            "types nested deeper than {MAX_DEPTH} levels"
        )));
    }
    m.matches((local_id, targ_id, behind_ptr, level), |m| {
        judge_match(m, local, local_id, targ, targ_id, behind_ptr, level)
    })
}

/// [`types_match`] for a pair not judged yet.
fn judge_match(
    m: &mut Matcher,
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
    mut behind_ptr: bool,
    level: i32,
) -> Result<bool, Stop> {
    walk_pair(m, local, local_id, targ, targ_id, |m, lt, tt| {
        if !names_match(lt.name(), tt.name()) {
            return Ok(Step::Done(false));
        }
        let (lk, tk) = (lt.kind(), tt.kind());
        let verdict = match lk {
            Kind::Void => lk == tk,
            Kind::Fwd => {
                let lf = lt.kflag();
                if behind_ptr && lk != tk {
                    (tk == Kind::Struct && !lf) || (tk == Kind::Union && lf)
                } else {
                    lk == tk && lf == tt.kflag()
                }
            }
            Kind::Enum | Kind::Enum64 => tk.is_any_enum() && enums_match(m, lt, tt)?,
            Kind::Struct | Kind::Union if behind_ptr => {
                lk == tk || (tk == Kind::Fwd && (lk == Kind::Union) == tt.kflag())
            }
            Kind::Struct | Kind::Union => {
                lk == tk && composites_match(m, local, lt, targ, tt, behind_ptr, level)?
            }
            Kind::Int => {
                let signed = |t: &Type<'_>| t.int().is_some_and(|i| i.is_signed());
                lk == tk && lt.size() == tt.size() && signed(&lt) == signed(&tt)
            }
            Kind::Ptr if lk == tk => {
                behind_ptr = true;
                return Ok(Step::Next(lt.type_id(), tt.type_id()));
            }
            Kind::Array => match (lt.array(), tt.array()) {
                (Some(la), Some(ta)) if la.nelems == ta.nelems => {
                    return Ok(Step::Next(la.elem, ta.elem))
                }
                _ => false,
            },
            Kind::FuncProto if lk == tk && lt.vlen() == tt.vlen() => {
                for (lp, tp) in lt.params().zip(tt.params()) {
                    m.step()?;
                    if !types_match(m, local, lp.ty, targ, tp.ty, behind_ptr, level - 1)? {
                        return Ok(Step::Done(false));
                    }
                }
                return Ok(Step::Next(lt.type_id(), tt.type_id()));
            }
            _ => false,
        };
        Ok(Step::Done(verdict))
    })
}
