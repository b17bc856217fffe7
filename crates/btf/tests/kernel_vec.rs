//! `Btf::from_kernel_vec`: BTF the kernel handed out, parsed without the
//! per-type pass the kernel already made. It reads valid BTF exactly as
//! `Btf::from_vec` does; on BTF that pass would refuse (impossible for data
//! from the kernel) its accessors and raw dump still never panic: bad ids
//! read as `void`, bad string offsets as `""` (`fuzz/src/exercise.rs`
//! checks the same on every fuzz input). The header, string table and
//! record sizes are still checked.

#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use corex_btf::dump::{self, Filter};
use corex_btf::{Btf, Endian, Kind, TypeId};
use seeds::{assemble, info};

/// Strings: 0 `""`, 1 `"int"`, 5 `"x"`.
const STRINGS: &[u8] = b"\0int\0x\0";

/// `[1] int`, then `rest`.
fn with_int(rest: &[u32]) -> Vec<u8> {
    let int = [1, (Kind::Int as u32) << 24, 4, (1 << 24) | 32];
    let words: Vec<u32> = int.iter().chain(rest).copied().collect();
    assemble(&words, STRINGS, Endian::Little)
}

fn raw_dump(btf: &Btf) -> String {
    let mut out = Vec::new();
    dump::raw::dump(btf, &Filter::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn valid_btf_reads_as_from_vec_reads_it() {
    let data = with_int(&[
        5,
        info(Kind::Struct, false, 1),
        4,
        5,
        1,
        0,
        0,
        info(Kind::Ptr, false, 0),
        2,
    ]);
    let checked = Btf::from_vec(data.clone(), None).unwrap();
    let trusted = Btf::from_kernel_vec(data, None).unwrap();
    assert_eq!(trusted.type_count(), 4);
    assert_eq!(raw_dump(&trusted), raw_dump(&checked));
    assert_eq!(
        trusted.find_by_name_kind("x", Kind::Struct),
        Some(TypeId(2))
    );
}

#[test]
fn bad_ids_and_names_read_as_void_and_empty_never_a_panic() {
    let data = with_int(&[
        // [2] PTR to type 99 (there are 3 types).
        0,
        info(Kind::Ptr, false, 0),
        99,
        // [3] STRUCT named at offset 999, one member of type 77 named at 555.
        999,
        info(Kind::Struct, false, 1),
        4,
        555,
        77,
        0,
    ]);
    let refused = Btf::from_vec(data.clone(), None).unwrap_err().to_string();
    assert!(refused.contains("type id 99"), "{refused}");
    let btf = Btf::from_kernel_vec(data, None).unwrap();
    let ptr = btf.ty(TypeId(2));
    assert_eq!(btf.ty(ptr.type_id()).kind(), Kind::Void);
    let s = btf.ty(TypeId(3));
    assert_eq!(s.name(), "");
    let text = raw_dump(&btf);
    assert!(text.contains("[2] PTR '(anon)' type_id=99"), "{text}");
}

#[test]
fn header_strings_and_record_sizes_are_still_checked() {
    let mut data = with_int(&[0, info(Kind::Ptr, false, 0), 1]);
    // The last string's NUL.
    let last = data.len() - 1;
    data[last] = b'x';
    let e = Btf::from_kernel_vec(data, None).unwrap_err().to_string();
    assert!(e.contains("not NUL-terminated"), "{e}");
    // A STRUCT whose one member runs past the type section.
    let cut = with_int(&[5, info(Kind::Struct, false, 1), 4, 5]);
    assert!(Btf::from_kernel_vec(cut, None).is_err());
    assert!(Btf::from_kernel_vec(vec![0; 10], None).is_err());
}
