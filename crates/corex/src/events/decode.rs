//! Records shown to a person: decoded with a BTF type where there is one
//! (`{pid: 42, comm: "bash", args: [1, 2]}`: fields by name, integers in
//! decimal, char arrays as text, enums by enumerator, pointers in hex), hex
//! bytes otherwise. Names and text from the object go through
//! [`corex_btf::printable`].

use corex_btf::{printable, Btf, Kind, TypeId, MAX_RESOLVE_DEPTH};
use std::fmt::Write;

/// `bytes` as lowercase hex pairs separated by spaces.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `bytes` decoded as a value of BTF type `id`, `None` when the type has no
/// size, is larger than `bytes`, or cannot be shown (too deep). Bytes after
/// the type's size (padding the kernel added) are ignored.
pub fn format_value(btf: &Btf, id: TypeId, bytes: &[u8]) -> Option<String> {
    let size = btf.resolve_size(id)?;
    if size > bytes.len() as u64 {
        return None;
    }
    let mut out = String::new();
    write_value(btf, id, &bytes[..size as usize], 0, &mut out)?;
    Some(out)
}

/// Reads an unsigned little- or big-endian (host order) integer of up to 8
/// bytes.
fn read_uint(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    if cfg!(target_endian = "little") {
        buf[..n].copy_from_slice(&bytes[..n]);
        u64::from_le_bytes(buf)
    } else {
        buf[8 - n..].copy_from_slice(&bytes[..n]);
        u64::from_be_bytes(buf)
    }
}

/// Sign-extends the low `bits` of `value`.
fn sign_extend(value: u64, bits: u32) -> i64 {
    if bits == 0 || bits >= 64 {
        return value as i64;
    }
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

fn write_value(btf: &Btf, id: TypeId, bytes: &[u8], depth: u32, out: &mut String) -> Option<()> {
    if depth > MAX_RESOLVE_DEPTH as u32 {
        return None;
    }
    let ty = btf.skip_mods_and_typedefs(id);
    match ty.kind() {
        Kind::Int => {
            let info = ty.int()?;
            let raw = bytes.get(..ty.size() as usize)?;
            if ty.size() > 8 {
                let _ = write!(out, "0x{}", hex(raw).replace(' ', ""));
                return Some(());
            }
            let value = read_uint(raw);
            if info.is_bool() {
                out.push_str(if value != 0 { "true" } else { "false" });
            } else if info.is_signed() {
                let _ = write!(out, "{}", sign_extend(value, ty.size() * 8));
            } else {
                let _ = write!(out, "{value}");
            }
        }
        Kind::Ptr => {
            let _ = write!(out, "{:#x}", read_uint(bytes.get(..8)?));
        }
        Kind::Enum | Kind::Enum64 => {
            let raw = bytes.get(..ty.size() as usize)?;
            let value = read_uint(raw);
            let signed = sign_extend(value, ty.size() * 8);
            let name = ty
                .enum_values()
                .find(|v| v.value == signed || v.value as u64 & mask(ty.size()) == value);
            match name {
                Some(v) => {
                    let _ = write!(out, "{}", printable(v.name));
                }
                None if ty.is_signed_enum() => {
                    let _ = write!(out, "{signed}");
                }
                None => {
                    let _ = write!(out, "{value}");
                }
            }
        }
        Kind::Float => {
            let raw = bytes.get(..ty.size() as usize)?;
            match raw.len() {
                4 => {
                    let _ = write!(out, "{}", f32::from_bits(read_uint(raw) as u32));
                }
                8 => {
                    let _ = write!(out, "{}", f64::from_bits(read_uint(raw)));
                }
                _ => {
                    let _ = write!(out, "0x{}", hex(raw).replace(' ', ""));
                }
            }
        }
        Kind::Array => {
            let array = ty.array()?;
            let elem = btf.skip_mods_and_typedefs(array.elem);
            let elem_size = btf.resolve_size(array.elem)? as usize;
            let count = array.nelems as usize;
            let is_char = elem.kind() == Kind::Int
                && elem_size == 1
                && elem
                    .int()
                    .is_some_and(|i| i.is_char() || elem.name() == "char");
            if is_char {
                let text = bytes.get(..count)?;
                let end = text.iter().position(|b| *b == 0).unwrap_or(count);
                let _ = write!(out, "\"{}\"", printable(&text[..end]));
                return Some(());
            }
            out.push('[');
            for i in 0..count {
                if i > 0 {
                    out.push_str(", ");
                }
                let start = i.checked_mul(elem_size)?;
                let part = bytes.get(start..start.checked_add(elem_size)?)?;
                write_value(btf, array.elem, part, depth + 1, out)?;
            }
            out.push(']');
        }
        Kind::Struct | Kind::Union => {
            out.push('{');
            for (i, member) in ty.members().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if !member.name.is_empty() {
                    let _ = write!(out, "{}: ", printable(member.name));
                }
                if member.bitfield_size > 0 {
                    write_bitfield(
                        btf,
                        member.ty,
                        member.bit_offset,
                        member.bitfield_size,
                        bytes,
                        out,
                    )?;
                } else {
                    let start = (member.bit_offset / 8) as usize;
                    let size = btf.resolve_size(member.ty)? as usize;
                    let part = bytes.get(start..start.checked_add(size)?)?;
                    write_value(btf, member.ty, part, depth + 1, out)?;
                }
            }
            out.push('}');
        }
        _ => return None,
    }
    Some(())
}

