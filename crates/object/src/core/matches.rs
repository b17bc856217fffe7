//! The strict `type_matches` relation (`__bpf_core_types_match`): names at
//! every level, identical kinds (FWD against STRUCT/UNION behind a pointer,
//! ENUM against ENUM64), INT size and signedness, ARRAY length, every local
//! enumerator and member present in the target.

use corex_btf::{essential_name, Btf, Kind, Type, TypeId};

use super::compat::{walk_pair, Step, MAX_DEPTH};

/// Flavor-less names are equal; an anonymous target matches only an anonymous local.
fn names_match(local: &str, targ: &str) -> bool {
    if targ.is_empty() {
        return local.is_empty();
    }
    essential_name(local) == essential_name(targ)
}

fn enums_match(lt: Type<'_>, tt: Type<'_>) -> bool {
    lt.size() == tt.size()
        && lt.vlen() <= tt.vlen()
        && lt
            .enum_values()
            .all(|lv| tt.enum_values().any(|tv| names_match(lv.name, tv.name)))
}

fn composites_match(
    local: &Btf,
    lt: Type<'_>,
    targ: &Btf,
    tt: Type<'_>,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, String> {
    if lt.vlen() > tt.vlen() {
        return Ok(false);
    }
    for lm in lt.members() {
        let mut matched = false;
        for tm in tt.members() {
            if !names_match(lm.name, tm.name) {
                continue;
            }
            if types_match(local, lm.ty, targ, tm.ty, behind_ptr, level - 1)? {
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
/// business, as in libbpf; names below the root are checked here).
pub(crate) fn types_match(
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
    mut behind_ptr: bool,
    level: i32,
) -> Result<bool, String> {
    if level <= 0 {
        return Err(format!("types nested deeper than {MAX_DEPTH} levels"));
    }
    walk_pair(local, local_id, targ, targ_id, |lt, tt| {
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
            Kind::Enum | Kind::Enum64 => tk.is_any_enum() && enums_match(lt, tt),
            Kind::Struct | Kind::Union if behind_ptr => {
                lk == tk || (tk == Kind::Fwd && (lk == Kind::Union) == tt.kflag())
            }
            Kind::Struct | Kind::Union => {
                lk == tk && composites_match(local, lt, targ, tt, behind_ptr, level)?
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
                    if !types_match(local, lp.ty, targ, tp.ty, behind_ptr, level - 1)? {
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
