//! Type compatibility as libbpf judges it for field relocations
//! (`bpf_core_fields_are_compat`) and for type relocations
//! (`__bpf_core_types_are_compat`). Errors are limits hit (depth, cycles).

use corex_btf::{essential_name, Btf, Kind, TypeId};

/// Deepest type graph followed (libbpf's recursion limit).
pub(crate) const MAX_DEPTH: i32 = 32;

/// Same kind, or ENUM against ENUM64 (`btf_kind_core_compat`).
pub(crate) fn kinds_compat(a: Kind, b: Kind) -> bool {
    a == b || (a.is_any_enum() && b.is_any_enum())
}

/// Whether an INT has a non-zero bit offset in its encoding (the old,
/// deprecated bitfield-like integers CO-RE rejects).
fn int_has_offset(btf: &Btf, id: TypeId) -> bool {
    btf.ty(id).int().is_some_and(|i| i.offset != 0)
}

/// Whether a local field type and a target field type are compatible.
pub(crate) fn fields_are_compat(
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
) -> Result<bool, String> {
    let (mut lid, mut tid) = (local_id, targ_id);
    for _ in 0..MAX_DEPTH {
        let lt = local.skip_mods_and_typedefs(lid);
        let tt = targ.skip_mods_and_typedefs(tid);
        if lt.is_composite() && tt.is_composite() {
            return Ok(true);
        }
        if !kinds_compat(lt.kind(), tt.kind()) {
            return Ok(false);
        }
        return Ok(match lt.kind() {
            Kind::Ptr | Kind::Float => true,
            Kind::Fwd | Kind::Enum | Kind::Enum64 => {
                let (ln, tn) = (essential_name(lt.name()), essential_name(tt.name()));
                ln.is_empty() || tn.is_empty() || ln == tn
            }
            Kind::Int => !int_has_offset(local, lt.id()) && !int_has_offset(targ, tt.id()),
            Kind::Array => {
                lid = lt.array().map_or(TypeId::VOID, |a| a.elem);
                tid = tt.array().map_or(TypeId::VOID, |a| a.elem);
                continue;
            }
            _ => false,
        });
    }
    Err(format!("array nesting deeper than {MAX_DEPTH} levels"))
}

/// Whether a local type and a same-named target type are compatible for
/// the type-based kinds (`__bpf_core_types_are_compat` with `level`).
pub(crate) fn types_are_compat(
    local: &Btf,
    local_id: TypeId,
    targ: &Btf,
    targ_id: TypeId,
    level: i32,
) -> Result<bool, String> {
    if !kinds_compat(local.ty(local_id).kind(), targ.ty(targ_id).kind()) {
        return Ok(false);
    }
    let (mut lid, mut tid) = (local_id, targ_id);
    let mut depth = MAX_DEPTH;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(format!("type chain deeper than {MAX_DEPTH} levels"));
        }
        let lt = local.skip_mods_and_typedefs(lid);
        let tt = targ.skip_mods_and_typedefs(tid);
        if !kinds_compat(lt.kind(), tt.kind()) {
            return Ok(false);
        }
        match lt.kind() {
            Kind::Void | Kind::Struct | Kind::Union | Kind::Enum | Kind::Fwd | Kind::Enum64 => {
                return Ok(true)
            }
            Kind::Int => {
                return Ok(!int_has_offset(local, lt.id()) && !int_has_offset(targ, tt.id()))
            }
            Kind::Ptr => {
                lid = lt.type_id();
                tid = tt.type_id();
            }
            Kind::Array => {
                lid = lt.array().map_or(TypeId::VOID, |a| a.elem);
                tid = tt.array().map_or(TypeId::VOID, |a| a.elem);
            }
            Kind::FuncProto => {
                if lt.vlen() != tt.vlen() {
                    return Ok(false);
                }
                for (lp, tp) in lt.params().zip(tt.params()) {
                    if level <= 0 {
                        return Err(format!(
                            "function prototypes nested deeper than {MAX_DEPTH} levels"
                        ));
                    }
                    let l = local.skip_mods_and_typedefs(lp.ty).id();
                    let t = targ.skip_mods_and_typedefs(tp.ty).id();
                    if !types_are_compat(local, l, targ, t, level - 1)? {
                        return Ok(false);
                    }
                }
                lid = local.skip_mods_and_typedefs(lt.type_id()).id();
                tid = targ.skip_mods_and_typedefs(tt.type_id()).id();
            }
            _ => return Ok(false),
        }
    }
}
