//! One pass over a freshly parsed type table that checks every string offset
//! and type id a record holds, so the rest of the library can trust them.

use crate::btf::{record_offset, Btf, TypeId};
use crate::error::{Error, Result};
use crate::kind::Kind;

/// Checks every own type of `btf`. `type_start` is the byte offset of the type
/// section in the input, for error messages.
pub(crate) fn validate(btf: &Btf, type_start: usize) -> Result<()> {
    let last = btf.type_count() - 1;
    let str_len = btf.strings_len();
    for id in btf.own_ids() {
        let t = btf.ty(id);
        let offset = || record_offset(btf, id, type_start);
        let check_str = |field: &'static str, str_off: u32| {
            if !btf.is_str_off(str_off) {
                return Err(Error::BadString {
                    id,
                    offset: offset(),
                    field,
                    str_off,
                    str_len,
                });
            }
            Ok(())
        };
        check_str("name", t.name_off())?;
        let entry_name = match t.kind() {
            Kind::Struct | Kind::Union => Some("member name"),
            Kind::Enum | Kind::Enum64 => Some("enumerator name"),
            Kind::FuncProto => Some("parameter name"),
            _ => None,
        };
        if let Some(field) = entry_name {
            for name_off in t.entry_words(0) {
                check_str(field, name_off)?;
            }
        }
        for r in t.referenced_ids() {
            if r.0 > last {
                return Err(Error::BadTypeRef {
                    id,
                    offset: offset(),
                    field: field_name(t.kind()),
                    target: r.0,
                    last,
                });
            }
        }
        check_shape(btf, id, offset)?;
    }
    Ok(())
}

fn field_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Struct | Kind::Union => "a member",
        Kind::FuncProto => "the return or a parameter type",
        Kind::Datasec => "a variable",
        Kind::Array => "the element or index type",
        _ => "type_id",
    }
}

/// Per-kind rules that would otherwise make sizes or shifts overflow later.
fn check_shape(btf: &Btf, id: TypeId, offset: impl Fn() -> usize) -> Result<()> {
    let t = btf.ty(id);
    let bad = |why: String| {
        Err(Error::BadType {
            id,
            offset: offset(),
            why,
        })
    };
    match t.kind() {
        Kind::Int => {
            let i = t.int().unwrap_or(crate::IntInfo::from_word(0));
            if i.bits > 128 || u32::from(i.offset) + u32::from(i.bits) > t.size().saturating_mul(8)
            {
                return bad(format!(
                    "INT of {} bytes cannot hold {} bits at bit offset {}",
                    t.size(),
                    i.bits,
                    i.offset
                ));
            }
        }
        Kind::Struct | Kind::Union if t.kflag() => {
            for (i, offset) in t.entry_words(2).enumerate() {
                let bitfield_size = offset >> 24;
                if bitfield_size > 128 {
                    return bad(format!(
                        "member #{i} has a bitfield size of {bitfield_size} bits"
                    ));
                }
            }
        }
        Kind::Enum | Kind::Enum64 if !matches!(t.size(), 1 | 2 | 4 | 8) => {
            return bad(format!(
                "{} of size {} (must be 1, 2, 4 or 8)",
                t.kind(),
                t.size()
            ));
        }
        _ => {}
    }
    Ok(())
}
