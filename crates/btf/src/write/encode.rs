//! Serializing type definitions as raw BTF. Every count and value is checked
//! against the field that holds it: what does not fit is an error naming the
//! type, never truncated.

use std::collections::HashMap;

use super::builder::Strings;
use super::def::{Body, TypeDef};
use crate::btf::{Endian, TypeId, BTF_MAGIC, HEADER_LEN, MAX_TYPE_COUNT};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::printable::printable;

/// Most entries (members, enumerators, parameters, variables) one type holds:
/// the 16-bit vlen.
const MAX_VLEN: usize = 0xffff;

/// The offset a new string `s` gets in a section that starts at `start` and
/// holds `len` bytes; fails if `s` holds a NUL or the section would pass 4 GiB.
pub(super) fn next_string_offset(start: u32, len: usize, s: &str) -> Result<u32> {
    if s.contains('\0') {
        return Err(Error::BadName {
            text: s.to_owned(),
            why: "it contains a NUL byte, which ends a BTF string",
        });
    }
    let end = u64::from(start) + len as u64 + s.len() as u64 + 1;
    if end > u64::from(u32::MAX) {
        return Err(Error::TooLarge {
            what: "the string section",
            size: end,
            max: u32::MAX.into(),
        });
    }
    Ok(start + len as u32)
}

/// The strings the types name that the kept section lacks, appended after it.
struct NewStrings<'a> {
    kept: &'a Strings,
    bytes: Vec<u8>,
    offsets: HashMap<&'a str, u32>,
}

impl<'a> NewStrings<'a> {
    fn offset(&mut self, id: TypeId, s: &'a str) -> Result<u32> {
        if let Some(&off) = self.kept.offsets.get(s) {
            return Ok(off);
        }
        if let Some(&off) = self.offsets.get(s) {
            return Ok(off);
        }
        let len = self.kept.bytes.len() + self.bytes.len();
        let off = next_string_offset(self.kept.start, len, s).map_err(|e| match e {
            Error::BadName { why, .. } => Error::Unwritable {
                id,
                why: format!("the name {} is not a BTF string: {why}", printable(s)),
            },
            e => e,
        })?;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        self.offsets.insert(s, off);
        Ok(off)
    }
}

/// Serializes `types` (the first with id `first_id`) and the string section.
pub(super) fn encode(
    types: &[TypeDef],
    first_id: u32,
    strings: &Strings,
    endian: Endian,
) -> Result<Vec<u8>> {
    let count = u64::from(first_id) + types.len() as u64;
    if count > u64::from(MAX_TYPE_COUNT) {
        return Err(Error::TooLarge {
            what: "the number of type ids",
            size: count,
            max: MAX_TYPE_COUNT.into(),
        });
    }
    let mut new_strings = NewStrings {
        kept: strings,
        bytes: Vec::new(),
        offsets: HashMap::new(),
    };
    let mut words = Vec::new();
    for (i, def) in types.iter().enumerate() {
        let id = TypeId(first_id + i as u32);
        encode_type(id, def, &mut new_strings, &mut words)?;
    }
    let type_len = words.len() as u64 * 4;
    let str_len = (strings.bytes.len() + new_strings.bytes.len()) as u64;
    if type_len + str_len > u64::from(u32::MAX) {
        return Err(Error::TooLarge {
            what: "the type and string sections",
            size: type_len + str_len,
            max: u32::MAX.into(),
        });
    }
    let mut out = Vec::with_capacity(HEADER_LEN as usize + (type_len + str_len) as usize);
    let magic = match endian {
        Endian::Little => BTF_MAGIC.to_le_bytes(),
        Endian::Big => BTF_MAGIC.to_be_bytes(),
    };
    out.extend_from_slice(&magic);
    out.extend_from_slice(&[1, 0]);
    let (type_len, str_len) = (type_len as u32, str_len as u32);
    for w in [HEADER_LEN, 0, type_len, type_len, str_len] {
        out.extend_from_slice(&endian.write_u32(w));
    }
    for &w in &words {
        out.extend_from_slice(&endian.write_u32(w));
    }
    out.extend_from_slice(&strings.bytes);
    out.extend_from_slice(&new_strings.bytes);
    Ok(out)
}

