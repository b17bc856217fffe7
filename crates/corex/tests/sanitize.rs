//! BTF sanitizing shown on this kernel: each BTF feature is pretended
//! missing ([`Kernel::pretend_missing`]) and real objects are loaded; the
//! program BTF the kernel then holds (read back by id) has none of the
//! kinds the feature covers, and everything still loads. The real objects
//! are libbpf-tools' and the loader tests'; one of them gets the kinds
//! clang 14 does not emit (FLOAT, DECL_TAG, TYPE_TAG, ENUM64) appended to
//! its `.BTF`, and loaded with every feature first, to show the kernel
//! takes them when nothing is pretended. Without BTF functions, libbpf's
//! rewrite of FUNC_PROTO into an ENUM leaves unnamed parameters as unnamed
//! enumerators, which this kernel (knowing FUNC) refuses; the object then
//! loads without BTF, and the test checks that this is the only reason.
//! Needs root.

mod common;

use common::sys::require_privileges;
use common::{elf_section, loader_test, unload};
use corex::sys::BtfFd;
use corex::{Feature, Kernel, LoadedObject, OpenObject};
use corex_btf::{Btf, Kind, Linkage};
use std::collections::BTreeSet;
use std::path::Path;

/// The kinds (and global FUNCs, as `Func` + linkage) of the program BTF
/// the kernel holds for `loaded`; `None` when it has none.
fn kernel_kinds(loaded: &LoadedObject) -> Option<(BTreeSet<Kind>, bool)> {
    let id = loaded.btf_id()?;
    let data = BtfFd::from_id(id).unwrap().data().unwrap();
    let btf = Btf::parse(&data).unwrap();
    let kinds = btf.types().map(|t| t.kind()).collect();
    let global_func = btf
        .types()
        .any(|t| t.kind() == Kind::Func && t.linkage() == Some(Linkage::Global));
    Some((kinds, global_func))
}

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}

/// `object` with FLOAT, TYPE_TAG (under a PTR), DECL_TAG (on the first
/// FUNC) and ENUM64 types appended to its `.BTF`: the section's new
/// contents go to the end of the file and its header points there. Type
/// and string offsets already in use do not move, so `.BTF.ext` stays valid.
fn with_extra_kinds(object: &[u8]) -> Vec<u8> {
    let sec = elf_section(object, ".BTF");
    let btf = &object[sec.clone()];
    let parsed = Btf::parse(btf).unwrap();
    let first_func = parsed.types().position(|t| t.kind() == Kind::Func).unwrap() as u32 + 1;
    let int = parsed.types().position(|t| t.kind() == Kind::Int).unwrap() as u32 + 1;
    let next = parsed.types().count() as u32 + 1;
    let (hdr_len, type_off, type_len, str_off, str_len) = (
        u32_at(btf, 4) as usize,
        u32_at(btf, 8) as usize,
        u32_at(btf, 12) as usize,
        u32_at(btf, 16) as usize,
        u32_at(btf, 20) as usize,
    );
    let mut strings = btf[hdr_len + str_off..hdr_len + str_off + str_len].to_vec();
    let mut name = |s: &str| {
        let at = strings.len() as u32;
        strings.extend(s.as_bytes());
        strings.push(0);
        at
    };
    let info = |kind: Kind, vlen: u32| ((kind as u32) << 24) | vlen;
    let words: Vec<u32> = [
        // FLOAT 'float' size 4
        vec![name("float"), info(Kind::Float, 0), 4],
        // TYPE_TAG 'user' -> int, PTR -> TYPE_TAG
        vec![name("user"), info(Kind::TypeTag, 0), int],
        vec![0, info(Kind::Ptr, 0), next + 1],
        // DECL_TAG 'corex' on the first FUNC itself
        vec![name("corex"), info(Kind::DeclTag, 0), first_func, u32::MAX],
        // ENUM64 'corex_e64' { CX_BIG = 1 << 40 }
        vec![
            name("corex_e64"),
            info(Kind::Enum64, 1),
            8,
            name("CX_BIG"),
            0,
            1 << 8,
        ],
    ]
    .concat();
    let mut types = btf[hdr_len + type_off..hdr_len + type_off + type_len].to_vec();
    types.extend(words.iter().flat_map(|w| w.to_le_bytes()));
    let mut new_btf = btf[..hdr_len].to_vec();
    new_btf[8..12].copy_from_slice(&0u32.to_le_bytes());
    new_btf[12..16].copy_from_slice(&(types.len() as u32).to_le_bytes());
    new_btf[16..20].copy_from_slice(&(types.len() as u32).to_le_bytes());
    new_btf[20..24].copy_from_slice(&(strings.len() as u32).to_le_bytes());
    new_btf.extend(types);
    new_btf.extend(strings);

    let mut out = object.to_vec();
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let new_offset = out.len() as u64;
    out.extend(&new_btf);
    // Point the .BTF section header at the new data.
    let shoff = u64::from_le_bytes(object[0x28..0x30].try_into().unwrap()) as usize;
    let shnum = u16::from_le_bytes(object[0x3c..0x3e].try_into().unwrap()) as usize;
    let header = (0..shnum)
        .map(|i| shoff + i * 64)
        .find(|h| {
            u64::from_le_bytes(object[h + 0x18..h + 0x20].try_into().unwrap()) == sec.start as u64
        })
        .unwrap();
    out[header + 0x18..header + 0x20].copy_from_slice(&new_offset.to_le_bytes());
    out[header + 0x20..header + 0x28].copy_from_slice(&(new_btf.len() as u64).to_le_bytes());
    out
}

