//! `corex btf dump` on corrupt files: exit code 2, and a one-line message on
//! stderr naming the file, the offset or type id, and what is wrong; never a
//! panic.

#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use std::path::{Path, PathBuf};
use std::process::Command;

use corex_btf::{Endian, Kind};
use seeds::{assemble, find, info};

/// A directory of its own for one test, emptied first, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("corex-cli-errors-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn write(dir: &Scratch, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.0.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// Runs `corex btf dump FILE ARGS...`, checks it failed with exit code 2
/// and a one-line message on stderr containing every part, and returns it.
#[track_caller]
fn dump_fails_with(file: &Path, args: &[&str], parts: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(["btf", "dump"])
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    assert!(
        stderr.starts_with("corex: ") && stderr.lines().count() == 1,
        "not a one-line message: {stderr}"
    );
    for p in parts {
        assert!(
            stderr.contains(p),
            "stderr {stderr:?} does not contain {p:?}"
        );
    }
    stderr
}

/// [`dump_fails_with`], the message naming `file` too.
#[track_caller]
fn dump_fails(file: &Path, args: &[&str], parts: &[&str]) -> String {
    let path = file.display().to_string();
    let parts: Vec<&str> = std::iter::once(path.as_str())
        .chain(parts.iter().copied())
        .collect();
    dump_fails_with(file, args, &parts)
}

/// `[1] INT int` then `rest`, little-endian; type [2] starts at byte 40.
fn with_int(rest: &[u32]) -> Vec<u8> {
    let int = [1, info(Kind::Int, false, 0), 4, (1 << 24) | 32];
    let words: Vec<u32> = int.iter().chain(rest).copied().collect();
    assemble(&words, b"\0int\0", Endian::Little)
}

#[test]
fn raw_btf_errors_name_the_file_and_the_type() {
    let dir = scratch("raw");
    let dangling = write(
        &dir,
        "dangling.btf",
        &with_int(&[0, info(Kind::Ptr, false, 0), 99]),
    );
    dump_fails(
        &dangling,
        &[],
        &[
            "type [2] at byte offset 40",
            "type id 99",
            "last type id is 2",
        ],
    );
    dump_fails(
        &dangling,
        &["--format", "json"],
        &["type [2]", "type id 99"],
    );

    let vlen = write(
        &dir,
        "vlen.btf",
        &with_int(&[0, info(Kind::Struct, false, 500), 4]),
    );
    dump_fails(
        &vlen,
        &[],
        &["type [2] at byte offset 40", "STRUCT with vlen 500"],
    );

    let mut name = with_int(&[]);
    name[24..28].copy_from_slice(&77u32.to_le_bytes());
    let name = write(&dir, "name.btf", &name);
    dump_fails(
        &name,
        &[],
        &["type [1] at byte offset 24", "name string offset 77"],
    );
}

#[test]
fn header_errors_name_the_file_and_the_offset() {
    let dir = scratch("header");
    let valid = with_int(&[]);
    let truncated = write(&dir, "truncated.btf", &valid[..10]);
    dump_fails(
        &truncated,
        &[],
        &["byte offset 0", "needs 24 bytes", "has 10"],
    );

    let mut version = valid.clone();
    version[2] = 5;
    let version = write(&dir, "version.btf", &version);
    dump_fails(&version, &[], &["version = 5 at byte offset 2"]);

    let mut strings = valid;
    strings[20..24].copy_from_slice(&4096u32.to_le_bytes());
    let strings = write(&dir, "strings.btf", &strings);
    dump_fails(
        &strings,
        &[],
        &["str_len = 4096 at byte offset 20", "past the end"],
    );

    let empty = write(&dir, "empty.btf", b"");
    dump_fails(&empty, &[], &["empty file"]);
    let text = write(&dir, "text.btf", b"hello");
    dump_fails(&text, &[], &["not BTF", "68 65 6c 6c"]);
}

