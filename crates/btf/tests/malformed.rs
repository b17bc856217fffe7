//! Malformed input, one test per way it can be wrong: every case is an `Err`
//! (never a panic) whose message names the byte offset or type id and says
//! what is wrong. Inputs are small valid BTF / ELF / xz built by hand, then
//! corrupted at known bytes (`.BTF.ext`: `malformed_ext.rs`).

#[allow(dead_code)]
mod common;
#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use std::sync::Arc;

use common::{expect_err, put_u32};
use corex_btf::dump::{self, Filter};
use corex_btf::{Btf, Endian, Kind, TypeId};
use corex_testkit::archive::{tar, xz};
use seeds::{assemble, find, info};

/// Strings of the hand-made BTF: 0 `""`, 1 `"int"`, 5 `"x"`.
const STRINGS: &[u8] = b"\0int\0x\0";
/// Byte offset of the type section (right after the 24-byte header).
const TYPES: usize = 24;
/// Byte offset of type [2], the record after the INT in [`with_int`].
const SECOND: usize = TYPES + 16;

/// `[1] INT 'int' size=4 nr_bits=32 encoding=SIGNED`.
const INT: [u32; 4] = [1, (Kind::Int as u32) << 24, 4, (1 << 24) | 32];

/// Little-endian BTF: `[1] int` followed by the records in `rest`.
fn with_int(rest: &[u32]) -> Vec<u8> {
    with_int_in(rest, Endian::Little)
}

fn with_int_in(rest: &[u32], endian: Endian) -> Vec<u8> {
    let words: Vec<u32> = INT.iter().chain(rest).copied().collect();
    assemble(&words, STRINGS, endian)
}

fn parse(data: &[u8]) -> corex_btf::Result<Btf> {
    Btf::parse(data)
}

#[test]
fn the_hand_made_inputs_are_valid() {
    let btf = parse(&with_int(&[0, info(Kind::Ptr, false, 0), 1])).unwrap();
    assert_eq!(btf.type_count(), 3);
    assert_eq!(btf.ty(TypeId(1)).name(), "int");
}

// ---- header ---------------------------------------------------------------

#[test]
fn empty_input() {
    expect_err(
        parse(&[]),
        &["truncated BTF header", "byte offset 0", "has 0"],
    );
    expect_err(corex_btf::load(&[], None), &["empty file"]);
}

#[test]
fn truncated_header() {
    let data = with_int(&[]);
    expect_err(
        parse(&data[..23]),
        &[
            "truncated BTF header",
            "needs 24 bytes at byte offset 0",
            "has 23",
        ],
    );
}

#[test]
fn truncated_in_the_sections() {
    let data = with_int(&[]);
    expect_err(
        parse(&data[..TYPES + 8]),
        &[
            "type_len = 16 at byte offset 12",
            "past the end of the input",
        ],
    );
    expect_err(
        parse(&data[..data.len() - 1]),
        &["str_len = 7 at byte offset 20", "past the end of the input"],
    );
}

#[test]
fn wrong_magic() {
    let mut data = with_int(&[]);
    data[0] = 0x12;
    data[1] = 0x34;
    expect_err(parse(&data), &["bad magic 0x3412", "byte offset 0"]);
    expect_err(
        corex_btf::load(&data, None),
        &["not BTF", "starts with bytes 12 34"],
    );
}

#[test]
fn bad_version() {
    let mut data = with_int(&[]);
    data[2] = 2;
    expect_err(parse(&data), &["version = 2 at byte offset 2", "version 1"]);
}

#[test]
fn header_length_out_of_range() {
    let mut data = with_int(&[]);
    put_u32(&mut data, 4, 1000);
    expect_err(
        parse(&data),
        &["hdr_len = 1000 at byte offset 4", "longer than the input"],
    );
    put_u32(&mut data, 4, 16);
    expect_err(
        parse(&data),
        &["hdr_len = 16 at byte offset 4", "shorter than 24"],
    );
}

#[test]
fn type_section_past_the_end() {
    let mut data = with_int(&[]);
    put_u32(&mut data, 12, 0x1000);
    expect_err(
        parse(&data),
        &["type_len = 4096 at byte offset 12", "past the end"],
    );
    // An offset that would overflow 32 bits when added to the length.
    put_u32(&mut data, 8, 0xffff_fffc);
    put_u32(&mut data, 12, 16);
    expect_err(parse(&data), &["at byte offset 12", "past the end"]);
}

