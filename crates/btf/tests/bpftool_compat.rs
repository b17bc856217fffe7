//! Differential tests: corex's raw and JSON dumps against Debian's bpftool 7.1
//! on the running kernel, Debian's 6.1 and 6.12 kernels and their modules
//! (fetched by `scripts/fetch-kernels.sh`), the BTFHub-style archives made
//! from them, and the BPF objects under `bpf/btf-tests/`; the dump filters;
//! and the writer's round trip in both byte orders.

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use corex_btf::dump::Filter;
use corex_btf::write::{write, BtfBuilder, TypeDef};
use corex_btf::{Btf, Container, Endian, Kind, TypeId, INT_SIGNED};
use corex_testkit::kernel_file;
use regex::Regex;

const DEBIAN_6_1: &str = "debian-6.1";
const DEBIAN_6_12: &str = "debian-6.12";
const LE_OBJECT: &str = "kinds.o";
const BE_OBJECT: &str = "kinds.bpfeb.o";

// ---------------------------------------------------------------------------
// Raw and JSON dumps of whole files.

#[test]
fn running_kernel_dumps_match_bpftool() {
    let path = running_kernel();
    assert_dumps_match_bpftool(RUNNING_KERNEL, &load(&path), &path, None);
}

fn check_kernel_dumps(kernel: &str) {
    let path = kernel_file(kernel, "vmlinux.btf");
    assert_dumps_match_bpftool(kernel, &load(&path), &path, None);
}

#[test]
fn debian_6_1_dumps_match_bpftool() {
    check_kernel_dumps(DEBIAN_6_1);
}

#[test]
fn debian_6_12_dumps_match_bpftool() {
    check_kernel_dumps(DEBIAN_6_12);
}

/// The `.btf.tar.xz` (BTFHub) and `.elf.xz` forms dump as the raw file does.
fn check_archives(kernel: &str) {
    let raw_file = kernel_file(kernel, "vmlinux.btf");
    let expected = bpftool_dump(&raw_file, None, Format::Raw);
    for (file, container) in [
        ("vmlinux.btf.tar.xz", Container::TarXz),
        ("vmlinux.elf.xz", Container::Xz),
    ] {
        let btf = load_as(&kernel_file(kernel, file), None, container);
        assert_same_text(
            &format!("{kernel}/{file} against bpftool on vmlinux.btf"),
            &raw_dump(&btf, &Filter::default()),
            &expected,
        );
    }
}

#[test]
fn debian_6_1_archives_dump_as_the_raw_file() {
    check_archives(DEBIAN_6_1);
}

#[test]
fn debian_6_12_archives_dump_as_the_raw_file() {
    check_archives(DEBIAN_6_12);
}

/// Every fetched module, as split BTF on its kernel's vmlinux.btf.
fn check_modules(kernel: &str) {
    let base_path = kernel_file(kernel, "vmlinux.btf");
    let base = Arc::new(load(&base_path));
    for module in kernel_modules(kernel) {
        let btf = load_as(&module, Some(&base), Container::Elf);
        assert_eq!(btf.first_id(), base.type_count(), "{}", module.display());
        assert!(
            btf.own_ids().count() > 0,
            "{}: the module has no types of its own",
            module.display()
        );
        let what = format!("{kernel} module {}", module.display());
        assert_dumps_match_bpftool(&what, &btf, &module, Some(&base_path));
    }
}

#[test]
fn debian_6_1_modules_dump_as_split_btf() {
    check_modules(DEBIAN_6_1);
}

#[test]
fn debian_6_12_modules_dump_as_split_btf() {
    check_modules(DEBIAN_6_12);
}

#[test]
fn bpf_objects_dump_as_bpftool_does() {
    for name in [LE_OBJECT, BE_OBJECT] {
        let path = bpf_object(name);
        let btf = load(&path);
        let endian = if name == BE_OBJECT {
            Endian::Big
        } else {
            Endian::Little
        };
        assert_eq!(btf.endian(), endian, "{name}: byte order");
        assert_dumps_match_bpftool(name, &btf, &path, None);
    }
    // Same source, so the byte order must not show in the dumps.
    let all = Filter::default();
    assert_same_text(
        "big-endian object against the little-endian one",
        &raw_dump(&load(&bpf_object(BE_OBJECT)), &all),
        &raw_dump(&load(&bpf_object(LE_OBJECT)), &all),
    );
}

