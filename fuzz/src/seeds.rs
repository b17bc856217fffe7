//! Small, valid BTF inputs built with corex-btf's writer: the seed corpus of
//! the fuzz targets and the starting points of corex-btf's property tests.
//!
//! This file is also compiled into `crates/btf/tests/fuzz_props.rs` (by
//! `#[path]`), so it depends on nothing but `corex_btf`.

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Endian, IntInfo, Kind, Linkage, TypeId, VarSecInfo, BTF_MAGIC, HEADER_LEN};

/// A named definition.
fn def(name: &str, body: Body) -> TypeDef {
    TypeDef {
        name: name.to_owned(),
        kflag: false,
        body,
    }
}

/// A reference kind (PTR, TYPEDEF, CONST, ...) to `target`.
fn reference(name: &str, kind: Kind, target: u32) -> TypeDef {
    def(
        name,
        Body::Ref {
            kind,
            target: TypeId(target),
        },
    )
}

fn member(name: &str, ty: u32, bit_offset: u32, bitfield_size: u32) -> MemberDef {
    MemberDef {
        name: name.to_owned(),
        ty: TypeId(ty),
        bit_offset,
        bitfield_size,
    }
}

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
    let int = |size, encoding, bits| Body::Int {
        size,
        info: IntInfo {
            encoding,
            offset: 0,
            bits,
        },
    };
    vec![
        def("int", int(4, corex_btf::INT_SIGNED, 32)),
        reference("", Kind::Ptr, 5),
        def(
            "",
            Body::Array {
                elem: TypeId(1),
                index: TypeId(1),
                nelems: 4,
            },
        ),
        def("char", int(1, corex_btf::INT_CHAR, 8)),
        TypeDef {
            name: "pair".into(),
            kflag: true,
            body: Body::Composite {
                is_union: false,
                size: 24,
                members: vec![
                    member("a", 1, 0, 0),
                    member("flags", 1, 32, 3),
                    member("next", 2, 64, 0),
                    member("arr", 3, 128, 0),
                ],
            },
        },
        def(
            "u",
            Body::Composite {
                is_union: true,
                size: 4,
                members: vec![member("i", 1, 0, 0), member("c", 4, 0, 0)],
            },
        ),
        TypeDef {
            name: "e".into(),
            kflag: true,
            body: Body::Enum {
                is64: false,
                size: 4,
                values: vec![("A".into(), 0), ("B".into(), -1)],
            },
        },
        reference("pair_t", Kind::Typedef, 5),
        reference("", Kind::Const, 10),
        reference("", Kind::Volatile, 1),
        reference("", Kind::Restrict, 2),
        def(
            "",
            Body::FuncProto {
                ret: TypeId(1),
                params: vec![("p".into(), TypeId(2)), (String::new(), TypeId(0))],
            },
        ),
        def(
            "get",
            Body::Func {
                proto: TypeId(12),
                linkage: Linkage::Global,
            },
        ),
        def("later", Body::Fwd),
        def(
            "counter",
            Body::Var {
                ty: TypeId(1),
                linkage: Linkage::Global,
            },
        ),
        def(
            ".data",
            Body::Datasec {
                size: 4,
                vars: vec![VarSecInfo {
                    ty: TypeId(15),
                    offset: 0,
                    size: 4,
                }],
            },
        ),
        def("float", Body::Float { size: 4 }),
        def(
            "tag",
            Body::DeclTag {
                target: TypeId(13),
                component_idx: 0,
            },
        ),
        reference("user", Kind::TypeTag, 1),
        def(
            "big",
            Body::Enum {
                is64: true,
                size: 8,
                values: vec![("HUGE".into(), 0x1_ffff_ffff)],
            },
        ),
    ]
}

/// Reference cycles that do not pass through a named struct or union, which
/// parse fine but cannot be written as C: a self-referencing typedef, a
/// const/volatile loop, an array of itself, a function returning itself, and
/// one legitimate cycle through a named struct.
pub fn cycles() -> Vec<TypeDef> {
    vec![
        reference("loop_t", Kind::Typedef, 1),
        reference("", Kind::Const, 3),
        reference("", Kind::Volatile, 2),
        def(
            "",
            Body::Array {
                elem: TypeId(4),
                index: TypeId(4),
                nelems: 2,
            },
        ),
        def(
            "",
            Body::FuncProto {
                ret: TypeId(5),
                params: vec![("self".into(), TypeId(5))],
            },
        ),
        reference("", Kind::Ptr, 7),
        def(
            "node",
            Body::Composite {
                is_union: false,
                size: 8,
                members: vec![member("next", 6, 0, 0)],
            },
        ),
        reference("tagged", Kind::TypeTag, 8),
    ]
}

/// Raw BTF from type-section words and a string section, in `endian` order,
/// with the standard 24-byte header and the strings right after the types.
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

/// Serializes definitions as ids 1, 2, ...
pub fn build(defs: &[TypeDef], endian: Endian) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    for d in defs {
        b.add(d);
    }
    b.finish(endian)
}

/// Split BTF on top of `build(&all_kinds(), ..)` (21 type ids, `base_strings`
/// bytes of strings): a typedef `mod_t` of the base's `int`, a pointer to the
/// base's `struct pair`, and a struct of its own holding both.
pub fn split_on_all_kinds(base_strings: u32, endian: Endian) -> Vec<u8> {
    let strings = b"\0mod_t\0modstruct\0x\0p\0";
    let s = |own: u32| base_strings + own;
    let words = [
        // [21] TYPEDEF mod_t -> int
        s(1),
        info(Kind::Typedef, false, 0),
        1,
        // [22] PTR -> struct pair
        0,
        info(Kind::Ptr, false, 0),
        5,
        // [23] STRUCT modstruct { mod_t x; struct pair *p; }
        s(7),
        info(Kind::Struct, false, 2),
        16,
        s(17),
        21,
        0,
        s(19),
        22,
        64,
    ];
    assemble(&words, strings, endian)
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