#[test]
fn string_section_past_the_end() {
    let mut data = with_int(&[]);
    put_u32(&mut data, 20, 8);
    expect_err(
        parse(&data),
        &["str_len = 8 at byte offset 20", "past the end"],
    );
    put_u32(&mut data, 16, u32::MAX);
    put_u32(&mut data, 20, 7);
    expect_err(parse(&data), &["at byte offset 20", "past the end"]);
}

#[test]
fn overlapping_sections() {
    let mut data = with_int(&[]);
    put_u32(&mut data, 16, 8);
    put_u32(&mut data, 20, 4);
    expect_err(
        parse(&data),
        &["str_off = 8 at byte offset 16", "overlaps the type section"],
    );
}

#[test]
fn misaligned_type_section() {
    let mut data = with_int(&[]);
    put_u32(&mut data, 8, 2);
    expect_err(parse(&data), &["type_off = 2 at byte offset 8", "aligned"]);
    let mut data = with_int(&[]);
    put_u32(&mut data, 12, 14);
    expect_err(
        parse(&data),
        &["type_len = 14 at byte offset 12", "multiple of 4"],
    );
}

// ---- string section -------------------------------------------------------

#[test]
fn string_section_not_nul_terminated() {
    let data = assemble(&INT, b"\0int\0x", Endian::Little);
    expect_err(
        parse(&data),
        &["string table at byte offset 45", "not NUL-terminated"],
    );
}

#[test]
fn first_string_not_empty() {
    let data = assemble(&INT, b"a\0int\0", Endian::Little);
    expect_err(
        parse(&data),
        &[
            "string table at byte offset 40",
            "first string must be empty",
        ],
    );
}

#[test]
fn empty_string_section() {
    let data = assemble(&[], b"", Endian::Little);
    expect_err(parse(&data), &["string table at byte offset 24", "empty"]);
}

#[test]
fn non_utf8_string() {
    let data = assemble(&INT, b"\0in\xfft\0", Endian::Little);
    expect_err(
        parse(&data),
        &["string table at byte offset 43", "not valid UTF-8"],
    );
}

#[test]
fn name_offset_past_the_string_table() {
    let mut int = INT;
    int[0] = 7;
    let data = assemble(&int, STRINGS, Endian::Little);
    expect_err(
        parse(&data),
        &[
            "type [1] at byte offset 24",
            "name string offset 7",
            "past the string table (7 bytes)",
        ],
    );
}

#[test]
fn name_offset_inside_a_character() {
    // "é" is c3 a9: offset 2 is the second byte of the character.
    let mut int = INT;
    int[0] = 2;
    let data = assemble(&int, "\0é\0".as_bytes(), Endian::Little);
    expect_err(
        parse(&data),
        &["type [1] at byte offset 24", "name string offset 2"],
    );
}

#[test]
fn member_enumerator_and_parameter_names_past_the_string_table() {
    let member = [5, info(Kind::Struct, false, 1), 4, 99, 1, 0];
    expect_err(
        parse(&with_int(&member)),
        &[
            &format!("type [2] at byte offset {SECOND}"),
            "member name string offset 99",
        ],
    );
    let enumerator = [5, info(Kind::Enum, false, 1), 4, 100, 7];
    expect_err(
        parse(&with_int(&enumerator)),
        &["type [2]", "enumerator name string offset 100"],
    );
    let enum64 = [5, info(Kind::Enum64, false, 1), 8, 101, 7, 0];
    expect_err(
        parse(&with_int(&enum64)),
        &["type [2]", "enumerator name string offset 101"],
    );
    let param = [0, info(Kind::FuncProto, false, 1), 1, 102, 1];
    expect_err(
        parse(&with_int(&param)),
        &["type [2]", "parameter name string offset 102"],
    );
}

// ---- type records ---------------------------------------------------------