/// The vlen of `n` entries, or an error naming the type.
fn vlen(id: TypeId, n: usize, what: &str) -> Result<u32> {
    if n > MAX_VLEN {
        return Err(Error::Unwritable {
            id,
            why: format!("{n} {what}, but a BTF type holds at most {MAX_VLEN}"),
        });
    }
    Ok(n as u32)
}

/// Appends one type record to `words`.
fn encode_type<'a>(
    id: TypeId,
    def: &'a TypeDef,
    strings: &mut NewStrings<'a>,
    words: &mut Vec<u32>,
) -> Result<()> {
    let bad = |why: String| Err(Error::Unwritable { id, why });
    let name = strings.offset(id, &def.name)?;
    let (vlen, third): (u32, u32) = match &def.body {
        Body::Int { size, .. } | Body::Float { size } => (0, *size),
        Body::Ref { target, .. } | Body::DeclTag { target, .. } => (0, target.0),
        Body::Array { .. } | Body::Fwd => (0, 0),
        Body::Composite { size, members, .. } => (vlen(id, members.len(), "members")?, *size),
        Body::Enum { size, values, .. } => (vlen(id, values.len(), "enumerators")?, *size),
        Body::Func { proto, linkage } => {
            let linkage = linkage.to_u32();
            if linkage as usize > MAX_VLEN {
                return bad(format!(
                    "FUNC linkage {linkage} does not fit the 16-bit vlen"
                ));
            }
            (linkage, proto.0)
        }
        Body::FuncProto { ret, params } => (vlen(id, params.len(), "parameters")?, ret.0),
        Body::Var { ty, .. } => (0, ty.0),
        Body::Datasec { size, vars } => (vlen(id, vars.len(), "variables")?, *size),
    };
    let kind = def.kind();
    if let Body::Ref { kind, .. } = &def.body {
        if !(kind.is_modifier() || matches!(kind, Kind::Ptr | Kind::Typedef)) {
            return bad(format!("{kind} is not a reference kind"));
        }
    }
    let info = (u32::from(def.kflag) << 31) | ((kind as u32) << 24) | vlen;
    words.extend([name, info, third]);
    match &def.body {
        Body::Int { info, .. } => {
            if info.encoding > 0x0f {
                return bad(format!(
                    "INT encoding {:#x} does not fit its 4 bits",
                    info.encoding
                ));
            }
            words.push(info.to_word());
        }
        Body::Array {
            elem,
            index,
            nelems,
        } => words.extend([elem.0, index.0, *nelems]),
        Body::Composite { members, .. } => {
            for (i, m) in members.iter().enumerate() {
                let name = strings.offset(id, &m.name)?;
                let offset = if def.kflag {
                    if m.bitfield_size > 0xff || m.bit_offset > 0x00ff_ffff {
                        return bad(format!(
                            "member #{i} ({} bits at bit offset {}) does not fit the kind-flag \
                             encoding (8-bit size, 24-bit offset)",
                            m.bitfield_size, m.bit_offset
                        ));
                    }
                    (m.bitfield_size << 24) | m.bit_offset
                } else {
                    if m.bitfield_size != 0 {
                        return bad(format!(
                            "member #{i} is a bitfield of {} bits, which needs the kind flag",
                            m.bitfield_size
                        ));
                    }
                    m.bit_offset
                };
                words.extend([name, m.ty.0, offset]);
            }
        }
        Body::Enum { is64, values, .. } => {
            for (i, (n, v)) in values.iter().enumerate() {
                if !is64 && !(i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(v) {
                    return bad(format!(
                        "enumerator #{i} = {v} does not fit an ENUM's 32 bits (an ENUM64 would hold it)"
                    ));
                }
                let name = strings.offset(id, n)?;
                words.extend([name, *v as u32]);
                if *is64 {
                    words.push((*v as u64 >> 32) as u32);
                }
            }
        }
        Body::FuncProto { params, .. } => {
            for (n, ty) in params {
                let name = strings.offset(id, n)?;
                words.extend([name, ty.0]);
            }
        }
        Body::Var { linkage, .. } => words.push(linkage.to_u32()),
        Body::Datasec { vars, .. } => {
            for v in vars {
                words.extend([v.ty.0, v.offset, v.size]);
            }
        }
        Body::DeclTag { component_idx, .. } => words.push(*component_idx as u32),
        Body::Ref { .. } | Body::Fwd | Body::Func { .. } | Body::Float { .. } => {}
    }
    Ok(())
}