#[test]
fn elf_errors_name_the_section_and_its_file_offset() {
    let dir = scratch("elf");
    let mut btf = seeds::ELF_OBJECT.to_vec();
    let at = find(&btf, &[0x9f, 0xeb, 1, 0]);
    btf[at + 2] = 4;
    let btf = write(&dir, "btf.o", &btf);
    dump_fails(
        &btf,
        &[],
        &[
            &format!("ELF section .BTF (at file offset {at})"),
            "version = 4 at byte offset 2",
        ],
    );

    // .BTF.ext comes after .BTF: the second magic in the file.
    let mut ext = seeds::ELF_OBJECT.to_vec();
    let ext_at = at + 4 + find(&ext[at + 4..], &[0x9f, 0xeb, 1, 0]);
    ext[ext_at + 4..ext_at + 8].copy_from_slice(&9999u32.to_le_bytes());
    let ext = write(&dir, "ext.o", &ext);
    dump_fails(
        &ext,
        &[],
        &[
            &format!("ELF section .BTF.ext (at file offset {ext_at})"),
            "byte offset 4",
            "9999",
        ],
    );

    let object = seeds::ELF_OBJECT;
    let shoff = u64::from_le_bytes(object[0x28..0x30].try_into().unwrap());
    let cut = write(&dir, "cut.o", &object[..shoff as usize + 64]);
    dump_fails(
        &cut,
        &[],
        &["ELF", &format!("section headers at byte offset {shoff}")],
    );
}

#[test]
fn archive_errors_name_the_file() {
    let dir = scratch("archive");
    let mut garbage = b"\xfd7zXZ\x00".to_vec();
    garbage.extend_from_slice(&[0xaa; 100]);
    let garbage = write(&dir, "garbage.btf.xz", &garbage);
    dump_fails(&garbage, &[], &["xz stream (106 bytes) is corrupt"]);
}

#[test]
fn split_btf_errors_name_the_file_and_the_type() {
    let dir = scratch("split");
    let base = write(&dir, "base.btf", &with_int(&[]));
    // Split on a base of 2 ids: own types start at [2]; [3] is past the end.
    let split = assemble(&[0, info(Kind::Ptr, false, 0), 3], b"\0", Endian::Little);
    let split = write(&dir, "module.btf", &split);
    let base_arg = base.display().to_string();
    dump_fails(
        &split,
        &["--base", &base_arg],
        &["type [2] at byte offset 24", "type id 3"],
    );

    let broken_base = write(&dir, "broken-base.btf", &with_int(&[0, 30 << 24, 0]));
    let broken_arg = broken_base.display().to_string();
    dump_fails_with(
        &split,
        &["--base", &broken_arg],
        &[
            &format!("{broken_arg} (base)"),
            "type [2]",
            "unknown kind 30",
        ],
    );
}

#[test]
fn c_dump_of_a_cycle_names_the_file_and_the_type() {
    let dir = scratch("cycle");
    // [2] TYPEDEF t -> 3, [3] CONST -> 2: no named struct breaks the cycle.
    let cycle = with_int(&[
        1,
        info(Kind::Typedef, false, 0),
        3,
        0,
        info(Kind::Const, false, 0),
        2,
    ]);
    let cycle = write(&dir, "cycle.btf", &cycle);
    let stderr = dump_fails(&cycle, &["--format", "c"], &[]);
    assert!(
        stderr.contains("type [2]") || stderr.contains("type [3]"),
        "{stderr}"
    );
    // The raw dump of the same file is fine.
    let out = Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(["btf", "dump"])
        .arg(&cycle)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n\
         [2] TYPEDEF 'int' type_id=3\n\
         [3] CONST '(anon)' type_id=2\n"
    );
}

#[test]
fn a_missing_file_is_named() {
    let dir = scratch("missing");
    dump_fails(&dir.0.join("nope.btf"), &[], &["cannot read"]);
}