/// Each kind with a type id field, pointing at 99 in a BTF whose last id is 2.
#[test]
fn type_id_past_the_end_in_every_referencing_kind() {
    let cases: Vec<(&str, Vec<u32>, &str)> = vec![
        ("ptr", vec![0, info(Kind::Ptr, false, 0), 99], "type_id"),
        (
            "typedef",
            vec![5, info(Kind::Typedef, false, 0), 99],
            "type_id",
        ),
        ("const", vec![0, info(Kind::Const, false, 0), 99], "type_id"),
        (
            "volatile",
            vec![0, info(Kind::Volatile, false, 0), 99],
            "type_id",
        ),
        (
            "restrict",
            vec![0, info(Kind::Restrict, false, 0), 99],
            "type_id",
        ),
        (
            "type_tag",
            vec![5, info(Kind::TypeTag, false, 0), 99],
            "type_id",
        ),
        ("func", vec![5, info(Kind::Func, false, 1), 99], "type_id"),
        ("var", vec![5, info(Kind::Var, false, 0), 99, 1], "type_id"),
        (
            "decl_tag",
            vec![5, info(Kind::DeclTag, false, 0), 99, u32::MAX],
            "type_id",
        ),
        (
            "array element",
            vec![0, info(Kind::Array, false, 0), 0, 99, 1, 4],
            "element or index",
        ),
        (
            "array index",
            vec![0, info(Kind::Array, false, 0), 0, 1, 99, 4],
            "element or index",
        ),
        (
            "struct member",
            vec![5, info(Kind::Struct, false, 1), 4, 5, 99, 0],
            "member",
        ),
        (
            "union member",
            vec![5, info(Kind::Union, false, 2), 4, 5, 1, 0, 5, 99, 0],
            "member",
        ),
        (
            "func_proto return",
            vec![0, info(Kind::FuncProto, false, 1), 99, 0, 1],
            "return or a parameter",
        ),
        (
            "func_proto parameter",
            vec![0, info(Kind::FuncProto, false, 1), 1, 0, 99],
            "return or a parameter",
        ),
        (
            "datasec variable",
            vec![5, info(Kind::Datasec, false, 1), 4, 99, 0, 4],
            "variable",
        ),
    ];
    for (what, record, field) in cases {
        let msg = expect_err(
            parse(&with_int(&record)),
            &[
                &format!("type [2] at byte offset {SECOND}"),
                field,
                "type id 99",
                "last type id is 2",
            ],
        );
        println!("{what}: {msg}");
    }
}

#[test]
fn type_id_one_past_the_last() {
    let msg = expect_err(
        parse(&with_int(&[0, info(Kind::Ptr, false, 0), 3])),
        &["type [2]", "type id 3", "last type id is 2"],
    );
    assert!(!msg.contains("type id 99"));
}

#[test]
fn unknown_kind() {
    expect_err(
        parse(&with_int(&[0, 25 << 24, 0])),
        &[
            &format!("type [2] at byte offset {SECOND}"),
            "unknown kind 25",
        ],
    );
    // Kind 0 is void, which has no record.
    expect_err(
        parse(&with_int(&[0, 0, 0])),
        &["type [2]", "unknown kind 0"],
    );
}

#[test]
fn vlen_runs_past_the_type_section() {
    let cases = [
        (Kind::Struct, "STRUCT with vlen 1000 needs 12012 bytes"),
        (Kind::Enum, "ENUM with vlen 1000 needs 8012 bytes"),
        (
            Kind::FuncProto,
            "FUNC_PROTO with vlen 1000 needs 8012 bytes",
        ),
        (Kind::Datasec, "DATASEC with vlen 1000 needs 12012 bytes"),
    ];
    for (kind, what) in cases {
        expect_err(
            parse(&with_int(&[5, info(kind, false, 1000), 4, 0, 0, 0])),
            &[
                &format!("type [2] at byte offset {SECOND}"),
                what,
                "has 24 left",
            ],
        );
    }
    // The largest vlen, in the last record.
    expect_err(
        parse(&with_int(&[5, info(Kind::Enum64, false, u16::MAX), 8])),
        &["type [2]", "ENUM64 with vlen 65535", "has 12 left"],
    );
}

#[test]
fn record_cut_short() {
    // Two words where a record header needs three.
    expect_err(
        parse(&with_int(&[0, info(Kind::Ptr, false, 0)])),
        &[
            &format!("type [2] at byte offset {SECOND}"),
            "needs 12 bytes",
            "has 8 left",
        ],
    );
    // An INT without its encoding word.
    expect_err(
        parse(&with_int(&[1, info(Kind::Int, false, 0), 4])),
        &["type [2]", "INT with vlen 0 needs 16 bytes", "has 12 left"],
    );
}

