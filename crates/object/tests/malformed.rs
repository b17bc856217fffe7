//! Malformed objects and `.BTF.ext` records give errors that name the
//! section, record and offset; nothing panics.

use corex_object::core::{Outcome, Target};
use corex_object::{Error, Object};

fn object_bytes() -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/core_basic.bpf.o",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn u16_at(d: &[u8], at: usize) -> usize {
    u16::from_le_bytes([d[at], d[at + 1]]) as usize
}
fn u32_at(d: &[u8], at: usize) -> usize {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap()) as usize
}
fn u64_at(d: &[u8], at: usize) -> usize {
    u64::from_le_bytes(d[at..at + 8].try_into().unwrap()) as usize
}

/// File offset of the section header of `name`, and its contents' offset.
fn section(d: &[u8], name: &str) -> (usize, usize) {
    let (shoff, shnum, shstrndx) = (u64_at(d, 0x28), u16_at(d, 0x3c), u16_at(d, 0x3e));
    let strtab = u64_at(d, shoff + shstrndx * 64 + 24);
    (0..shnum)
        .map(|i| shoff + i * 64)
        .find(|&h| {
            let at = strtab + u32_at(d, h);
            d[at..].split(|&b| b == 0).next() == Some(name.as_bytes())
        })
        .map(|h| (h, u64_at(d, h + 24)))
        .unwrap_or_else(|| panic!("no section {name}"))
}

/// File offset of CO-RE record `index` of the first `.BTF.ext` block.
fn core_record(d: &[u8], index: usize) -> usize {
    let (_, ext) = section(d, ".BTF.ext");
    let start = ext + u32_at(d, ext + 4) + u32_at(d, ext + 24);
    let rec_size = u32_at(d, start);
    assert!(u32_at(d, start + 8) > index);
    start + 12 + index * rec_size
}

fn parse_err(d: &[u8]) -> Error {
    Object::parse(d).expect_err("malformed input must be rejected")
}

/// Relocates against the object's own BTF and returns the first failure.
fn first_failure(d: &[u8]) -> String {
    let obj = Object::parse(d).unwrap();
    let btf = corex_btf::Btf::parse(&corex_btf::elf_btf_sections(d).unwrap().0).unwrap();
    let report = obj.relocate_core(&Target::new(&btf));
    report
        .results
        .iter()
        .find_map(|r| match &r.outcome {
            Outcome::Failed(e) => Some(format!(
                "{} relo #{} insn #{}: {e}",
                r.program, r.index, r.insn
            )),
            _ => None,
        })
        .expect("a relocation fails")
}

#[test]
fn truncated_instructions() {
    let mut d = object_bytes();
    let (hdr, _) = section(&d, "xdp");
    let size = u64_at(&d, hdr + 32) as u64 - 4;
    d[hdr + 32..hdr + 40].copy_from_slice(&size.to_le_bytes());
    let e = parse_err(&d).to_string();
    assert!(e.starts_with("section 'xdp' (#"), "{e}");
    assert!(
        e.contains("code size 12 is not a multiple of 8 (truncated instruction at offset 8)"),
        "{e}"
    );
}

#[test]
fn core_record_past_its_section() {
    let mut d = object_bytes();
    let rec = core_record(&d, 1);
    d[rec..rec + 4].copy_from_slice(&0x10000u32.to_le_bytes());
    let e = parse_err(&d);
    assert!(matches!(e, Error::CoreRecord { index: 1, .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.starts_with(".BTF.ext CO-RE record #1 of section '.text' (at .BTF.ext byte offset "),
        "{e}"
    );
    assert!(
        e.ends_with("instruction offset 65536 is past the end of section '.text' (272 bytes)"),
        "{e}"
    );
}

#[test]
fn core_record_offset_not_a_whole_instruction() {
    let mut d = object_bytes();
    let rec = core_record(&d, 0);
    let off = u32_at(&d, rec) as u32 + 4;
    d[rec..rec + 4].copy_from_slice(&off.to_le_bytes());
    let e = parse_err(&d).to_string();
    assert!(
        e.ends_with("instruction offset 12 is not a multiple of 8"),
        "{e}"
    );
}

#[test]
fn unknown_kind() {
    let mut d = object_bytes();
    let rec = core_record(&d, 0);
    d[rec + 12..rec + 16].copy_from_slice(&13u32.to_le_bytes());
    assert_eq!(
        first_failure(&d),
        "read_pid relo #0 insn #1: unknown CO-RE relocation kind 13 (kinds 0 to 12 exist)"
    );
}

#[test]
fn access_string_past_the_string_table() {
    let mut d = object_bytes();
    let rec = core_record(&d, 0);
    d[rec + 8..rec + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let e = first_failure(&d);
    assert!(
        e.ends_with("the access string offset is past the string table"),
        "{e}"
    );
}

#[test]
fn access_string_that_does_not_fit_the_type() {
    let mut d = object_bytes();
    // Record #3 is byte_sz of task_struct.comm ("0:7"); point it at
    // mm_struct, which has two members.
    let obj = Object::parse(&d).unwrap();
    let btf = obj.btf.as_ref().unwrap();
    let mm = btf.types().find(|t| t.name() == "mm_struct").unwrap().id();
    let rec = core_record(&d, 3);
    d[rec + 4..rec + 8].copy_from_slice(&mm.0.to_le_bytes());
    let e = first_failure(&d);
    assert_eq!(
        e,
        format!("read_comm0 relo #3 insn #11: access string '0:7' on [{mm}] struct mm_struct: member #7 does not exist ([{mm}] struct mm_struct has 2 members)")
    );
}

#[test]
fn truncated_files_and_garbage() {
    let d = object_bytes();
    for len in [0, 3, 16, 64, 200, d.len() / 2, d.len() - 1] {
        assert!(
            Object::parse(&d[..len]).is_err(),
            "a {len}-byte prefix parsed"
        );
    }
    let e = parse_err(b"not an ELF file at all").to_string();
    assert!(e.starts_with("not a readable ELF file"), "{e}");
}

/// Byte flips anywhere in the object: parsing and relocating either work or
/// give an error, never a panic.
#[test]
fn random_corruption_never_panics() {
    let orig = object_bytes();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Half the flips land in .BTF.ext or .BTF, where CO-RE reads.
    let ext = section(&orig, ".BTF.ext").1;
    let btf = section(&orig, ".BTF").1;
    let regions = [(0, orig.len()), (ext, 400), (btf, 600)];
    for i in 0..3000 {
        let mut d = orig.clone();
        let (start, len) = regions[i % 4 % 3];
        for _ in 0..1 + next() % 4 {
            let at = start + (next() % len as u64) as usize;
            d[at] = next() as u8;
        }
        let Ok(obj) = Object::parse(&d) else {
            continue;
        };
        let target = corex_btf::elf_btf_sections(&d)
            .ok()
            .and_then(|(b, _)| corex_btf::Btf::parse(&b).ok());
        if let Some(btf) = target {
            let _ = obj.relocate_core(&Target::new(&btf));
        }
    }
}
