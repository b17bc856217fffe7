//! Access specs: an access string (`"0:1:2"`) resolved against a BTF type, as
//! libbpf's `bpf_core_parse_spec` does. The raw spec keeps every index; the
//! accessors keep the "turning points" (named fields and array indices) that
//! candidate matching follows.

use corex_btf::{Btf, Kind, TypeId};

use super::format::type_desc;
use super::kind::RelocKind;
use crate::error::{Error, Result};

/// Deepest access string libbpf accepts (`BPF_CORE_SPEC_MAX_LEN`).
pub const MAX_SPEC_LEN: usize = 64;

/// One high-level step of a spec: a named member, or an array index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accessor<'a> {
    /// For a member: the struct/union holding it; for an index: the element type.
    pub type_id: TypeId,
    /// Member index or array index.
    pub idx: u32,
    /// Member (or enumerator) name; `None` for an array index.
    pub name: Option<&'a str>,
}

/// A resolved access: which BTF, which root type, the path and the bit offset.
#[derive(Clone, Debug)]
pub struct Spec<'a> {
    /// The BTF the ids refer to.
    pub btf: &'a Btf,
    /// The root type (as named by the relocation or the candidate).
    pub root: TypeId,
    /// The relocation kind.
    pub kind: RelocKind,
    /// Every index, anonymous members included.
    pub raw: Vec<u32>,
    /// The high-level accessors.
    pub accessors: Vec<Accessor<'a>>,
    /// Bit offset of the field from the start of the root.
    pub bit_offset: u32,
}

impl<'a> Spec<'a> {
    /// An empty spec on `root` (what type-based kinds use).
    pub fn empty(btf: &'a Btf, root: TypeId, kind: RelocKind) -> Spec<'a> {
        Spec {
            btf,
            root,
            kind,
            raw: Vec::new(),
            accessors: Vec::new(),
            bit_offset: 0,
        }
    }
}

/// Size of a type for spec arithmetic, or why it has none.
pub(crate) fn type_size(btf: &Btf, id: TypeId) -> std::result::Result<u64, String> {
    btf.resolve_size(id)
        .filter(|&s| s <= u64::from(u32::MAX))
        .ok_or_else(|| format!("{} has no size", type_desc(btf, id)))
}

/// Reads `"0:1:2"` into indices the way libbpf's `sscanf("%d")` loop does.
fn parse_indices(s: &str) -> std::result::Result<Vec<u32>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        if b[at] == b':' {
            at += 1;
        }
        let start = at;
        while at < b.len() && b[at].is_ascii_whitespace() {
            at += 1;
        }
        let negative = b.get(at) == Some(&b'-');
        if matches!(b.get(at), Some(b'-' | b'+')) {
            at += 1;
        }
        let digits = at;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        if at == digits {
            return Err(format!("expected a number at position {start}"));
        }
        let value: u64 = s[digits..at].parse().unwrap_or(u64::MAX);
        if negative && value != 0 {
            return Err(format!("negative index -{value}"));
        }
        let value = u32::try_from(value)
            .ok()
            .filter(|&v| v <= i32::MAX as u32)
            .ok_or_else(|| format!("index {} is out of range", &s[digits..at]))?;
        if out.len() == MAX_SPEC_LEN {
            return Err(format!("more than {MAX_SPEC_LEN} levels"));
        }
        out.push(value);
    }
    Ok(out)
}

