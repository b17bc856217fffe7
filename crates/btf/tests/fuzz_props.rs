//! The fuzz targets' checks (`fuzz/src/exercise.rs`) run in the test suite on
//! a bounded number of inputs: random mutations of valid seeds, random type
//! graphs, and every input committed under `fuzz/corpus/` (the seeds and the
//! regression inputs the fuzzer found). Nothing may panic.

#[path = "../../../fuzz/src/exercise.rs"]
mod exercise;
#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use std::path::PathBuf;

use corex_btf::write::{Body, MemberDef, TypeDef};
use corex_btf::{Btf, Endian, IntInfo, Kind, Linkage, TypeId, VarSecInfo};
use proptest::prelude::*;
use proptest::sample::{select, Index};

/// Cases per property: a few seconds in a debug build.
const CASES: u32 = 2000;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

/// Every file of `fuzz/corpus/<target>/`, sorted by name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// One edit of an input.
#[derive(Clone, Debug)]
enum Mutation {
    /// Flip one bit.
    Flip(Index, u8),
    /// Overwrite one byte.
    Byte(Index, u8),
    /// Overwrite four bytes with a value that often matters (a length, a
    /// count, an id near a boundary).
    Word(Index, u32),
    /// Cut the input short.
    Truncate(Index),
    /// Insert bytes.
    Insert(Index, Vec<u8>),
    /// Remove up to 16 bytes.
    Remove(Index, u8),
}

fn interesting_word() -> impl Strategy<Value = u32> {
    prop_oneof![
        select(vec![
            0,
            1,
            2,
            3,
            4,
            12,
            16,
            24,
            0x7f,
            0xff,
            0xffff,
            0x1_0000,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fffc,
            u32::MAX,
        ]),
        any::<u32>(),
        // An info word of a random kind, kind flag and vlen.
        (0u32..32, any::<bool>(), 0u32..8)
            .prop_map(|(k, f, v)| (u32::from(f) << 31) | (k << 24) | v),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
        3 => (any::<Index>(), interesting_word()).prop_map(|(i, w)| Mutation::Word(i, w)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), 1u8..16).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    if data.is_empty() {
        return;
    }
    let len = data.len();
    match m {
        Mutation::Flip(i, bit) => data[i.index(len)] ^= 1 << bit,
        Mutation::Byte(i, b) => data[i.index(len)] = *b,
        Mutation::Word(i, w) => {
            // Aligned, so header fields and record words are hit squarely.
            let at = i.index(len) & !3;
            let bytes = if i.index(2) == 0 {
                w.to_le_bytes()
            } else {
                w.to_be_bytes()
            };
            for (k, b) in bytes.into_iter().enumerate() {
                if let Some(slot) = data.get_mut(at + k) {
                    *slot = b;
                }
            }
        }
        Mutation::Truncate(i) => data.truncate(i.index(len)),
        Mutation::Insert(i, bytes) => {
            let at = i.index(len + 1);
            data.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove(i, n) => {
            let at = i.index(len);
            data.drain(at..(at + usize::from(*n)).min(len));
        }
    }
}

/// Random edits of one of the seeds.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (select(seeds), prop::collection::vec(mutation(), 1..6)).prop_map(|(mut data, edits)| {
        for m in &edits {
            apply(&mut data, m);
        }
        data
    })
}

fn raw_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = corpus("btf_parse").into_iter().map(|f| f.1).collect();
    seeds.push(seeds::build(&seeds::all_kinds(), Endian::Little));
    seeds
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_raw_btf_never_panics(data in mutated(raw_seeds())) {
        exercise::btf_parse(&data);
    }

    #[test]
    fn mutated_containers_never_panic(
        data in mutated(corpus("btf_load").into_iter().map(|f| f.1).collect())
    ) {
        exercise::btf_load(&data);
    }

    #[test]
    fn mutated_btf_ext_never_panics(
        data in mutated(corpus("btf_ext").into_iter().map(|f| f.1).collect())
    ) {
        exercise::btf_ext(&data);
    }

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        exercise::btf_parse(&data);
        exercise::btf_load(&data);
        exercise::btf_ext(&data);
    }
}

