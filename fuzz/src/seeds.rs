//! Small, valid BTF inputs built with corex-btf's writer: the seed corpus of
//! the fuzz targets and the starting points of corex-btf's property tests.
//!
//! This file is also compiled into `crates/btf/tests/fuzz_props.rs` (by
//! `#[path]`), so it depends on nothing but `corex_btf`.

use std::sync::Arc;

use corex_btf::write::{BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, Endian, Kind, Linkage, TypeId, VarSecInfo, BTF_MAGIC, HEADER_LEN};

/// One type of every kind, in an order where ids are easy to predict:
///
/// ```text
/// [1] INT int            [8] TYPEDEF pair_t -> 5   [15] VAR counter -> 1
/// [2] PTR -> 5           [9] CONST -> 10           [16] DATASEC .data (15)
/// [3] ARRAY 1[4] idx 1   [10] VOLATILE -> 1        [17] FLOAT float
/// [4] INT char           [11] RESTRICT -> 2        [18] DECL_TAG tag -> 13 param 0
/// [5] STRUCT pair        [12] FUNC_PROTO int(pair*, ...)   [19] TYPE_TAG user -> 1
/// [6] UNION u            [13] FUNC get -> 12       [20] ENUM64 big
/// [7] ENUM e             [14] FWD struct later
/// ```
pub fn all_kinds() -> Vec<TypeDef> {
    let id = TypeId;
    let member = |name: &str, ty: u32, bit_offset: u32| MemberDef::new(name, id(ty), bit_offset);
    let datasec_var = VarSecInfo {
        ty: id(15),
        offset: 0,
        size: 4,
    };
    vec![
        TypeDef::int("int", 4, corex_btf::INT_SIGNED),
        TypeDef::ptr(id(5)),
        TypeDef::array(id(1), id(1), 4),
        TypeDef::int("char", 1, corex_btf::INT_CHAR),
        TypeDef::structure(
            "pair",
            24,
            vec![
                member("a", 1, 0),
                MemberDef::bitfield("flags", id(1), 32, 3),
                member("next", 2, 64),
                member("arr", 3, 128),
            ],
        ),
        TypeDef::union("u", 4, vec![member("i", 1, 0), member("c", 4, 0)]),
        TypeDef::enumeration("e", false, 4, true, vec![("A".into(), 0), ("B".into(), -1)]),
        TypeDef::typedef("pair_t", id(5)),
        TypeDef::reference(Kind::Const, "", id(10)),
        TypeDef::reference(Kind::Volatile, "", id(1)),
        TypeDef::reference(Kind::Restrict, "", id(2)),
        TypeDef::func_proto(
            id(1),
            vec![("p".into(), id(2)), (String::new(), TypeId::VOID)],
        ),
        TypeDef::func("get", id(12), Linkage::Global),
        TypeDef::fwd("later", false),
        TypeDef::var("counter", id(1), Linkage::Global),
        TypeDef::datasec(".data", 4, vec![datasec_var]),
        TypeDef::float("float", 4),
        TypeDef::decl_tag("tag", id(13), 0),
        TypeDef::reference(Kind::TypeTag, "user", id(1)),
        TypeDef::enumeration("big", true, 8, false, vec![("HUGE".into(), 0x1_ffff_ffff)]),
    ]
}

/// Reference cycles that do not pass through a named struct or union, which
/// parse fine but cannot be written as C: a self-referencing typedef, a
/// const/volatile loop, an array of itself, a function returning itself, and
/// one legitimate cycle through a named struct.
pub fn cycles() -> Vec<TypeDef> {
    let id = TypeId;
    vec![
        TypeDef::typedef("loop_t", id(1)),
        TypeDef::reference(Kind::Const, "", id(3)),
        TypeDef::reference(Kind::Volatile, "", id(2)),
        TypeDef::array(id(4), id(4), 2),
        TypeDef::func_proto(id(5), vec![("self".into(), id(5))]),
        TypeDef::ptr(id(7)),
        TypeDef::structure("node", 8, vec![MemberDef::new("next", id(6), 0)]),
        TypeDef::reference(Kind::TypeTag, "tagged", id(8)),
    ]
}

/// Raw BTF from type-section words and a string section, in `endian` order,
/// with the standard 24-byte header and the strings right after the types.
/// For malformed input only: `BtfBuilder` writes nothing BTF cannot hold.
pub fn assemble(words: &[u32], strings: &[u8], endian: Endian) -> Vec<u8> {
    let type_len = words.len() as u32 * 4;
    let magic = match endian {
        Endian::Little => BTF_MAGIC.to_le_bytes(),
        Endian::Big => BTF_MAGIC.to_be_bytes(),
    };
    let put = |w: u32| match endian {
        Endian::Little => w.to_le_bytes(),
        Endian::Big => w.to_be_bytes(),
    };
    let mut out = magic.to_vec();
    out.extend_from_slice(&[1, 0]);
    for w in [HEADER_LEN, 0, type_len, type_len, strings.len() as u32] {
        out.extend_from_slice(&put(w));
    }
    for &w in words {
        out.extend_from_slice(&put(w));
    }
    out.extend_from_slice(strings);
    out
}

/// A type record's `info` word.
pub fn info(kind: Kind, kflag: bool, vlen: u16) -> u32 {
    (u32::from(kflag) << 31) | ((kind as u32) << 24) | u32::from(vlen)
}

/// Serializes definitions as ids 1, 2, ... (with corex-btf's `BtfBuilder`;
/// panics on a definition BTF cannot hold).
pub fn build(defs: &[TypeDef], endian: Endian) -> Vec<u8> {
    defs.iter()
        .cloned()
        .collect::<BtfBuilder>()
        .to_bytes(endian)
        .unwrap_or_else(|e| panic!("seed definitions must fit BTF: {e}"))
}

/// Split BTF on top of `base` (`build(&all_kinds(), ..)`, 21 type ids): a
/// typedef `mod_t` of the base's `int`, a pointer to the base's `struct
/// pair`, and a struct of its own holding both.
pub fn split_on_all_kinds(base: Arc<Btf>, endian: Endian) -> Vec<u8> {
    let mut b = BtfBuilder::split_on(base);
    let mod_t = b.add(&TypeDef::typedef("mod_t", TypeId(1)));
    let pair_ptr = b.add(&TypeDef::ptr(TypeId(5)));
    b.add(&TypeDef::structure(
        "modstruct",
        16,
        vec![
            MemberDef::new("x", mod_t, 0),
            MemberDef::new("p", pair_ptr, 64),
        ],
    ));
    b.to_bytes(endian)
        .unwrap_or_else(|e| panic!("the split seed must fit BTF: {e}"))
}

/// A clang-compiled BPF object (`seeds/prog.bpf.c`, little-endian) with
/// `.BTF` and `.BTF.ext`: a seed of `btf_load`.
pub const ELF_OBJECT: &[u8] = include_bytes!("../corpus/btf_load/prog-bpfel.o");

/// Byte offset of the first `needle` in `haystack`, for corrupting a
/// structure found by its contents. Panics if there is none.
pub fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}
