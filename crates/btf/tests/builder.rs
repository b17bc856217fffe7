//! `BtfBuilder`, the one editable BTF builder: bounds are errors naming the
//! type, edits in place keep ids and string offsets (as a loader's fix-ups
//! and sanitizing need), subsets are renumbered with their references (as a
//! minimizer needs), split BTF continues its base, and bpftool reads what it
//! writes. Exact lookups by name and kind agree with a scan on whole kernels.

#[allow(dead_code)]
mod common;
#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/exercise.rs"]
mod exercise;
#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use std::collections::HashMap;
use std::sync::Arc;

use common::{
    assert_same_text, kernel_module, load_as, raw_dump, run_bpftool_dump, running_kernel,
    scratch_file, Format,
};
use corex_btf::dump::Filter;
use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{
    Btf, Container, Endian, Error, IntInfo, Kind, Linkage, NameIndex, TypeId, VarSecInfo,
    INT_SIGNED,
};
use corex_testkit::kernel_file;

const DEBIAN_6_12: &str = "debian-6.12";

fn int_struct(members: usize) -> BtfBuilder {
    let mut b = BtfBuilder::new();
    let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    let members = (0..members)
        .map(|i| MemberDef::new(format!("m{i}"), int, 0))
        .collect();
    b.add(&TypeDef::union("wide", 4, members));
    b
}

#[track_caller]
fn unwritable(b: &BtfBuilder, id: u32, parts: &[&str]) {
    match b.to_bytes(Endian::Little) {
        Err(e @ Error::Unwritable { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(&format!("type [{id}]")), "{msg}");
            for p in parts {
                assert!(msg.contains(p), "{msg:?} lacks {p:?}");
            }
        }
        Err(e) => panic!("expected an unwritable type [{id}], got: {e}"),
        Ok(_) => panic!("expected an unwritable type [{id}], but it was written"),
    }
}

#[test]
fn a_vlen_past_65535_is_an_error_not_truncated() {
    let btf = int_struct(65_535).to_btf().expect("65535 members fit");
    assert_eq!(btf.ty(TypeId(2)).vlen(), 65_535);
    unwritable(&int_struct(65_536), 2, &["65536 members", "at most 65535"]);
    let mut b = BtfBuilder::new();
    let params = vec![(String::new(), TypeId::VOID); 70_000];
    b.add(&TypeDef::func_proto(TypeId::VOID, params));
    unwritable(&b, 1, &["70000 parameters"]);
}

#[test]
fn values_that_do_not_fit_their_fields_are_errors() {
    let cases: Vec<(TypeDef, &str)> = vec![
        (
            TypeDef::enumeration("e", false, 4, false, vec![("BIG".into(), 1 << 32)]),
            "does not fit an ENUM's 32 bits",
        ),
        (
            TypeDef::new(
                "s",
                Body::Composite {
                    is_union: false,
                    size: 4,
                    members: vec![MemberDef::bitfield("b", TypeId(1), 0, 3)],
                },
            ),
            "needs the kind flag",
        ),
        (
            TypeDef::structure(
                "s",
                4,
                vec![MemberDef::bitfield("b", TypeId(1), 1 << 24, 3)],
            ),
            "24-bit offset",
        ),
        (
            TypeDef::structure("s", 4, vec![MemberDef::bitfield("b", TypeId(1), 0, 256)]),
            "8-bit size",
        ),
        (
            TypeDef::func("f", TypeId(1), Linkage::Unknown(0x1_0000)),
            "16-bit vlen",
        ),
        (
            TypeDef::new(
                "i",
                Body::Int {
                    size: 4,
                    info: IntInfo {
                        encoding: 0x10,
                        offset: 0,
                        bits: 32,
                    },
                },
            ),
            "4 bits",
        ),
        (
            TypeDef::reference(Kind::Struct, "s", TypeId(1)),
            "not a reference kind",
        ),
        (TypeDef::typedef("a\0b", TypeId(1)), "NUL byte"),
    ];
    for (def, part) in cases {
        let mut b = BtfBuilder::new();
        b.add(&TypeDef::int("int", 4, INT_SIGNED));
        b.add(&def);
        unwritable(&b, 2, &[part]);
    }
    let mut b = BtfBuilder::new();
    assert!(matches!(b.add_string("x\0y"), Err(Error::BadName { .. })));
}

