//! Malformed `.BTF.ext`, one test per way it can be wrong, and records
//! checked against the `.BTF` they belong to: every case is an `Err` whose
//! message names the byte offset and says what is wrong.

#[allow(dead_code)]
mod common;

use common::{expect_err, put_u32};
use corex_btf::write::{BtfBuilder, TypeDef};
use corex_btf::{Btf, BtfExt, Linkage, TypeId};
use corex_testkit::repo_root;

/// A little-endian `.BTF.ext` with one record of each kind:
/// func_info subsection at 32 (rec_size @32, sec_name_off @36, num_info @40),
/// line_info at 52 (num_info @60), core_relo at 80 (num_info @88); 108 bytes.
fn ext() -> Vec<u8> {
    let words: [u32; 27] = [
        u32::from_le_bytes([0x9f, 0xeb, 1, 0]),
        32, // hdr_len
        0,  // func_info_off
        20, // func_info_len
        20, // line_info_off
        28, // line_info_len
        48, // core_relo_off
        28, // core_relo_len
        8,  // func_info: rec_size, then one section of one record
        1,
        1,
        0,
        2,
        16, // line_info
        1,
        1,
        0,
        1,
        1,
        (3 << 10) | 2,
        16, // core_relo
        1,
        1,
        0,
        2,
        1,
        0,
    ];
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

#[test]
fn ext_parses() {
    let e = BtfExt::parse(&ext()).unwrap();
    assert_eq!(e.func_info[0].records[0].type_id, TypeId(2));
    assert_eq!(e.line_info[0].records[0].line(), 3);
    assert_eq!(e.core_relos[0].records[0].access_str_off, 1);
    let clang = std::fs::read(repo_root().join("fuzz/corpus/btf_ext/prog-bpfeb.btf.ext")).unwrap();
    assert!(!BtfExt::parse(&clang).unwrap().core_relos.is_empty());
}

/// The `.BTF` that [`ext`]'s records refer to: `[1] FUNC_PROTO`, `[2] FUNC
/// prog` (string offset 1).
fn ext_btf() -> Btf {
    let mut b = BtfBuilder::new();
    let proto = b.add(&TypeDef::func_proto(TypeId::VOID, vec![]));
    b.add(&TypeDef::func("prog", proto, Linkage::Global));
    b.to_btf().unwrap()
}

#[test]
fn ext_checked_against_its_btf() {
    let btf = ext_btf();
    BtfExt::parse(&ext())
        .unwrap()
        .validate_against(&btf)
        .unwrap();
    let with = |at: usize, v: u32| {
        let mut data = ext();
        put_u32(&mut data, at, v);
        BtfExt::parse(&data).unwrap().validate_against(&btf)
    };
    expect_err(
        with(48, 9),
        &[
            "byte offset 44",
            "func_info record #0 of section 'prog'",
            "type id 9 is past the last type id 2",
        ],
    );
    expect_err(
        with(48, 1),
        &["byte offset 44", "type [1] is of kind FUNC_PROTO, not FUNC"],
    );
    expect_err(
        with(36, 0),
        &["byte offset 36", "func_info: section name offset 0"],
    );
    expect_err(
        with(68, 999),
        &[
            "byte offset 64",
            "line_info record #0 file name of section 'prog'",
            "string offset 999 is not a string of .BTF (6 bytes of strings)",
        ],
    );
    expect_err(
        with(72, 7),
        &["line_info record #0 source line", "offset 7"],
    );
    expect_err(
        with(100, 999),
        &["byte offset 92", "CO-RE record #0 access string", "999"],
    );
    expect_err(
        with(96, 3),
        &["byte offset 92", "CO-RE record #0", "type id 3"],
    );
}

#[test]
fn ext_too_short_bad_magic_bad_version() {
    expect_err(BtfExt::parse(&ext()[..7]), &["byte offset 0", "too short"]);
    let mut data = ext();
    data[0] = 0;
    expect_err(BtfExt::parse(&data), &["byte offset 0", "bad magic"]);
    let mut data = ext();
    data[2] = 2;
    expect_err(BtfExt::parse(&data), &["byte offset 2", "version 2"]);
}

#[test]
fn ext_header_length_out_of_range() {
    let mut data = ext();
    put_u32(&mut data, 4, 500);
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 4", "header length 500"],
    );
    put_u32(&mut data, 4, 12);
    expect_err(BtfExt::parse(&data), &["byte offset 4", "header length 12"]);
    // A header cut short inside its fields.
    expect_err(
        BtfExt::parse(&ext()[..20]),
        &["byte offset 4", "header length 32"],
    );
}

#[test]
fn ext_subsections_past_the_end() {
    let mut data = ext();
    put_u32(&mut data, 12, 1000);
    expect_err(
        BtfExt::parse(&data),
        &[
            "byte offset 8",
            "func_info (offset 0, length 1000) runs past the end",
        ],
    );
    let mut data = ext();
    put_u32(&mut data, 16, u32::MAX);
    expect_err(BtfExt::parse(&data), &["byte offset 16", "line_info"]);
    let mut data = ext();
    put_u32(&mut data, 24, 100);
    expect_err(BtfExt::parse(&data), &["byte offset 24", "core_relo"]);
}

#[test]
fn ext_bad_record_sizes() {
    let mut data = ext();
    put_u32(&mut data, 32, 4);
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 32", "func_info record size 4 is below 8"],
    );
    let mut data = ext();
    put_u32(&mut data, 52, 18);
    expect_err(
        BtfExt::parse(&data),
        &[
            "byte offset 52",
            "line_info record size 18",
            "multiple of 4",
        ],
    );
    let mut data = ext();
    put_u32(&mut data, 80, 0);
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 80", "core_relo record size 0"],
    );
}

#[test]
fn ext_record_counts_that_overflow_or_run_past() {
    let mut data = ext();
    put_u32(&mut data, 40, u32::MAX);
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 40", "4294967295 records of 8 bytes run past"],
    );
    let mut data = ext();
    put_u32(&mut data, 32, 0x8000_0000);
    put_u32(&mut data, 40, 0x8000_0000);
    expect_err(BtfExt::parse(&data), &["byte offset 40", "records of"]);
    let mut data = ext();
    put_u32(&mut data, 88, 2);
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 88", "core_relo: 2 records"],
    );
    let mut data = ext();
    put_u32(&mut data, 60, 0);
    expect_err(BtfExt::parse(&data), &["byte offset 60", "zero records"]);
}

#[test]
fn ext_section_header_cut_short() {
    // func_info_len 8: the rec_size and 4 bytes of a section header.
    let mut data = ext();
    put_u32(&mut data, 12, 8);
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 36", "func_info: section header runs past"],
    );
}

#[test]
fn ext_big_endian() {
    let mut data: Vec<u8> = ext()
        .chunks(4)
        .flat_map(|c| {
            let w = u32::from_le_bytes(c.try_into().unwrap());
            w.to_be_bytes()
        })
        .collect();
    // The magic and version are bytes, not a word: put them back in order.
    data[..4].copy_from_slice(&[0xeb, 0x9f, 1, 0]);
    let e = BtfExt::parse(&data).unwrap();
    assert_eq!(e.core_relos[0].records[0].type_id, TypeId(2));
    data[40..44].copy_from_slice(&u32::MAX.to_be_bytes());
    expect_err(
        BtfExt::parse(&data),
        &["byte offset 40", "4294967295 records"],
    );
}
