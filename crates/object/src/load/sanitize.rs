//! Program BTF for kernels that lack some BTF kinds, rewritten as libbpf's
//! `bpf_object__sanitize_btf` does, and the tiny BTFs libbpf loads to probe
//! for each kind (`probe_kern_btf_*`), byte for byte, so the library's
//! probes and the plan's rewriting share one definition of each feature.

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, Endian, Kind, Linkage, TypeId, BTF_MAGIC, HEADER_LEN};

use super::inputs::{Feature, Features};
use super::prog_btf::TypeDefs;

/// Whether the kernel lacks a BTF feature the program BTF may use
/// (libbpf's `btf_needs_sanitization`).
pub(crate) fn needs_sanitizing(features: Features) -> bool {
    Feature::SANITIZED.iter().any(|f| !features.has(*f))
}

/// An unsigned 1-byte INT named `name` (what libbpf puts in place of a
/// kind the kernel lacks).
fn int8(name: &str) -> TypeDef {
    TypeDef::int(name, 1, 0)
}

/// A copy of `defs` with every kind `features` lacks rewritten as libbpf
/// does: VAR and DECL_TAG become 1-byte INTs, DATASEC a STRUCT, FUNC_PROTO
/// an ENUM and FUNC a TYPEDEF (without FUNC), global FUNCs static, FLOAT an
/// anonymous empty STRUCT of its size, TYPE_TAG an anonymous CONST, ENUM
/// loses its kind flag and ENUM64 becomes a UNION of a placeholder 1-byte
/// INT (added once at the end). With the ids of the former DATASECs, whose
/// names libbpf rewrites in place (`.` to `_`, in the string section:
/// [`encode`] does it).
pub(crate) fn sanitize(defs: &TypeDefs, features: Features) -> (TypeDefs, Vec<TypeId>) {
    let has = |f| features.has(f);
    let mut out = defs.clone();
    let var_names: Vec<String> = defs.defs.iter().map(|d| d.name.clone()).collect();
    let mut placeholder: Option<TypeId> = None;
    let mut datasecs = Vec::new();
    for i in 0..out.defs.len() {
        let d = &out.defs[i];
        let kind = d.kind();
        let new = if (!has(Feature::BtfDatasec) && kind == Kind::Var)
            || (!has(Feature::BtfDeclTag) && kind == Kind::DeclTag)
        {
            Some(int8(&d.name))
        } else if let (false, Body::Datasec { size, vars }) = (has(Feature::BtfDatasec), &d.body) {
            let members = vars
                .iter()
                .map(|v| MemberDef {
                    name: (v.ty.0 as usize)
                        .checked_sub(1)
                        .and_then(|i| var_names.get(i))
                        .cloned()
                        .unwrap_or_default(),
                    ty: v.ty,
                    bit_offset: v.offset.wrapping_mul(8),
                    bitfield_size: 0,
                })
                .collect();
            datasecs.push(TypeId(i as u32 + 1));
            Some(TypeDef {
                name: d.name.clone(),
                kflag: false,
                body: Body::Composite {
                    is_union: false,
                    size: *size,
                    members,
                },
            })
        } else if let (false, Body::FuncProto { params, .. }) = (has(Feature::BtfFunc), &d.body) {
            Some(TypeDef {
                name: d.name.clone(),
                kflag: false,
                body: Body::Enum {
                    is64: false,
                    size: 4,
                    values: params
                        .iter()
                        .map(|(n, ty)| (n.clone(), i64::from(ty.0 as i32)))
                        .collect(),
                },
            })
        } else if let Body::Func { proto, .. } = &d.body {
            if !has(Feature::BtfFunc) {
                Some(TypeDef {
                    name: d.name.clone(),
                    kflag: false,
                    body: Body::Ref {
                        kind: Kind::Typedef,
                        target: *proto,
                    },
                })
            } else if !has(Feature::BtfGlobalFunc) {
                Some(TypeDef {
                    name: d.name.clone(),
                    kflag: false,
                    body: Body::Func {
                        proto: *proto,
                        linkage: Linkage::Static,
                    },
                })
            } else {
                None
            }
        } else if let (false, Body::Float { size }) = (has(Feature::BtfFloat), &d.body) {
            Some(TypeDef {
                name: String::new(),
                kflag: false,
                body: Body::Composite {
                    is_union: false,
                    size: *size,
                    members: Vec::new(),
                },
            })
        } else if let (false, Kind::TypeTag, Body::Ref { target, .. }) =
            (has(Feature::BtfTypeTag), kind, &d.body)
        {
            Some(TypeDef {
                name: String::new(),
                kflag: false,
                body: Body::Ref {
                    kind: Kind::Const,
                    target: *target,
                },
            })
        } else if let (false, Body::Enum { is64, size, values }) =
            (has(Feature::BtfEnum64), &d.body)
        {
            if *is64 {
                let ph = *placeholder.get_or_insert_with(|| TypeId((defs.defs.len() + 1) as u32));
                Some(TypeDef {
                    name: d.name.clone(),
                    kflag: false,
                    body: Body::Composite {
                        is_union: true,
                        size: *size,
                        members: values
                            .iter()
                            .map(|(n, _)| MemberDef {
                                name: n.clone(),
                                ty: ph,
                                bit_offset: 0,
                                bitfield_size: 0,
                            })
                            .collect(),
                    },
                })
            } else {
                Some(TypeDef {
                    kflag: false,
                    ..d.clone()
                })
            }
        } else {
            None
        };
        if let Some(new) = new {
            out.defs[i] = new;
        }
    }
    if placeholder.is_some() {
        out.push(int8("enum64_placeholder"));
    }
    (out, datasecs)
}