/// Types built here, written in both byte orders, read by corex and bpftool
/// alike.
fn assert_bpftool_reads(name: &str, bytes: &[u8], btf: &Btf) {
    let file = scratch_file(&format!("builder_{name}.btf"), bytes);
    assert_same_text(
        name,
        &raw_dump(btf, &Filter::default()),
        &run_bpftool_dump(&file, None, Format::Raw),
    );
}

/// libbpf's sanitizing, done in place: each kind an older kernel lacks
/// becomes one it has, at the same id, and the rest is untouched.
#[test]
fn sanitizing_edits_keep_ids_and_names() {
    let original = Btf::parse(&seeds::build(&seeds::all_kinds(), Endian::Little)).unwrap();
    let mut b = BtfBuilder::from_btf(&original);
    let ids: Vec<TypeId> = original.all_ids().collect();
    for &id in &ids {
        let def = b.get_mut(id).unwrap();
        let name = std::mem::take(&mut def.name);
        *def = match def.body.clone() {
            // VAR -> INT of the same name, DATASEC -> STRUCT of its vars.
            Body::Var { .. } => TypeDef::int(name, 1, 0),
            Body::Datasec { size, vars } => {
                let members = vars
                    .iter()
                    .map(|v| MemberDef::new("var", v.ty, v.offset * 8))
                    .collect();
                TypeDef::structure(name.replace('.', "_"), size, members)
            }
            // FUNC -> TYPEDEF of its prototype, ENUM64 -> UNION of its size.
            Body::Func { proto, .. } => TypeDef::typedef(name, proto),
            Body::Enum {
                is64: true, size, ..
            } => TypeDef::union(name, size, vec![]),
            // FLOAT -> STRUCT, DECL_TAG -> INT, TYPE_TAG -> CONST.
            Body::Float { size } => TypeDef::structure(name, size, vec![]),
            Body::DeclTag { .. } => TypeDef::int(name, 1, 0),
            Body::Ref {
                kind: Kind::TypeTag,
                target,
            } => TypeDef::reference(Kind::Const, "", target),
            _ => TypeDef {
                name,
                ..def.clone()
            },
        };
    }
    for endian in [Endian::Little, Endian::Big] {
        let bytes = b.to_bytes(endian).unwrap();
        let btf = Btf::parse(&bytes).unwrap();
        assert_eq!(btf.endian(), endian);
        assert_eq!(btf.type_count(), original.type_count());
        let kinds: Vec<(Kind, &str)> = ids
            .iter()
            .map(|&id| (btf.ty(id).kind(), btf.ty(id).name()))
            .collect();
        assert_eq!(kinds[14], (Kind::Int, "counter"), "VAR [15]");
        assert_eq!(kinds[15], (Kind::Struct, "_data"), "DATASEC [16]");
        assert_eq!(kinds[12], (Kind::Typedef, "get"), "FUNC [13]");
        assert_eq!(kinds[19], (Kind::Union, "big"), "ENUM64 [20]");
        assert_eq!(kinds[16], (Kind::Struct, "float"), "FLOAT [17]");
        assert_eq!(kinds[17], (Kind::Int, "tag"), "DECL_TAG [18]");
        assert_eq!(kinds[18], (Kind::Const, ""), "TYPE_TAG [19]");
        assert_eq!(kinds[4], (Kind::Struct, "pair"), "untouched [5]");
        assert_eq!(
            btf.ty(TypeId(5)).to_def(),
            original.ty(TypeId(5)).to_def(),
            "untouched [5]"
        );
        assert_bpftool_reads(&format!("sanitized_{endian:?}"), &bytes, &btf);
    }
}