// ---- random type graphs ---------------------------------------------------

/// A name: often empty, sometimes not ASCII.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        3 => "[a-z_][a-z0-9_]{0,8}",
        1 => "\\PC{1,4}",
    ]
}

/// A type id among `count` ids (void included); `past` ids beyond the end too.
fn type_id(count: u32, past: u32) -> impl Strategy<Value = TypeId> {
    (0..count + past).prop_map(TypeId)
}

/// Mostly below `small`, sometimes anything: a C dump pads a struct of 3 GB
/// with millions of fields, which the dumper cuts short, but only after a while.
fn size(small: u32) -> impl Strategy<Value = u32> {
    prop_oneof![199 => 0..small, 1 => any::<u32>()]
}

fn member(ids: BoxedStrategy<TypeId>) -> impl Strategy<Value = MemberDef> {
    (name(), ids, size(0x1_0000), 0u32..=64).prop_map(|(name, ty, bit_offset, bits)| MemberDef {
        name,
        ty,
        bit_offset,
        bitfield_size: bits,
    })
}

fn linkage() -> impl Strategy<Value = Linkage> {
    (0u32..4).prop_map(Linkage::from_u32)
}

/// A definition of any kind whose references are drawn from `ids` and whose
/// sizes and bit counts are the ones parsing accepts.
fn type_def(ids: BoxedStrategy<TypeId>) -> impl Strategy<Value = TypeDef> {
    let int = (select(vec![1u32, 2, 4, 8, 16]), 0u8..16)
        .prop_flat_map(|(size, encoding)| {
            let max_bits = (size * 8).min(128) as u8;
            (Just(size), Just(encoding), 1..=max_bits)
        })
        .prop_map(|(size, encoding, bits)| Body::Int {
            size,
            info: IntInfo {
                encoding,
                offset: 0,
                bits,
            },
        });
    let reference = (
        select(vec![
            Kind::Ptr,
            Kind::Typedef,
            Kind::Volatile,
            Kind::Const,
            Kind::Restrict,
            Kind::TypeTag,
        ]),
        ids.clone(),
    )
        .prop_map(|(kind, target)| Body::Ref { kind, target });
    let array =
        (ids.clone(), ids.clone(), size(64)).prop_map(|(elem, index, nelems)| Body::Array {
            elem,
            index,
            nelems,
        });
    let composite = (
        any::<bool>(),
        size(0x1000),
        prop::collection::vec(member(ids.clone()), 0..5),
    )
        .prop_map(|(is_union, size, members)| Body::Composite {
            is_union,
            size,
            members,
        });
    let enumeration = (
        any::<bool>(),
        select(vec![1u32, 2, 4, 8]),
        prop::collection::vec((name(), any::<i64>()), 0..4),
    )
        .prop_map(|(is64, size, values)| Body::Enum {
            is64,
            size,
            // An ENUM's values fit in 32 bits, signed or not.
            values: values
                .into_iter()
                .map(|(n, v)| match (is64, v & 1) {
                    (true, _) => (n, v),
                    (false, 0) => (n, i64::from(v as i32)),
                    (false, _) => (n, i64::from(v as u32)),
                })
                .collect(),
        });
    let func = (ids.clone(), linkage()).prop_map(|(proto, linkage)| Body::Func { proto, linkage });
    let proto = (
        ids.clone(),
        prop::collection::vec((name(), ids.clone()), 0..4),
    )
        .prop_map(|(ret, params)| Body::FuncProto { ret, params });
    let var = (ids.clone(), linkage()).prop_map(|(ty, linkage)| Body::Var { ty, linkage });
    let datasec =
        (
            any::<u32>(),
            prop::collection::vec(
                (ids.clone(), any::<u32>(), any::<u32>())
                    .prop_map(|(ty, offset, size)| VarSecInfo { ty, offset, size }),
                0..3,
            ),
        )
            .prop_map(|(size, vars)| Body::Datasec { size, vars });
    let decl_tag = (ids, -2i32..4).prop_map(|(target, component_idx)| Body::DeclTag {
        target,
        component_idx,
    });
    let body = prop_oneof![
        1 => int,
        2 => reference,
        1 => array,
        2 => composite,
        1 => enumeration,
        1 => Just(Body::Fwd),
        1 => func,
        1 => proto,
        1 => var,
        1 => datasec,
        1 => size(17).prop_map(|size| Body::Float { size }),
        1 => decl_tag,
    ];
    (name(), any::<bool>(), body).prop_map(|(name, kflag, mut body)| {
        // Bitfields need the kind flag, which has room for 24-bit offsets.
        if let Body::Composite { members, .. } = &mut body {
            for m in members {
                if kflag {
                    m.bit_offset &= 0x00ff_ffff;
                } else {
                    m.bitfield_size = 0;
                }
            }
        }
        TypeDef { name, kflag, body }
    })
}