#[test]
fn sizes_that_cannot_be() {
    expect_err(
        parse(&with_int(&[1, info(Kind::Int, false, 0), 4, 64])),
        &["type [2]", "INT of 4 bytes cannot hold 64 bits"],
    );
    expect_err(
        parse(&with_int(&[1, info(Kind::Int, false, 0), 16, 200])),
        &["type [2]", "cannot hold 200 bits"],
    );
    expect_err(
        parse(&with_int(&[5, info(Kind::Enum, false, 0), 3])),
        &["type [2]", "ENUM of size 3"],
    );
    let bitfield = [5, info(Kind::Struct, true, 1), 4, 5, 1, 200 << 24];
    expect_err(
        parse(&with_int(&bitfield)),
        &["type [2]", "member #0 has a bitfield size of 200 bits"],
    );
}

// ---- big-endian -----------------------------------------------------------

#[test]
fn big_endian_errors() {
    let mut data = with_int_in(&[], Endian::Big);
    data[2] = 3;
    expect_err(parse(&data), &["version = 3 at byte offset 2"]);

    let mut data = with_int_in(&[], Endian::Big);
    data[20..24].copy_from_slice(&100u32.to_be_bytes());
    expect_err(parse(&data), &["str_len = 100 at byte offset 20"]);

    let ptr = [0, info(Kind::Ptr, false, 0), 99];
    expect_err(
        parse(&with_int_in(&ptr, Endian::Big)),
        &[&format!("type [2] at byte offset {SECOND}"), "type id 99"],
    );
    let vlen = [5, info(Kind::Struct, false, 1000), 4];
    expect_err(
        parse(&with_int_in(&vlen, Endian::Big)),
        &["type [2]", "STRUCT with vlen 1000"],
    );
    let name = [100, info(Kind::Ptr, false, 0), 1];
    expect_err(
        parse(&with_int_in(&name, Endian::Big)),
        &["type [2]", "name string offset 100"],
    );
}

// ---- split BTF ------------------------------------------------------------

fn base() -> Arc<Btf> {
    Arc::new(parse(&seeds::build(&seeds::all_kinds(), Endian::Little)).unwrap())
}

#[test]
fn split_btf_parses_on_its_base() {
    let base = base();
    let data = seeds::split_on_all_kinds(base.clone(), Endian::Little);
    let split = Btf::parse_split(&data, base).unwrap();
    assert_eq!(split.first_id(), 21);
    let modstruct = split.ty(TypeId(23));
    assert_eq!(modstruct.name(), "modstruct");
    assert_eq!(modstruct.member(1).unwrap().name, "p");
    assert_eq!(split.ty(TypeId(21)).name(), "mod_t");
    // Without its base, the same bytes refer to strings that do not exist.
    expect_err(
        parse(&data),
        &["the first string must be empty", "split BTF", "its base"],
    );
}

#[test]
fn split_btf_type_ids_past_base_and_own() {
    let base = base();
    // [21] PTR -> 21 is fine (itself); -> 22 is one past the last.
    let ok = assemble(&[0, info(Kind::Ptr, false, 0), 21], b"\0", Endian::Little);
    Btf::parse_split(&ok, base.clone()).unwrap();
    let bad = assemble(&[0, info(Kind::Ptr, false, 0), 22], b"\0", Endian::Little);
    expect_err(
        Btf::parse_split(&bad, base),
        &[
            "type [21] at byte offset 24",
            "type id 22",
            "last type id is 21",
        ],
    );
}

#[test]
fn split_btf_string_offsets_past_base_and_own() {
    let base = base();
    let own = base.strings_len();
    // Own strings: "" at `own`, "m" at `own + 1`; `own + 3` is past the end.
    let ok = assemble(
        &[own + 1, info(Kind::Fwd, false, 0), 0],
        b"\0m\0",
        Endian::Little,
    );
    let split = Btf::parse_split(&ok, base.clone()).unwrap();
    assert_eq!(split.ty(TypeId(21)).name(), "m");
    let bad = assemble(
        &[own + 3, info(Kind::Fwd, false, 0), 0],
        b"\0m\0",
        Endian::Little,
    );
    expect_err(
        Btf::parse_split(&bad, base),
        &[
            "type [21] at byte offset 24",
            &format!("name string offset {}", own + 3),
            &format!("({} bytes)", own + 3),
        ],
    );
}

// ---- containers -----------------------------------------------------------

#[test]
fn elf_object_loads_from_an_unaligned_slice() {
    for shift in 1..8 {
        let mut buf = vec![0; shift];
        buf.extend_from_slice(seeds::ELF_OBJECT);
        let loaded = corex_btf::load(&buf[shift..], None)
            .unwrap_or_else(|e| panic!("shifted by {shift}: {e}"));
        assert!(loaded.btf.type_count() > 1);
        corex_btf::elf_btf_sections(&buf[shift..]).unwrap();
    }
}