/// DATASEC sizes and VAR offsets fixed from a symbol table, new types and
/// strings appended: ids stay, and every string offset of the original
/// (`.BTF.ext` line info included) still names the same string.
#[test]
fn fix_ups_and_appends_keep_string_offsets() {
    let loaded = corex_btf::load(seeds::ELF_OBJECT, None).unwrap();
    let (original, ext) = (&loaded.btf, loaded.ext.as_ref().unwrap());
    let mut b = BtfBuilder::from_btf(original);
    let datasec = original
        .types()
        .find(|t| t.kind() == Kind::Datasec)
        .expect("the object has a DATASEC")
        .id();
    match &mut b.get_mut(datasec).unwrap().body {
        Body::Datasec { size, vars } => {
            *size = 4096;
            for (i, v) in vars.iter_mut().enumerate() {
                v.offset = 64 * i as u32;
            }
        }
        _ => unreachable!(),
    }
    let next = b.next_id();
    let new_int = b.add(&TypeDef::int("corex_added_t", 8, 0));
    assert_eq!(new_int, next);
    let ptr = b.add(&TypeDef::ptr(new_int));
    let note = b.add_string("a string no type names").unwrap();
    let btf = b.to_btf().unwrap();
    assert_eq!(btf.type_count(), original.type_count() + 2);
    assert_eq!(btf.ty(datasec).size(), 4096);
    assert!(btf.ty(datasec).datasec_vars().all(|v| v.offset % 64 == 0));
    assert_eq!(btf.ty(ptr).type_id(), new_int);
    assert_eq!(btf.str_at(note), Some("a string no type names"));
    for id in original.all_ids() {
        if id != datasec {
            assert_eq!(btf.ty(id).to_def(), original.ty(id).to_def(), "[{id}]");
            assert_eq!(btf.ty(id).name_off(), original.ty(id).name_off(), "[{id}]");
        }
    }
    let mut offsets: Vec<u32> = ext
        .line_info
        .iter()
        .flat_map(|s| {
            std::iter::once(s.sec_name_off)
                .chain(s.records.iter().flat_map(|r| [r.file_name_off, r.line_off]))
        })
        .collect();
    offsets.extend(
        ext.core_relos
            .iter()
            .flat_map(|s| s.records.iter().map(|r| r.access_str_off)),
    );
    assert!(
        offsets.len() > 10,
        "the object has line info and CO-RE records"
    );
    for off in offsets {
        assert_eq!(btf.str_at(off), original.str_at(off), "string offset {off}");
    }
    ext.validate_against(&btf)
        .expect("the edited BTF still serves the object's .BTF.ext");
}

/// What a minimizer does with a kernel: keep the types one struct needs, in
/// id order, renumbered, with only the strings they name (the check the fuzz
/// targets run on every input, here on a whole kernel).
#[test]
fn retain_keeps_a_closed_subset_renumbered() {
    let kernel = corex_btf::load(&std::fs::read(running_kernel()).unwrap(), None)
        .unwrap()
        .btf;
    let root = kernel
        .find_by_name_kind("task_struct", Kind::Struct)
        .expect("the kernel has task_struct");
    let small = exercise::check_subset(&kernel, root);
    assert!(
        small.type_count() > 1000,
        "task_struct reaches much of the kernel"
    );
    assert!(small.own_string_bytes().len() < kernel.own_string_bytes().len() / 4);

    // A kept type referring to a dropped one is refused, and nothing changes.
    let mut b = BtfBuilder::from_btf(&kernel);
    let err = b.retain(|id, _| id == root).unwrap_err();
    assert!(
        matches!(err, Error::DroppedRef { id, .. } if id == root),
        "{err}"
    );
    assert_eq!(b.len() as u32, kernel.type_count() - 1);
}

/// Split BTF on a real kernel: ids and string offsets continue the base's,
/// and bpftool reads it on that base.
#[test]
fn split_btf_continues_its_base() {
    let base_path = kernel_file(DEBIAN_6_12, "vmlinux.btf");
    let base = Arc::new(common::load(&base_path));
    let mut b = BtfBuilder::split_on(base.clone());
    assert_eq!(b.first_id().0, base.type_count());
    let long = base
        .find_by_name_kind("long int", Kind::Int)
        .expect("the base has long int");
    let list_head = base.find_by_name_kind("list_head", Kind::Struct).unwrap();
    let own = b.add(&TypeDef::structure(
        "corex_module_state",
        24,
        vec![
            MemberDef::new("count", long, 0),
            MemberDef::new("list", list_head, 64),
        ],
    ));
    b.add(&TypeDef::ptr(own));
    let bytes = b.to_bytes(Endian::Little).unwrap();
    let split = Btf::parse_split(&bytes, base.clone()).unwrap();
    assert_eq!(
        split.find_by_name_kind("corex_module_state", Kind::Struct),
        Some(own)
    );
    assert_eq!(
        split.find_by_name_kind("list_head", Kind::Struct),
        Some(list_head)
    );
    let file = scratch_file("builder_split.btf", &bytes);
    assert_same_text(
        "split BTF built on debian 6.12",
        &raw_dump(&split, &Filter::default()),
        &run_bpftool_dump(&file, Some(&base_path), Format::Raw),
    );
}

