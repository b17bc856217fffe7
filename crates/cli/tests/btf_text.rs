//! What a person reads from `corex btf dump` when names come from a hostile
//! file: the raw dump and every message escape what a terminal would act
//! on (exact bytes below), the C dump refuses names that are not C, and
//! `--base` given for BTF that is not split says so.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use corex_btf::write::{BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Endian, Kind, Linkage, TypeId, VarSecInfo, INT_SIGNED};

fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("btf_text_{name}"));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn corex(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(["btf", "dump"])
        .args(args)
        .arg(file)
        .output()
        .unwrap()
}

/// A type of most kinds, each with a name that would act on a terminal.
fn hostile_names() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    b.add(&TypeDef::structure(
        "evil\x1b[31m",
        4,
        vec![MemberDef::new("x\ty", int, 0)],
    ));
    b.add(&TypeDef::enumeration(
        "e",
        false,
        4,
        false,
        vec![("A\u{202e}B".into(), 1)],
    ));
    b.add(&TypeDef::typedef("back\\slash", int));
    b.add(&TypeDef::func_proto(int, vec![("\x07".into(), int)]));
    let var = b.add(&TypeDef::var("v\u{200b}", int, Linkage::Global));
    b.add(&TypeDef::datasec(
        ".d\nata",
        4,
        vec![VarSecInfo {
            ty: var,
            offset: 0,
            size: 4,
        }],
    ));
    b.to_bytes(Endian::Little).unwrap()
}

#[test]
fn raw_dump_escapes_names() {
    let file = scratch("hostile.btf", &hostile_names());
    let out = corex(&[], &file);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n\
         [2] STRUCT 'evil\\x1b[31m' size=4 vlen=1\n\
         \t'x\\ty' type_id=1 bits_offset=0\n\
         [3] ENUM 'e' encoding=UNSIGNED size=4 vlen=1\n\
         \t'A\\u{202e}B' val=1\n\
         [4] TYPEDEF 'back\\\\slash' type_id=1\n\
         [5] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\
         \t'\\x07' type_id=1\n\
         [6] VAR 'v\\u{200b}' type_id=1, linkage=global\n\
         [7] DATASEC '.d\\nata' size=4 vlen=1\n\
         \ttype_id=6 offset=0 size=4 (VAR 'v\\u{200b}')\n"
    );
    // JSON escapes control characters itself.
    let json = corex(&["--format", "json"], &file);
    assert!(json.status.success());
    assert!(!json.stdout.iter().any(|&b| b < 0x20 && b != b'\n'));
}

#[test]
fn c_dump_refuses_a_name_that_is_not_c() {
    let file = scratch("hostile-c.btf", &hostile_names());
    let out = corex(&["--format", "c"], &file);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing is written before the check");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "corex: {}: type [2]: STRUCT cannot be written as C: its name 'evil\\x1b[31m' is \
             not a C identifier\n",
            file.display()
        )
    );
}

/// Every place a name goes into C: members, enumerators, parameters,
/// typedefs, type tags (inside a string literal).
#[test]
fn c_dump_checks_every_name_it_writes() {
    let cases: Vec<(TypeDef, &str)> = vec![
        (
            TypeDef::structure(
                "s",
                4,
                vec![MemberDef::new("x; } evil(); struct {", TypeId(1), 0)],
            ),
            "STRUCT cannot be written as C: its member #0 is named 'x; } evil(); struct {', \
             which is not a C identifier",
        ),
        (
            TypeDef::enumeration("e", false, 4, false, vec![("".into(), 1)]),
            "ENUM cannot be written as C: its enumerator #0 is named '', which is not a C \
             identifier",
        ),
        (
            TypeDef::func_proto(TypeId(1), vec![("a b".into(), TypeId(1))]),
            "FUNC_PROTO cannot be written as C: its parameter #0 is named 'a b'",
        ),
        (
            TypeDef::typedef("t\u{202e}", TypeId(1)),
            "TYPEDEF cannot be written as C: its name 't\\u{202e}' is not a C identifier",
        ),
        (
            TypeDef::reference(Kind::TypeTag, "user\")))x", TypeId(1)),
            "TYPE_TAG cannot be written as C: its name 'user\")))x' cannot be written in a C \
             string literal",
        ),
        (
            TypeDef::int("unsigned  int", 4, 0),
            "INT cannot be written as C: its name 'unsigned  int' is not a C type name",
        ),
    ];
    for (i, (def, expected)) in cases.into_iter().enumerate() {
        let mut b = BtfBuilder::new();
        b.add(&TypeDef::int("int", 4, INT_SIGNED));
        b.add(&def);
        let file = scratch(
            &format!("c-case-{i}.btf"),
            &b.to_bytes(Endian::Little).unwrap(),
        );
        let out = corex(&["--format", "c"], &file);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("type [2]: {expected}")),
            "case {i}: {stderr}"
        );
    }
}

/// A file name is shown escaped too.
#[test]
fn file_names_in_messages_are_escaped() {
    let file = scratch("evil\x1b]0;owned\x07.btf", b"not btf");
    let out = corex(&[], &file);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("btf_text_evil\\x1b]0;owned\\x07.btf: not BTF"),
        "{stderr:?}"
    );
    assert!(!stderr.contains('\x1b') && !stderr.contains('\x07'));
}

/// `--base` for BTF that reads on its own: a warning saying what was found,
/// and the dump of the file on its own (not its ids read as the base's).
#[test]
fn base_for_btf_that_is_not_split_warns() {
    let mut base = BtfBuilder::new();
    base.add(&TypeDef::int("long", 8, INT_SIGNED));
    let base = scratch("base.btf", &base.to_bytes(Endian::Little).unwrap());
    let file = scratch("standalone.btf", &hostile_names());
    let base_arg = base.to_str().unwrap();
    let with_base = corex(&["--base", base_arg], &file);
    assert!(with_base.status.success());
    assert_eq!(
        String::from_utf8(with_base.stderr).unwrap(),
        format!(
            "corex: warning: {} is not split BTF (it reads on its own: 7 types from id 1), so \
             it is read without the base {}\n",
            file.display(),
            base.display()
        )
    );
    assert_eq!(with_base.stdout, corex(&[], &file).stdout);
}

/// A tar member cut short is named, with the file.
#[test]
fn a_truncated_tar_member_is_named() {
    let btf = hostile_names();
    let mut h = tar::Header::new_ustar();
    h.set_path("vmlinux-5.4.btf").unwrap();
    h.set_size(btf.len() as u64);
    h.set_cksum();
    let mut tar = h.as_bytes().to_vec();
    tar.extend_from_slice(&btf[..100]);
    let file = scratch("cut.btf.tar.xz", &corex_testkit::archive::xz(&tar));
    let out = corex(&[], &file);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "corex: {}: archive: tar: file vmlinux-5.4.btf (header at byte 0) is cut short: its \
             header says {} bytes, the archive ends after 100\n",
            file.display(),
            btf.len()
        )
    );
}