/// Up to 12 types referring to each other (cycles included); with `past`,
/// references may also point up to `past` ids beyond the last.
fn type_graph(past: u32) -> impl Strategy<Value = Vec<TypeDef>> {
    (1u32..12).prop_flat_map(move |n| {
        let ids = type_id(n + 1, past).boxed();
        prop::collection::vec(type_def(ids), n as usize)
    })
}

proptest! {
    #![proptest_config(config())]

    /// Every id in range and every size acceptable: the writer's output must
    /// parse, in both byte orders, and survive everything.
    #[test]
    fn random_valid_type_graphs_parse_and_dump(defs in type_graph(0)) {
        for endian in [Endian::Little, Endian::Big] {
            let bytes = seeds::build(&defs, endian);
            let btf = Btf::parse(&bytes)
                .unwrap_or_else(|e| panic!("valid definitions do not parse: {e}\n{defs:#?}"));
            prop_assert_eq!(btf.type_count() as usize, defs.len() + 1);
            exercise::btf_everything(&btf);
        }
    }

    /// References past the last id: an error naming the type, or (if none
    /// happened to point past the end) a BTF that survives everything.
    #[test]
    fn random_type_graphs_with_dangling_ids_never_panic(defs in type_graph(3)) {
        let bytes = seeds::build(&defs, Endian::Little);
        match Btf::parse(&bytes) {
            Ok(btf) => exercise::btf_everything(&btf),
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("type ["), "{}", msg);
            }
        }
    }
}

// ---- the committed corpus -------------------------------------------------

#[test]
fn committed_corpus_replays_clean() {
    for (name, data) in corpus("btf_parse") {
        println!("btf_parse/{name}");
        exercise::btf_parse(&data);
    }
    for (name, data) in corpus("btf_load") {
        println!("btf_load/{name}");
        exercise::btf_load(&data);
    }
    for (name, data) in corpus("btf_ext") {
        println!("btf_ext/{name}");
        exercise::btf_ext(&data);
    }
}

/// The seeds (not the `regress-*` inputs the fuzzer found) are valid input.
#[test]
fn seeds_are_valid() {
    let raw = corpus("btf_parse");
    for (name, data) in raw
        .iter()
        .filter(|(n, _)| !n.starts_with("split") && !n.starts_with("regress-"))
    {
        Btf::parse(data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let split = &raw.iter().find(|(n, _)| n.starts_with("split")).unwrap().1;
    Btf::parse_split(split, exercise::split_base()).unwrap();
    for (name, data) in corpus("btf_load")
        .iter()
        .filter(|(n, _)| !n.starts_with("regress-"))
    {
        // A plain tar is loaded by the target once compressed, as a `.tar.xz`.
        let result = corex_btf::load(data, None);
        if name.ends_with(".tar") {
            let msg = result.unwrap_err().to_string();
            assert!(msg.contains("not BTF"), "{name}: {msg}");
        } else {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    for (name, data) in corpus("btf_ext")
        .iter()
        .filter(|(n, _)| !n.starts_with("regress-"))
    {
        corex_btf::BtfExt::parse(data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