/// The test object must keep covering every kind clang 14 emits (all but
/// ENUM64, which `enum64_and_signed_enums_match_bpftool` covers).
#[test]
fn bpf_object_covers_every_kind_clang_emits() {
    let btf = load(&bpf_object(LE_OBJECT));
    let missing: Vec<Kind> = (1..=19)
        .filter_map(Kind::from_u8)
        .filter(|&k| k != Kind::Enum64)
        .filter(|&k| !btf.types().any(|t| t.kind() == k))
        .collect();
    assert!(missing.is_empty(), "{LE_OBJECT} lacks kinds {missing:?}");
    let has = |f: &dyn Fn(&corex_btf::Type<'_>) -> bool| btf.types().any(|t| f(&t));
    assert!(has(&|t| t.members().any(|m| m.bitfield_size != 0)));
    assert!(has(&|t| t.is_fwd_union()));
    assert!(has(&|t| t.kind() == Kind::Fwd && !t.kflag()));
    for sec in [".data", ".rodata", ".bss", ".maps", ".kconfig", ".ksyms"] {
        assert!(
            has(&|t| t.kind() == Kind::Datasec && t.name() == sec),
            "{LE_OBJECT} has no DATASEC {sec}"
        );
    }
}

// ---------------------------------------------------------------------------
// ENUM64 and signed enums, which clang 14 does not emit: built with the writer.

/// An enum whose enumerators are named after it: `NAME_0`, `NAME_1`, ...
fn enumeration(name: &str, signed: bool, is64: bool, size: u32, values: &[i64]) -> TypeDef {
    let values = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (format!("{}_{i}", name.to_uppercase()), v))
        .collect();
    TypeDef::enumeration(name, is64, size, signed, values)
}

fn enum_defs() -> Vec<TypeDef> {
    let i32_edges = [0, 1, -1, i64::from(i32::MIN), i64::from(i32::MAX)];
    let u32_edges = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
    let i64_edges = [0, -1, i64::MIN, i64::MAX, i64::from(i32::MIN) - 1];
    let u64_edges = [0, 1, 0xffff_ffff, 0x1_0000_0000, u64::MAX as i64, i64::MIN];
    vec![
        TypeDef::int("int", 4, INT_SIGNED),
        TypeDef::int("long long unsigned int", 8, 0),
        enumeration("signed32", true, false, 4, &i32_edges),
        enumeration("unsigned32", false, false, 4, &u32_edges),
        enumeration("signed64", true, true, 8, &i64_edges),
        enumeration("unsigned64", false, true, 8, &u64_edges),
        enumeration("small_enum64", false, true, 4, &[1, 2]),
        enumeration("empty_enum", false, false, 4, &[]),
        enumeration("empty_enum64", true, true, 8, &[]),
        enumeration("", false, false, 1, &[7, 255]),
        TypeDef::typedef("e64_t", TypeId(5)),
    ]
}

#[test]
fn enum64_and_signed_enums_match_bpftool() {
    for (endian, file) in [
        (Endian::Little, "enums.le.btf"),
        (Endian::Big, "enums.be.btf"),
    ] {
        let bytes = enum_defs()
            .into_iter()
            .collect::<BtfBuilder>()
            .to_bytes(endian)
            .expect("the enums fit BTF");
        let path = scratch_file(file, &bytes);
        let btf = load_as(&path, None, Container::Raw);
        assert_eq!(btf.endian(), endian);
        let kinds: Vec<(Kind, bool)> = btf.types().map(|t| (t.kind(), t.kflag())).collect();
        for want in [
            (Kind::Enum, true),
            (Kind::Enum, false),
            (Kind::Enum64, true),
            (Kind::Enum64, false),
        ] {
            assert!(kinds.contains(&want), "{file}: no {want:?}");
        }
        let all = Filter::default();
        assert_same_text(
            &format!("{file}: raw dump"),
            &raw_dump(&btf, &all),
            &run_bpftool_dump(&path, None, Format::Raw),
        );
        assert_same_json(
            &format!("{file}: JSON dump"),
            &json_dump(&btf, &all),
            &run_bpftool_dump(&path, None, Format::Json),
        );
    }
}

// ---------------------------------------------------------------------------
// --id, --name and --kind, checked against entries picked out of bpftool's
// full dumps by their printed id, kind and name.

/// What to select, as the command line gives it.
#[derive(Clone, Debug, Default)]
struct Selection {
    id: Option<u32>,
    name: Option<&'static str>,
    kind: Option<&'static str>,
    /// Whether bpftool's dump must have an entry that passes (guards against
    /// comparing two empty outputs by mistake).
    expect_some: bool,
}

impl Selection {
    fn name_regex(&self) -> Option<Regex> {
        self.name.map(|n| Regex::new(n).expect("valid test regex"))
    }

    fn filter(&self) -> Filter {
        Filter {
            id: self.id.map(TypeId),
            name: self.name_regex(),
            kind: self
                .kind
                .map(|k| Kind::from_name(k).expect("valid test kind")),
        }
    }