#[test]
fn elf_object_loads() {
    let loaded = corex_btf::load(seeds::ELF_OBJECT, None).unwrap();
    assert_eq!(loaded.container, corex_btf::Container::Elf);
    assert!(loaded.ext.is_some());
}

#[test]
fn elf_without_btf() {
    let mut data = seeds::ELF_OBJECT.to_vec();
    // Rename the section: ".BTF\0" (the end of ".rel.BTF" in .strtab) to ".XTF".
    let at = find(&data, b".BTF\0");
    data[at + 1] = b'X';
    expect_err(corex_btf::load(&data, None), &["no .BTF section"]);
}

#[test]
fn elf_with_truncated_section_headers() {
    let data = seeds::ELF_OBJECT;
    let shoff = u64::from_le_bytes(data[0x28..0x30].try_into().unwrap()) as usize;
    let msg = expect_err(corex_btf::load(&data[..shoff + 100], None), &["ELF"]);
    assert!(
        msg.contains(&shoff.to_string()),
        "{msg:?} does not name the section header offset {shoff}"
    );
}

#[test]
fn elf_with_corrupt_btf_section_names_the_section() {
    let mut data = seeds::ELF_OBJECT.to_vec();
    let btf = parse(&corex_btf::elf_btf_sections(&data).unwrap().0).unwrap();
    let magic = BTF_LE_MAGIC_AND_VERSION;
    let at = find(&data, &magic);
    data[at + 2] = 7;
    expect_err(
        corex_btf::load(&data, None),
        &[".BTF", &at.to_string(), "version = 7 at byte offset 2"],
    );
    assert!(btf.type_count() > 1);
}

const BTF_LE_MAGIC_AND_VERSION: [u8; 4] = [0x9f, 0xeb, 1, 0];

#[test]
fn xz_garbage() {
    let mut data = b"\xfd7zXZ\x00".to_vec();
    data.extend_from_slice(&[0x55; 64]);
    expect_err(corex_btf::load(&data, None), &["xz"]);
    // A valid xz stream of something that is not BTF.
    let not_btf = xz(b"hello, world");
    expect_err(corex_btf::load(&not_btf, None), &["not BTF", "68 65 6c 6c"]);
    // A valid stream of corrupt BTF: the error says it came out of the xz.
    let mut bad = with_int(&[]);
    bad[2] = 9;
    expect_err(
        corex_btf::load(&xz(&bad), None),
        &["xz", "version = 9 at byte offset 2"],
    );
}

#[test]
fn tar_xz_with_one_member_loads() {
    let data = with_int(&[]);
    let loaded = corex_btf::load(&xz(&tar(&[("vmlinux.btf", &data)])), None).unwrap();
    assert_eq!(loaded.container, corex_btf::Container::TarXz);
    assert_eq!(loaded.btf.type_count(), 2);
}

#[test]
fn tar_xz_with_two_members() {
    let data = with_int(&[]);
    let archive = tar(&[("a.btf", &data), ("b.btf", &data)]);
    expect_err(
        corex_btf::load(&xz(&archive), None),
        &["more than one file", "b.btf"],
    );
    expect_err(corex_btf::load(&xz(&tar(&[])[..]), None), &["not BTF"]);
}

#[test]
fn tar_xz_with_a_truncated_member() {
    let data = with_int(&[]);
    let archive = tar(&[("vmlinux.btf", &data)]);
    expect_err(corex_btf::load(&xz(&archive[..520]), None), &["tar"]);
}

// ---- dumping whatever parsed ----------------------------------------------

#[test]
fn cycles_parse_and_dump_without_hanging() {
    let btf = parse(&seeds::build(&seeds::cycles(), Endian::Little)).unwrap();
    let mut raw = Vec::new();
    dump::raw::dump(&btf, &Filter::default(), &mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.contains("[1] TYPEDEF 'loop_t' type_id=1\n"), "{raw}");
    assert!(raw.contains("[8] TYPE_TAG 'tagged' type_id=8\n"), "{raw}");
    let mut json = Vec::new();
    dump::json::dump(&btf, &Filter::default(), &mut json).unwrap();
    assert!(String::from_utf8(json).unwrap().contains("\"loop_t\""));
    for id in btf.all_ids() {
        let _ = btf.skip_mods_and_typedefs(id);
        let _ = btf.skip_mods(id);
    }
    for id in [1, 2, 3, 4, 8] {
        assert_eq!(btf.resolve_size(TypeId(id)), None, "[{id}] is a cycle");
    }
    assert_eq!(
        btf.resolve_size(TypeId(6)),
        Some(8),
        "a pointer into a cycle"
    );
    assert_eq!(btf.resolve_size(TypeId(7)), Some(8), "a struct in a cycle");
}