/// The kinds feature `f` covers.
fn kinds_of(f: Feature) -> &'static [Kind] {
    match f {
        Feature::BtfFunc => &[Kind::Func, Kind::FuncProto],
        Feature::BtfDatasec => &[Kind::Var, Kind::Datasec],
        Feature::BtfFloat => &[Kind::Float],
        Feature::BtfDeclTag => &[Kind::DeclTag],
        Feature::BtfTypeTag => &[Kind::TypeTag],
        Feature::BtfEnum64 => &[Kind::Enum64],
        _ => &[],
    }
}

/// BTF and its kinds: the features whose names start with `btf`.
fn btf_features() -> impl Iterator<Item = Feature> {
    Feature::ALL
        .into_iter()
        .filter(|f| f.name().starts_with("btf"))
}

#[test]
fn each_btf_feature_pretended_missing_is_sanitized_away() {
    require_privileges();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-objects-sanitize");
    let script = corex_testkit::repo_root().join("bpf/real-objects/extract.sh");
    corex_testkit::run(std::process::Command::new(script).arg(&dir));
    let pick = |tool: &str| {
        let path = dir.join(format!("{tool}.bpf.o"));
        assert!(path.exists(), "{tool} is among libbpf-tools' objects");
        (tool.to_owned(), std::fs::read(path).unwrap())
    };
    let mut objects = vec![
        pick("execsnoop"),
        pick("opensnoop"),
        pick("runqlat"),
        pick("biolatency"),
        pick("tcpconnect"),
        pick("ksnoop"),
    ];
    for test in ["globals.bpf.o", "subprogs.bpf.o", "maps.bpf.o"] {
        objects.push((test.to_owned(), std::fs::read(loader_test(test)).unwrap()));
    }
    let extra = with_extra_kinds(&objects[1].1);
    objects.push(("opensnoop+kinds".to_owned(), extra.clone()));

    // With nothing pretended, the kernel takes every kind.
    let kernel = Kernel::new().unwrap();
    let loaded = OpenObject::from_bytes("opensnoop+kinds", &extra)
        .unwrap()
        .load_into(&kernel)
        .unwrap();
    let (kinds, global_func) = kernel_kinds(&loaded).unwrap();
    for f in btf_features() {
        for kind in kinds_of(f) {
            assert!(
                kinds.contains(kind),
                "{kind:?} reaches the kernel unsanitized"
            );
        }
    }
    assert!(global_func);
    unload(loaded);

    for feature in btf_features() {
        let kernel = Kernel::new().unwrap().pretend_missing(feature);
        for (name, bytes) in &objects {
            let loaded = OpenObject::from_bytes(name, bytes)
                .unwrap()
                .load_into(&kernel)
                .unwrap_or_else(|e| panic!("{name} without {feature}: {e}"));
            match kernel_kinds(&loaded) {
                // libbpf rewrites FUNC_PROTO as an ENUM of its parameters;
                // an unnamed parameter becomes an unnamed enumerator, which
                // kernels that know FUNC refuse ("Invalid name"): the object
                // then loads without BTF, as libbpf's does.
                None if feature == Feature::BtfFunc => {
                    let why = loaded.btf_refused().unwrap_or_default();
                    assert!(
                        why.contains("ENUM") && why.contains("Invalid name"),
                        "{name}: {why}"
                    );
                }
                None => assert_eq!(
                    feature,
                    Feature::Btf,
                    "{name}: program BTF refused: {:?}",
                    loaded.btf_refused()
                ),
                Some((kinds, global_func)) => {
                    assert_ne!(feature, Feature::Btf, "{name}: no BTF without BTF");
                    for kind in kinds_of(feature) {
                        assert!(!kinds.contains(kind), "{name} without {feature}: {kind:?}");
                    }
                    if feature == Feature::BtfGlobalFunc {
                        assert!(!global_func, "{name}: global FUNC left");
                    }
                }
            }
            if matches!(feature, Feature::Btf | Feature::BtfFunc) {
                for prog in loaded.programs() {
                    let info = prog.fd().info().unwrap();
                    assert_eq!(info.btf_id, 0, "{name}: {} got func info", prog.name());
                }
            }
            if feature == Feature::Btf {
                for map in loaded.maps() {
                    assert_eq!(map.fd().info().unwrap().btf_id, 0, "{name}: {}", map.name());
                }
            }
            unload(loaded);
        }
    }
}