/// `add_btf` appends a whole BTF with its references renumbered.
#[test]
fn add_btf_renumbers_references() {
    let kinds = Btf::parse(&seeds::build(&seeds::all_kinds(), Endian::Little)).unwrap();
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::int("long", 8, INT_SIGNED));
    let first = b.add_btf(&kinds);
    assert_eq!(first, TypeId(2));
    let btf = b.to_btf().unwrap();
    for id in kinds.all_ids() {
        let mut expected = kinds.ty(id).to_def();
        for r in expected.refs_mut().into_iter().filter(|r| r.0 != 0) {
            r.0 += 1;
        }
        assert_eq!(btf.ty(TypeId(id.0 + 1)).to_def(), expected);
    }
}

/// A scan's answer for every (kind, name) of `btf`: the first id.
fn first_by_scan(btf: &Btf) -> HashMap<(Kind, &str), TypeId> {
    let mut first = HashMap::new();
    for t in btf.types().filter(|t| !t.name().is_empty()) {
        first.entry((t.kind(), t.name())).or_insert(t.id());
    }
    first
}

/// Every named type of the running kernel, looked up by name and kind, is
/// the first a scan finds; so are the ones fentry, tp_btf and ksyms need.
#[test]
fn lookups_by_name_and_kind_agree_with_a_scan_on_the_kernel() {
    let kernel = common::load(&running_kernel());
    let first = first_by_scan(&kernel);
    assert!(first.len() > 50_000);
    for (&(kind, name), &id) in &first {
        assert_eq!(
            kernel.find_by_name_kind(name, kind),
            Some(id),
            "{kind} {name}"
        );
    }
    assert!(kernel.find_by_name_kind("schedule", Kind::Func).is_some());
    assert!(kernel
        .find_by_name_kind("btf_trace_sched_switch", Kind::Typedef)
        .is_some());
    assert!(kernel
        .find_by_name_kind("corex_no_such_function", Kind::Func)
        .is_none());
    assert!(kernel
        .find_by_name_kind("task_struct", Kind::Func)
        .is_none());
    assert!(kernel.find_by_name_kind("", Kind::Struct).is_none());

    // The index owns nothing borrowed: it lives beside an Arc<Btf>.
    struct Target {
        btf: Arc<Btf>,
        index: NameIndex,
    }
    let btf = Arc::new(kernel);
    let target = Target {
        index: NameIndex::new(&btf),
        btf,
    };
    let ids = target.index.get(&target.btf, "task_struct");
    assert!(ids
        .iter()
        .any(|&id| target.btf.ty(id).kind() == Kind::Struct));
}

/// On a module's split BTF, the base is searched first, then the module's
/// own types, as libbpf's `btf__find_by_name_kind` does.
#[test]
fn lookups_in_split_btf_search_the_base_first() {
    let base = Arc::new(common::load(&kernel_file(DEBIAN_6_12, "vmlinux.btf")));
    let module = load_as(
        &kernel_module(DEBIAN_6_12, "veth.ko"),
        Some(&base),
        Container::Elf,
    );
    let first = first_by_scan(&module);
    for (&(kind, name), &id) in &first {
        assert_eq!(
            module.find_by_name_kind(name, kind),
            Some(id),
            "{kind} {name}"
        );
    }
    let own_funcs = module
        .own_ids()
        .filter(|&id| module.ty(id).kind() == Kind::Func)
        .count();
    assert!(own_funcs > 0, "veth.ko has functions of its own");
    assert!(module.name_index().len() < base.name_index().len());
}

/// The var of a DATASEC names the VAR's type id, which lookups find too.
#[test]
fn var_lookups_find_datasec_variables() {
    let mut b = BtfBuilder::new();
    let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    let var = b.add(&TypeDef::var("runqueues", int, Linkage::Global));
    b.add(&TypeDef::datasec(
        ".data..percpu",
        4,
        vec![VarSecInfo {
            ty: var,
            offset: 0,
            size: 4,
        }],
    ));
    let btf = b.to_btf().unwrap();
    assert_eq!(btf.find_by_name_kind("runqueues", Kind::Var), Some(var));
    assert_eq!(btf.find_by_name_kind("runqueues", Kind::Func), None);
}