/// Resolves an access string against `root` in `btf`. `access` is `None`
/// when the string offset does not point into the string table.
pub fn parse_spec<'a>(
    btf: &'a Btf,
    root: TypeId,
    access: Option<&str>,
    kind: RelocKind,
) -> Result<Spec<'a>> {
    let fail = |why: String| Error::AccessString {
        access: access.unwrap_or("<?>").to_owned(),
        root: type_desc(btf, root),
        why,
    };
    let access = match access {
        None => {
            return Err(fail(
                "the access string offset is past the string table".into(),
            ))
        }
        Some("") => return Err(fail("the access string is empty".into())),
        Some(s) if s.starts_with(':') => {
            return Err(fail("the access string starts with ':'".into()))
        }
        Some(s) => s,
    };
    let mut spec = Spec::empty(btf, root, kind);
    if kind.is_type_based() {
        if access != "0" {
            return Err(fail(format!(
                "{kind} relocations take the access string \"0\""
            )));
        }
        return Ok(spec);
    }
    spec.raw = parse_indices(access).map_err(fail)?;
    let t = btf.skip_mods_and_typedefs(root);
    let mut id = t.id();
    let first = spec.raw[0];
    spec.accessors.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    if kind.is_enumval_based() {
        if !t.kind().is_any_enum() {
            return Err(fail(format!("{} is not an enum", type_desc(btf, id))));
        }
        if spec.raw.len() > 1 {
            return Err(fail("an enumerator relocation takes a single index".into()));
        }
        let value = t.enum_values().nth(first as usize).ok_or_else(|| {
            fail(format!(
                "enumerator #{first} does not exist ({} has {})",
                type_desc(btf, id),
                t.vlen()
            ))
        })?;
        spec.accessors[0].name = Some(value.name);
        return Ok(spec);
    }
    if !kind.is_field_based() {
        return Err(fail(format!(
            "{kind} is not a field, type or enumerator relocation"
        )));
    }
    let size = type_size(btf, id).map_err(fail)?;
    spec.bit_offset = u64::from(first).wrapping_mul(size).wrapping_mul(8) as u32;
    for i in 1..spec.raw.len() {
        let t = btf.skip_mods_and_typedefs(id);
        id = t.id();
        let idx = spec.raw[i];
        if t.is_composite() {
            let m = t.member(idx as usize).ok_or_else(|| {
                fail(format!(
                    "member #{idx} does not exist ({} has {} members)",
                    type_desc(btf, id),
                    t.vlen()
                ))
            })?;
            spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
            if m.name_off != 0 {
                if m.name.is_empty() {
                    return Err(fail(format!(
                        "member #{idx} of {} has an unreadable name",
                        type_desc(btf, id)
                    )));
                }
                spec.accessors.push(Accessor {
                    type_id: id,
                    idx,
                    name: Some(m.name),
                });
            }
            id = m.ty;
        } else if let Some(a) = t.array() {
            let elem = btf.skip_mods_and_typedefs(a.elem).id();
            let flex = is_flex_array(btf, spec.accessors.last(), a.nelems);
            if !flex && idx >= a.nelems {
                return Err(fail(format!(
                    "index {idx} is out of range for {} of {} elements",
                    type_desc(btf, t.id()),
                    a.nelems
                )));
            }
            spec.accessors.push(Accessor {
                type_id: elem,
                idx,
                name: None,
            });
            id = elem;
            let size = type_size(btf, id).map_err(fail)?;
            spec.bit_offset = spec
                .bit_offset
                .wrapping_add(u64::from(idx).wrapping_mul(size).wrapping_mul(8) as u32);
        } else {
            return Err(fail(format!(
                "index #{i} reaches {}, which is neither a struct, a union nor an array",
                type_desc(btf, id)
            )));
        }
    }
    Ok(spec)
}

/// libbpf's `is_flex_arr`: an array of zero elements that is the last
/// member of the struct the previous (named) accessor reached.
pub(crate) fn is_flex_array(btf: &Btf, prev: Option<&Accessor<'_>>, nelems: u32) -> bool {
    let Some(prev) = prev else { return false };
    if prev.name.is_none() || nelems > 0 {
        return false;
    }
    let holder = btf.ty(prev.type_id);
    holder.kind() != Kind::Void && prev.idx as usize + 1 == holder.vlen()
}

#[cfg(test)]
mod tests {
    use super::parse_indices;

    #[test]
    fn access_strings_parse_like_libbpf() {
        assert_eq!(parse_indices("0:1:2"), Ok(vec![0, 1, 2]));
        assert_eq!(parse_indices("7"), Ok(vec![7]));
        assert!(parse_indices("0:").is_err());
        assert!(parse_indices("0::1").is_err());
        assert!(parse_indices("0:x").is_err());
        assert!(parse_indices("0:-1").is_err());
        assert!(parse_indices("0:99999999999").is_err());
        assert_eq!(
            parse_indices(&vec!["0"; 64].join(":")).map(|v| v.len()),
            Ok(64)
        );
        assert!(parse_indices(&vec!["0"; 65].join(":")).is_err());
    }
}