/// `defs` as raw BTF whose string section is the object's own (`.BTF`'s,
/// byte for byte) with any name it lacks appended, as libbpf 1.1 hands the
/// kernel the object's BTF: every string offset of `original` (line info's
/// file names and source lines) stays valid. The names of `dots_in_place`
/// (sanitized DATASECs) then have `.` replaced by `_` where they lie in the
/// section, as libbpf does.
pub(crate) fn encode(
    defs: &TypeDefs,
    endian: Endian,
    original: &Btf,
    dots_in_place: &[TypeId],
) -> corex_btf::Result<Vec<u8>> {
    let mut b = BtfBuilder::from_btf(original);
    b.retain(|_, _| false)?;
    for d in &defs.defs {
        b.add(d);
    }
    let mut bytes = b.to_bytes(endian)?;
    if !dots_in_place.is_empty() {
        let written = Btf::parse(&bytes)?;
        let h = written.header();
        let strings = (h.hdr_len + h.str_off) as usize;
        for id in dots_in_place {
            let at = strings + written.ty(*id).name_off() as usize;
            for byte in bytes[at..].iter_mut().take_while(|b| **b != 0) {
                if *byte == b'.' {
                    *byte = b'_';
                }
            }
        }
    }
    Ok(bytes)
}

/// The tiny BTF libbpf loads to learn whether the kernel has `feature`
/// (`probe_kern_btf*`), byte for byte as libbpf builds it, in `endian`.
/// `None` for features not probed with BTF. [`Feature::ModuleBtf`] is
/// probed with [`Feature::Btf`]'s BTF plus a `BPF_OBJ_GET_INFO_BY_FD` that
/// asks for the BTF's name.
pub fn probe_btf(feature: Feature, endian: Endian) -> Option<Vec<u8>> {
    let enc = |kind: Kind, kflag: bool, vlen: u32| -> u32 {
        (u32::from(kflag) << 31) | ((kind as u32) << 24) | vlen
    };
    let int = |name: u32| [name, enc(Kind::Int, false, 0), 4, (1 << 24) | 32];
    let (types, strings): (Vec<u32>, &[u8]) = match feature {
        Feature::Btf | Feature::ModuleBtf => (int(1).to_vec(), b"\0int\0"),
        Feature::BtfFunc | Feature::BtfGlobalFunc => {
            let linkage = u32::from(feature == Feature::BtfGlobalFunc);
            let mut t = int(1).to_vec();
            t.extend([0, enc(Kind::FuncProto, false, 1), 0, 7, 1]);
            t.extend([5, enc(Kind::Func, false, linkage), 2]);
            (t, b"\0int\0x\0a\0")
        }
        Feature::BtfDatasec => {
            let mut t = int(0).to_vec();
            t.extend([1, enc(Kind::Var, false, 0), 1, 0]);
            t.extend([3, enc(Kind::Datasec, false, 1), 4, 2, 0, 4]);
            (t, b"\0x\0.data\0")
        }
        Feature::BtfFloat => (vec![1, enc(Kind::Float, false, 0), 4], b"\0float\0"),
        Feature::BtfDeclTag => {
            let mut t = int(0).to_vec();
            t.extend([1, enc(Kind::Var, false, 0), 1, 0]);
            t.extend([1, enc(Kind::DeclTag, false, 0), 2, u32::MAX]);
            (t, b"\0tag\0")
        }
        Feature::BtfTypeTag => {
            let mut t = int(0).to_vec();
            t.extend([1, enc(Kind::TypeTag, false, 0), 1]);
            t.extend([0, enc(Kind::Ptr, false, 0), 2]);
            (t, b"\0tag\0")
        }
        Feature::BtfEnum64 => (vec![1, enc(Kind::Enum64, false, 0), 8], b"\0enum64\0"),
        _ => return None,
    };
    let words = |w: u32| match endian {
        Endian::Little => w.to_le_bytes(),
        Endian::Big => w.to_be_bytes(),
    };
    let type_len = (types.len() * 4) as u32;
    let magic = match endian {
        Endian::Little => BTF_MAGIC.to_le_bytes(),
        Endian::Big => BTF_MAGIC.to_be_bytes(),
    };
    let mut out = Vec::new();
    out.extend_from_slice(&magic);
    out.extend_from_slice(&[1, 0]);
    for w in [HEADER_LEN, 0, type_len, type_len, strings.len() as u32] {
        out.extend_from_slice(&words(w));
    }
    for w in types {
        out.extend_from_slice(&words(w));
    }
    out.extend_from_slice(strings);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// The bytes libbpf 1.1 sends in its probes, as the fake kernel of the
    /// load tests records them (`probe_kern_btf*`).
    const LIBBPF_PROBES: [(Feature, &str); 8] = [
        (Feature::Btf, "9feb010018000000000000001000000010000000050000000100000000000001040000002000000100696e7400"),
        (Feature::BtfFunc, "9feb0100180000000000000030000000300000000900000001000000000000010400000020000001000000000100000d000000000700000001000000050000000000000c0200000000696e740078006100"),
        (Feature::BtfGlobalFunc, "9feb0100180000000000000030000000300000000900000001000000000000010400000020000001000000000100000d000000000700000001000000050000000100000c0200000000696e740078006100"),
        (Feature::BtfDatasec, "9feb0100180000000000000038000000380000000900000000000000000000010400000020000001010000000000000e0100000000000000030000000100000f040000000200000000000000040000000078002e6461746100"),
        (Feature::BtfFloat, "9feb010018000000000000000c0000000c0000000700000001000000000000100400000000666c6f617400"),
        (Feature::BtfDeclTag, "9feb0100180000000000000030000000300000000500000000000000000000010400000020000001010000000000000e0100000000000000010000000000001102000000ffffffff0074616700"),
        (Feature::BtfTypeTag, "9feb01001800000000000000280000002800000005000000000000000000000104000000200000010100000000000012010000000000000000000002020000000074616700"),
        (Feature::BtfEnum64, "9feb010018000000000000000c0000000c0000000800000001000000000000130800000000656e756d363400"),
    ];

    #[test]
    fn probes_are_libbpfs_bytes() {
        for (f, bytes) in LIBBPF_PROBES {
            assert_eq!(hex(&probe_btf(f, Endian::Little).unwrap()), bytes, "{f}");
        }
        assert!(probe_btf(Feature::GlobalData, Endian::Little).is_none());
        for f in Feature::SANITIZED {
            let b = probe_btf(f, Endian::Big).unwrap();
            assert!(corex_btf::Btf::parse(&b).is_ok(), "{f}");
        }
    }
}
