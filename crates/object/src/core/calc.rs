//! Computing a relocation: the value the local BTF implies (what the
//! instruction must already hold) and the value for the target, per kind,
//! as libbpf's `bpf_core_calc_relo` and `bpf_core_calc_relo_insn` decide.

use corex_btf::{Btf, Kind, TypeId};

use super::format::{format_offset, type_desc, type_name};
use super::kind::RelocKind;
use super::spec::Spec;
use crate::error::Error;

/// A computed relocation, ready to be applied to an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixup {
    /// The kind.
    pub kind: RelocKind,
    /// The value the local BTF implies; the instruction must hold it when
    /// `validate` is set.
    pub orig: u64,
    /// The value for the target.
    pub new: u64,
    /// The instruction must be poisoned (no match for a kind that needs one).
    pub poison: bool,
    /// Whether the instruction's current value is checked against `orig`.
    pub validate: bool,
    /// Field size by the local BTF (loads and stores of `byte_off`).
    pub orig_size: u32,
    /// Field size by the target.
    pub new_size: u32,
    /// Why a load/store may not change size, when the size changes unsafely
    /// (libbpf's `fail_memsz_adjust`): such an instruction is poisoned.
    /// Names in it are escaped: it is safe to print.
    pub resize_forbidden: Option<String>,
    /// Why no candidate matched, when none did (names escaped: safe to print).
    pub reason: Option<String>,
}

/// One side's value.
struct Side {
    val: u64,
    size: u32,
    type_id: TypeId,
    validate: bool,
}

/// `bpf_core_calc_field_relo` for one spec; `None` asks for poisoning.
fn calc_field(kind: RelocKind, spec: Option<&Spec<'_>>) -> Result<Option<Side>, Error> {
    let mut side = Side {
        val: 0,
        size: 0,
        type_id: TypeId::VOID,
        validate: true,
    };
    if kind == RelocKind::FieldExists {
        side.val = u64::from(spec.is_some());
        return Ok(Some(side));
    }
    let Some(spec) = spec else { return Ok(None) };
    let btf = spec.btf;
    let Some(acc) = spec.accessors.last() else {
        return Err(Error::Unsupported {
            kind: kind.name(),
            what: "an empty access".into(),
        });
    };
    let no_size = |id: TypeId| Error::Unsupported {
        kind: kind.name(),
        what: format!("{}, which has no size", type_desc(btf, id)),
    };
    let Some(name) = acc.name else {
        let size = btf
            .resolve_size(acc.type_id)
            .ok_or_else(|| no_size(acc.type_id))? as u32;
        match kind {
            RelocKind::FieldByteOffset => {
                side.val = u64::from(spec.bit_offset / 8);
                side.size = size;
                side.type_id = acc.type_id;
            }
            RelocKind::FieldByteSize => side.val = u64::from(size),
            _ => {
                return Err(Error::Unsupported {
                    kind: kind.name(),
                    what: "an array element access".into(),
                })
            }
        }
        return Ok(Some(side));
    };
    let holder = btf.ty(acc.type_id);
    let Some(m) = holder.member(acc.idx as usize) else {
        return Err(Error::Unsupported {
            kind: kind.name(),
            what: format!("member #{} of {}", acc.idx, type_desc(btf, acc.type_id)),
        });
    };
    let mt = btf.skip_mods_and_typedefs(m.ty);
    let bit_off = spec.bit_offset;
    let mut bit_sz = m.bitfield_size;
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz);
    if bitfield {
        let mut sz = mt.size();
        if sz == 0 {
            return Err(no_size(mt.id()));
        }
        let mut off = bit_off / 8 / sz * sz;
        while u64::from(bit_off) + u64::from(bit_sz) - u64::from(off) * 8 > u64::from(sz) * 8 {
            if sz >= 8 {
                return Err(Error::Bitfield {
                    field: format!("{}.{name}", type_name(btf, acc.type_id)),
                });
            }
            sz *= 2;
            off = bit_off / 8 / sz * sz;
        }
        (byte_off, byte_sz) = (off, sz);
    } else {
        let sz = btf
            .resolve_size(mt.id())
            .filter(|&s| s <= u64::from(u32::MAX))
            .ok_or_else(|| no_size(mt.id()))? as u32;
        (byte_off, byte_sz) = (bit_off / 8, sz);
        bit_sz = sz.wrapping_mul(8);
    }
    // Bitfield offsets and sizes are ambiguous (the compiler may have picked
    // another load unit): libbpf does not validate them.
    side.validate = !bitfield;
    match kind {
        RelocKind::FieldByteOffset => {
            side.val = u64::from(byte_off);
            if !bitfield {
                side.size = byte_sz;
                side.type_id = mt.id();
            }
        }
        RelocKind::FieldByteSize => side.val = u64::from(byte_sz),
        RelocKind::FieldSigned => {
            let signed_enum = mt.kind().is_any_enum() && mt.kflag();
            let signed_int = mt.int().is_some_and(|i| i.is_signed());
            side.val = u64::from(signed_enum || signed_int);
            side.validate = true;
        }
        RelocKind::FieldLshiftU64 => {
            side.val = u64::from(match btf.endian() {
                corex_btf::Endian::Little => 64u32.wrapping_sub(
                    bit_off
                        .wrapping_add(bit_sz)
                        .wrapping_sub(byte_off.wrapping_mul(8)),
                ),
                corex_btf::Endian::Big => (8u32.wrapping_sub(byte_sz))
                    .wrapping_mul(8)
                    .wrapping_add(bit_off.wrapping_sub(byte_off.wrapping_mul(8))),
            });
        }
        RelocKind::FieldRshiftU64 => {
            side.val = u64::from(64u32.wrapping_sub(bit_sz));
            side.validate = true;
        }
        _ => return Err(Error::UnknownKind(kind.to_u32())),
    }
    Ok(Some(side))
}