#[test]
fn array_size_overflow_has_no_size() {
    // [2] ARRAY int[0xffffffff], [3] ARRAY of [2] x 0xffffffff, [4] of [3] x 0xffffffff.
    let arrays = [
        0,
        info(Kind::Array, false, 0),
        0,
        1,
        1,
        u32::MAX,
        0,
        info(Kind::Array, false, 0),
        0,
        2,
        1,
        u32::MAX,
        0,
        info(Kind::Array, false, 0),
        0,
        3,
        1,
        u32::MAX,
    ];
    let btf = parse(&with_int(&arrays)).unwrap();
    assert_eq!(btf.resolve_size(TypeId(2)), Some(4 * u64::from(u32::MAX)));
    assert_eq!(btf.resolve_size(TypeId(4)), None);
    let mut raw = Vec::new();
    dump::raw::dump(&btf, &Filter::default(), &mut raw).unwrap();
}

#[test]
fn odd_but_valid_records_dump() {
    // Unknown linkage, unknown INT encoding, kflag on kinds that ignore it,
    // a DECL_TAG component index far out of range, and a FWD with a vlen.
    let odd = [
        5,
        info(Kind::Func, true, 77),
        0,
        5,
        info(Kind::Var, false, 0),
        1,
        9,
        1,
        info(Kind::Int, true, 0),
        8,
        (0xf << 24) | 64,
        5,
        info(Kind::DeclTag, false, 0),
        1,
        0x7fff_ffff,
        5,
        info(Kind::Fwd, true, 3),
        0,
    ];
    let btf = parse(&with_int(&odd)).unwrap();
    let mut raw = Vec::new();
    dump::raw::dump(&btf, &Filter::default(), &mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.contains("linkage=(unknown)"), "{raw}");
    assert!(raw.contains("encoding=UNKN"), "{raw}");
    dump::json::dump(&btf, &Filter::default(), &mut std::io::sink()).unwrap();
}

/// C dump of `words` (after `[1] int`): its error message, or the header.
fn c_dump(words: &[u32]) -> Result<String, String> {
    let btf = parse(&with_int(words)).unwrap();
    let mut out = Vec::new();
    match dump::c::dump(&btf, &mut out) {
        Ok(()) => Ok(String::from_utf8(out).unwrap()),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn c_dump_reports_cycles_not_broken_by_a_named_struct() {
    let cycles: [(&str, Vec<u32>); 6] = [
        (
            "typedef of itself",
            vec![5, info(Kind::Typedef, false, 0), 2],
        ),
        (
            "const/volatile loop",
            vec![
                0,
                info(Kind::Const, false, 0),
                3,
                0,
                info(Kind::Volatile, false, 0),
                2,
            ],
        ),
        (
            "type_tag of itself",
            vec![5, info(Kind::TypeTag, false, 0), 2],
        ),
        (
            "array of itself",
            vec![0, info(Kind::Array, false, 0), 0, 2, 1, 2],
        ),
        (
            "function returning itself",
            vec![0, info(Kind::FuncProto, false, 1), 2, 0, 2],
        ),
        (
            "pointer to itself",
            vec![
                0,
                info(Kind::Ptr, false, 0),
                2,
                5,
                info(Kind::Var, false, 0),
                2,
                1,
            ],
        ),
    ];
    for (what, words) in cycles {
        match c_dump(&words) {
            Err(msg) => assert!(
                msg.contains("type [2]") || msg.contains("type [3]"),
                "{what}: {msg}"
            ),
            Ok(out) => panic!("{what}: dumped as C:\n{out}"),
        }
    }
}

#[test]
fn c_dump_follows_cycles_through_a_named_struct() {
    // [2] STRUCT node { struct node *next; }  [3] PTR -> 2
    let words = [
        5,
        info(Kind::Struct, false, 1),
        8,
        5,
        3,
        0,
        0,
        info(Kind::Ptr, false, 0),
        2,
    ];
    let out = c_dump(&words).unwrap();
    assert!(out.contains("struct x {\n\tstruct x *x;\n};"), "{out}");
}