fn mask(size: u32) -> u64 {
    if size >= 8 {
        u64::MAX
    } else {
        (1u64 << (size * 8)) - 1
    }
}

/// A bitfield member: `bits` bits from bit `offset` of the struct (little
/// endian: counted from the lowest bit of the first byte).
fn write_bitfield(
    btf: &Btf,
    ty: TypeId,
    offset: u32,
    bits: u32,
    bytes: &[u8],
    out: &mut String,
) -> Option<()> {
    if cfg!(target_endian = "big") || bits > 64 {
        return None;
    }
    let first = (offset / 8) as usize;
    let last = ((offset + bits).div_ceil(8) as usize).min(bytes.len());
    let mut wide = 0u128;
    for (i, b) in bytes.get(first..last)?.iter().enumerate() {
        wide |= u128::from(*b) << (8 * i);
    }
    let value = ((wide >> (offset % 8)) & ((1u128 << bits) - 1)) as u64;
    let signed = btf
        .skip_mods_and_typedefs(ty)
        .int()
        .is_some_and(|i| i.is_signed());
    if signed {
        let _ = write!(out, "{}", sign_extend(value, bits));
    } else {
        let _ = write!(out, "{value}");
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The BTF of bpf/loader-tests/buffers.bpf.o (its `struct record`).
    fn buffers_btf() -> Btf {
        let path = corex_testkit::repo_root().join("bpf/loader-tests/buffers.bpf.o");
        let data = std::fs::read(&path).unwrap();
        let (btf, _) = corex_btf::elf_btf_sections(&data).unwrap();
        Btf::from_vec(btf, None).unwrap()
    }

    fn type_named(btf: &Btf, kind: Kind, name: &str) -> TypeId {
        btf.types()
            .find(|t| t.kind() == kind && t.name() == name)
            .unwrap()
            .id()
    }

    #[test]
    fn records_are_shown_by_field() {
        let btf = buffers_btf();
        let record = type_named(&btf, Kind::Struct, "record");
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&5u64.to_ne_bytes());
        bytes.extend_from_slice(&16u32.to_ne_bytes());
        bytes.extend_from_slice(&1u32.to_ne_bytes());
        for w in 0..15u64 {
            bytes.extend_from_slice(&(if w < 2 { 5u64 } else { 0 }).to_ne_bytes());
        }
        assert_eq!(
            format_value(&btf, record, &bytes).unwrap(),
            "{seq: 5, payload_len: 16, cpu: 1, payload: [5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}"
        );
        // Too short for the type: not decoded.
        assert_eq!(format_value(&btf, record, &bytes[..20]), None);
        // Padding after the type is ignored.
        bytes.extend_from_slice(&[0xaa; 4]);
        assert!(format_value(&btf, record, &bytes).is_some());
    }

    #[test]
    fn char_arrays_are_text_and_escaped() {
        let btf = buffers_btf();
        let license = btf
            .types()
            .find(|t| t.kind() == Kind::Var && t.name() == "LICENSE")
            .unwrap();
        assert_eq!(
            format_value(&btf, license.type_id(), b"GPL\0").unwrap(),
            "\"GPL\""
        );
        assert_eq!(
            format_value(&btf, license.type_id(), b"\x1b[m\0").unwrap(),
            "\"\\x1b[m\""
        );
    }

    #[test]
    fn hex_fallback() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00 ab 10");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn integers_and_bitfields() {
        assert_eq!(sign_extend(0xff, 8), -1);
        assert_eq!(sign_extend(0x7f, 8), 127);
        assert_eq!(read_uint(&1u16.to_ne_bytes()), 1);
        assert_eq!(mask(2), 0xffff);
    }
}