/// `bpf_core_calc_type_relo`: 0 when the target has no match.
fn calc_type(kind: RelocKind, spec: Option<&Spec<'_>>) -> Result<Side, Error> {
    let mut side = Side {
        val: 0,
        size: 0,
        type_id: TypeId::VOID,
        validate: true,
    };
    let Some(spec) = spec else { return Ok(side) };
    match kind {
        RelocKind::TypeIdTarget => {
            side.val = u64::from(spec.root.0);
            // Type ids change during linking: never validated.
            side.validate = false;
        }
        RelocKind::TypeExists | RelocKind::TypeMatches => side.val = 1,
        RelocKind::TypeSize => {
            side.val = spec
                .btf
                .resolve_size(spec.root)
                .ok_or_else(|| Error::Unsupported {
                    kind: kind.name(),
                    what: format!("{}, which has no size", type_desc(spec.btf, spec.root)),
                })?;
        }
        _ => return Err(Error::UnknownKind(kind.to_u32())),
    }
    Ok(side)
}

/// `bpf_core_calc_enumval_relo`; `None` asks for poisoning.
fn calc_enumval(kind: RelocKind, spec: Option<&Spec<'_>>) -> Option<u64> {
    match (kind, spec) {
        (RelocKind::EnumvalExists, s) => Some(u64::from(s.is_some())),
        (_, None) => None,
        (_, Some(spec)) => {
            let acc = spec.accessors.first()?;
            let t = spec.btf.ty(acc.type_id);
            let v = t.enum_values().nth(acc.idx as usize)?;
            // A 32-bit enumerator is an s32 widened to u64, as in libbpf.
            Some(if t.kind() == Kind::Enum {
                (v.value as u32 as i32) as i64 as u64
            } else {
                v.value as u64
            })
        }
    }
}

/// Whether a load/store of this field may change size: pointers, and
/// integers that are not exactly `BTF_INT_SIGNED` encoded.
fn resize_problem(
    local: &Btf,
    orig: TypeId,
    targ: &Btf,
    new: TypeId,
    orig_size: u32,
    new_size: u32,
) -> Option<String> {
    let (lt, tt) = (local.ty(orig), targ.ty(new));
    if lt.kind() == Kind::Ptr && tt.kind() == Kind::Ptr {
        return None;
    }
    let unsigned =
        |i: Option<corex_btf::IntInfo>| i.is_some_and(|i| i.encoding != corex_btf::INT_SIGNED);
    if unsigned(lt.int()) && unsigned(tt.int()) {
        return None;
    }
    Some(format!(
        "the field is {orig_size} bytes locally ({}) but {new_size} bytes on this kernel ({}), and only pointers and unsigned integers can be read with a different size",
        corex_btf::printable(&type_name(local, orig)),
        corex_btf::printable(&type_name(targ, new))
    ))
}

/// `bpf_core_calc_relo`: local and target values for one candidate (or for
/// none, `targ == None`).
pub(crate) fn calc_relo(
    kind: RelocKind,
    local: &Spec<'_>,
    targ: Option<&Spec<'_>>,
) -> Result<Fixup, Error> {
    let mut fx = Fixup {
        kind,
        orig: 0,
        new: 0,
        poison: false,
        validate: true,
        orig_size: 0,
        new_size: 0,
        resize_forbidden: None,
        reason: None,
    };
    if kind.is_field_based() {
        let l = calc_field(kind, Some(local))?.ok_or(Error::UnknownKind(kind.to_u32()))?;
        fx.orig = l.val;
        fx.validate = l.validate;
        fx.orig_size = l.size;
        match calc_field(kind, targ)? {
            None => fx.poison = true,
            Some(t) => {
                fx.new = t.val;
                fx.new_size = t.size;
                if fx.orig_size != fx.new_size {
                    let targ_btf = targ.map_or(local.btf, |s| s.btf);
                    fx.resize_forbidden =
                        resize_problem(local.btf, l.type_id, targ_btf, t.type_id, l.size, t.size);
                }
            }
        }
    } else if kind.is_type_based() {
        let l = calc_type(kind, Some(local))?;
        fx.orig = l.val;
        fx.validate = l.validate;
        fx.new = calc_type(kind, targ)?.val;
    } else {
        fx.orig = calc_enumval(kind, Some(local)).unwrap_or(0);
        match calc_enumval(kind, targ) {
            Some(v) => fx.new = v,
            None => fx.poison = true,
        }
    }
    Ok(fx)
}

/// Offset text of a spec for ambiguity messages.
pub(crate) fn spec_offset(spec: &Spec<'_>) -> String {
    format_offset(spec.bit_offset)
}
