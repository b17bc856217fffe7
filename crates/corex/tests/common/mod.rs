//! Shared by corex's kernel tests: the loader-test objects, the ids a load
//! made, and the proof through the kernel's id lists that they are gone.
#![allow(dead_code)]

#[path = "../../../sys/tests/support/mod.rs"]
pub mod sys;

use corex::sys::ObjectKind;
use corex::{Error, LoadedObject, Outcome};
use std::path::PathBuf;

/// `bpf/loader-tests/NAME`.
pub fn loader_test(name: &str) -> PathBuf {
    corex_testkit::repo_root()
        .join("bpf/loader-tests")
        .join(name)
}

/// `bpf/NAME` (lab, execsnoop).
pub fn bpf_object(name: &str) -> PathBuf {
    corex_testkit::repo_root().join("bpf").join(name)
}

/// Every kernel object `loaded` holds: its maps, programs and BTF.
pub fn ids_of(loaded: &LoadedObject) -> Vec<(ObjectKind, u32)> {
    let mut ids: Vec<(ObjectKind, u32)> =
        loaded.maps().map(|m| (ObjectKind::Map, m.id())).collect();
    ids.extend(loaded.programs().map(|p| (ObjectKind::Prog, p.id())));
    ids.extend(loaded.btf_id().map(|id| (ObjectKind::Btf, id)));
    ids
}

/// The ids a failed load made and released, from its report.
pub fn released_ids(err: &Error) -> Vec<(ObjectKind, u32)> {
    let Some(report) = err.load_report() else {
        return Vec::new();
    };
    let released = |items: &[corex::ItemOutcome], kind| {
        items
            .iter()
            .filter_map(|i| match i.outcome {
                Outcome::Released { id } => Some((kind, id)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut ids = released(&report.maps, ObjectKind::Map);
    ids.extend(released(&report.programs, ObjectKind::Prog));
    ids
}

/// Asserts the kernel freed each of `ids` (GET_FD_BY_ID gives ENOENT and
/// the id lists no longer hold them).
pub fn assert_all_gone(ids: &[(ObjectKind, u32)]) {
    for &(kind, id) in ids {
        sys::assert_gone(kind, id);
    }
}

/// Drops `loaded` and asserts everything it held is gone.
pub fn unload(loaded: LoadedObject) {
    let ids = ids_of(&loaded);
    assert!(!ids.is_empty());
    for &(kind, id) in &ids {
        sys::assert_present(kind, id);
    }
    drop(loaded);
    assert_all_gone(&ids);
}

pub mod fake;

/// Compiles BPF C `source` with clang into `dir/name.bpf.o` (libbpf's
/// headers from libbpf-dev).
pub fn compile_bpf(dir: &std::path::Path, name: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{name}.bpf.c"));
    let obj = dir.join(format!("{name}.bpf.o"));
    std::fs::write(&src, source).unwrap();
    corex_testkit::run(
        std::process::Command::new("clang")
            .args(["-target", "bpf", "-O2", "-g", "-c"])
            .arg(format!(
                "-I/usr/include/{}-linux-gnu",
                std::env::consts::ARCH
            ))
            .arg(&src)
            .arg("-o")
            .arg(&obj),
    );
    obj
}

/// The byte range of section `name` of a little-endian ELF64 file.
pub fn elf_section(data: &[u8], name: &str) -> std::ops::Range<usize> {
    let u16_at = |at: usize| u16::from_le_bytes(data[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum, shstrndx) =
        (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| shoff + i * shentsize;
    let strtab = u64_at(header(shstrndx) + 0x18);
    (0..shnum)
        .map(header)
        .find(|&h| {
            let start = strtab + u32_at(h);
            let end = start + data[start..].iter().position(|b| *b == 0).unwrap();
            &data[start..end] == name.as_bytes()
        })
        .map(|h| u64_at(h + 0x18)..u64_at(h + 0x18) + u64_at(h + 0x20))
        .unwrap_or_else(|| panic!("no section {name}"))
}