    /// Whether an entry with this printed id, kind and name passes
    /// (`(anon)` is the empty name); `name_re` is [`Self::name_regex`].
    fn passes(&self, name_re: Option<&Regex>, id: u32, kind: &str, name: &str) -> bool {
        let name = if name == "(anon)" { "" } else { name };
        self.id.is_none_or(|want| want == id)
            && self.kind.is_none_or(|want| want.eq_ignore_ascii_case(kind))
            && name_re.is_none_or(|re| re.is_match(name))
    }
}

/// Splits bpftool's raw dump into entries: `(id, kind, name, text)`.
fn raw_entries(dump: &str) -> Vec<(u32, &str, &str, &str)> {
    let starts: Vec<usize> = dump
        .match_indices('[')
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || dump.as_bytes()[i - 1] == b'\n')
        .chain([dump.len()])
        .collect();
    starts
        .windows(2)
        .map(|w| {
            let text = &dump[w[0]..w[1]];
            let (id, rest) = text[1..].split_once("] ").expect("[ID] KIND");
            let (kind, rest) = rest.split_once(" '").expect("KIND 'NAME'");
            let name = &rest[..rest.find('\'').expect("closing quote")];
            (id.parse().expect("numeric id"), kind, name, text)
        })
        .collect()
}

fn check_selections(what: &str, btf: &Btf, file: &Path, base: Option<&Path>, sel: &[Selection]) {
    let raw = bpftool_dump(file, base, Format::Raw);
    let raw = std::str::from_utf8(&raw).expect("bpftool prints UTF-8");
    let entries = raw_entries(raw);
    let json_doc = parse_json(what, &bpftool_dump(file, base, Format::Json));
    let json_entries = json_types(what, &json_doc);
    assert_eq!(entries.len(), json_entries.len(), "{what}: bpftool's dumps");
    for s in sel {
        let what = format!("{what} with {s:?}");
        let re = s.name_regex();
        let expected: String = entries
            .iter()
            .filter(|(id, kind, name, _)| s.passes(re.as_ref(), *id, kind, name))
            .map(|e| e.3)
            .collect();
        assert!(
            !s.expect_some || !expected.is_empty(),
            "{what}: bpftool's dump has no entry that passes"
        );
        assert_same_text(&what, &raw_dump(btf, &s.filter()), expected.as_bytes());

        let field = |t: &serde_json::Value, k: &str| t[k].as_str().unwrap_or_default().to_owned();
        let expected_json = serde_json::json!({
            "types": json_entries
                .iter()
                .filter(|t| s.passes(
                    re.as_ref(),
                    t["id"].as_u64().unwrap_or_default() as u32,
                    &field(t, "kind"),
                    &field(t, "name"),
                ))
                .collect::<Vec<_>>()
        });
        let ours = parse_json(&what, &json_dump(btf, &s.filter()));
        assert_same_json_value(&what, &ours, &expected_json);
    }
}

fn kind_selections() -> Vec<Selection> {
    (1..=19)
        .filter_map(Kind::from_u8)
        .map(|k| Selection {
            kind: Some(k.name()),
            ..Default::default()
        })
        .collect()
}

fn id(id: u32, expect_some: bool) -> Selection {
    Selection {
        id: Some(id),
        expect_some,
        ..Default::default()
    }
}

fn name(re: &'static str) -> Selection {
    Selection {
        name: Some(re),
        expect_some: true,
        ..Default::default()
    }
}

#[test]
fn filters_select_bpftool_entries_in_bpf_object() {
    let path = bpf_object(LE_OBJECT);
    let btf = load(&path);
    let last = btf.type_count() - 1;
    let mut sel = vec![
        id(1, true),
        id(50, true),
        id(last, true),
        id(last + 1, false),
        name("^node$"),
        name("^$"),
        name("tag"),
        name("^(u8|u16|u32|u64)$"),
        Selection {
            name: Some("^$"),
            kind: Some("struct"),
            expect_some: true,
            ..Default::default()
        },
        Selection {
            id: Some(11),
            kind: Some("STRUCT"),
            name: Some("^node$"),
            expect_some: true,
        },
        Selection {
            id: Some(11),
            kind: Some("union"),
            ..Default::default()
        },
    ];
    sel.extend(kind_selections());
    check_selections(LE_OBJECT, &btf, &path, None, &sel);
}

#[test]
fn filters_select_bpftool_entries_in_kernel() {
    let path = kernel_file(DEBIAN_6_12, "vmlinux.btf");
    let btf = load(&path);
    let last = btf.type_count() - 1;
    let mut sel = vec![
        id(1, true),
        id(last / 2, true),
        id(last, true),
        id(last + 1, false),
        name("^task_struct$"),
        name("^bpf_map"),
        name("(?i)^xdp_"),
        Selection {
            name: Some("^bpf_"),
            kind: Some("func"),
            expect_some: true,
            ..Default::default()
        },
    ];
    sel.extend(kind_selections());
    check_selections(DEBIAN_6_12, &btf, &path, None, &sel);
}

#[test]
fn filters_select_bpftool_entries_in_module() {
    let base_path = kernel_file(DEBIAN_6_1, "vmlinux.btf");
    let base = Arc::new(load(&base_path));
    let module = kernel_module(DEBIAN_6_1, "nf_conntrack.ko");
    let btf = load_as(&module, Some(&base), Container::Elf);
    let first = btf.first_id();
    let mut sel = vec![
        id(first, true),
        id(btf.type_count() - 1, true),
        // A base type: not part of the module's own dump.
        id(1, false),
        name("^nf_conn"),
        Selection {
            name: Some("^$"),
            kind: Some("ptr"),
            expect_some: true,
            ..Default::default()
        },
    ];
    sel.extend(kind_selections());
    check_selections("6.1 nf_conntrack.ko", &btf, &module, Some(&base_path), &sel);
}

// ---------------------------------------------------------------------------
// Writer round trip: parse -> write -> parse gives the same dump, in both
// byte orders, and bpftool reads the written file as it reads the original.

fn check_round_trip(what: &str, path: &Path) {
    let btf = load(path);
    let expected = raw_dump(&btf, &Filter::default());
    let expected_bpftool = bpftool_dump(path, None, Format::Raw);
    let stem = what.replace(['/', '.'], "_");
    for endian in [Endian::Little, Endian::Big] {
        let what = format!("{what} written {endian:?}-endian");
        let bytes = write(&btf, endian).unwrap_or_else(|e| panic!("{what}: {e}"));
        if endian == btf.endian() && !is_elf(path) {
            // Types and strings are written as they were read.
            assert!(
                bytes == read(path),
                "{what}: not the bytes of {}",
                path.display()
            );
        }
        let again = Btf::parse(&bytes).unwrap_or_else(|e| panic!("{what}: cannot parse: {e}"));
        assert_eq!(again.endian(), endian, "{what}");
        assert_eq!(again.type_count(), btf.type_count(), "{what}: type count");
        assert_same_text(&what, &raw_dump(&again, &Filter::default()), &expected);
        assert!(
            write(&again, endian).ok() == Some(bytes.clone()),
            "{what}: writing the re-parsed BTF gives different bytes"
        );
        let file = scratch_file(&format!("{stem}.{endian:?}.btf"), &bytes);
        assert_same_text(
            &format!("{what}: bpftool's dump of it"),
            &run_bpftool_dump(&file, None, Format::Raw),
            &expected_bpftool,
        );
    }
}

#[test]
fn writer_round_trips_running_kernel() {
    check_round_trip("running-kernel", &running_kernel());
}

#[test]
fn writer_round_trips_debian_6_1() {
    check_round_trip(DEBIAN_6_1, &kernel_file(DEBIAN_6_1, "vmlinux.btf"));
}

#[test]
fn writer_round_trips_debian_6_12() {
    check_round_trip(DEBIAN_6_12, &kernel_file(DEBIAN_6_12, "vmlinux.btf"));
}

#[test]
fn writer_round_trips_bpf_objects() {
    check_round_trip(LE_OBJECT, &bpf_object(LE_OBJECT));
    check_round_trip(BE_OBJECT, &bpf_object(BE_OBJECT));
}

/// Split BTF is written standalone, its base's types first, so ids stay the
/// same: the written file dumps as the base's dump followed by the module's.
#[test]
fn writer_writes_split_btf_standalone() {
    let base_path = kernel_file(DEBIAN_6_12, "vmlinux.btf");
    let base = Arc::new(load(&base_path));
    let module = kernel_module(DEBIAN_6_12, "veth.ko");
    let btf = load_as(&module, Some(&base), Container::Elf);
    let expected = [
        bpftool_dump(&base_path, None, Format::Raw).as_slice(),
        bpftool_dump(&module, Some(&base_path), Format::Raw).as_slice(),
    ]
    .concat();
    let bytes = write(&btf, Endian::Little).expect("a parsed BTF fits BTF");
    let again = Btf::parse(&bytes).expect("written split BTF parses standalone");
    assert_eq!(again.type_count(), btf.type_count());
    let what = "6.12 veth.ko written standalone";
    assert_same_text(what, &raw_dump(&again, &Filter::default()), &expected);
    let file = scratch_file("veth-standalone.btf", &bytes);
    assert_same_text(
        &format!("{what}: bpftool's dump of it"),
        &run_bpftool_dump(&file, None, Format::Raw),
        &expected,
    );
}
