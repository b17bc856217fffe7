//! The C dumper on type graphs C cannot express: reference cycles that no
//! named struct or union breaks (the same error as bpftool where bpftool
//! has one), chains deeper than the dumper follows, exponential graphs and
//! random graphs: an error naming a type id, never a hang or a crash.

#[allow(dead_code)]
mod common;

use std::process::Command;

use common::{c_dump as corex_c, params, scratch_file};
use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, Endian, Error, IntInfo, Kind, TypeId, INT_SIGNED};

/// Asserts dumping `b` fails with an unrepresentable-type error naming one
/// of `ids`; returns the message.
fn assert_unrepresentable(b: &BtfBuilder, ids: &[u32]) -> String {
    let bytes = b.to_bytes(Endian::native()).expect("fits BTF");
    let btf = Btf::parse(&bytes).expect("the BTF itself is well-formed");
    match corex_c(&btf) {
        Err(Error::Unrepresentable { id, why }) => {
            assert!(
                ids.contains(&id.0),
                "error names type {id}, expected one of {ids:?}: {why}"
            );
            Error::Unrepresentable { id, why }.to_string()
        }
        Err(e) => panic!("expected an unrepresentable-type error, got: {e}"),
        Ok(out) => panic!("expected an error, got:\n{}", String::from_utf8_lossy(&out)),
    }
}

#[test]
fn typedef_cycle_is_an_error() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::reference(Kind::Typedef, "a_t", TypeId(2)));
    b.add(&TypeDef::reference(Kind::Typedef, "b_t", TypeId(1)));
    let msg = assert_unrepresentable(&b, &[1]);
    assert!(msg.contains("cycle") && msg.contains("'b_t'"), "{msg}");
}

#[test]
fn const_self_loop_is_an_error() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::reference(Kind::Const, "", TypeId(1)));
    assert_unrepresentable(&b, &[1]);
}

#[test]
fn pointer_self_loop_is_an_error() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::reference(Kind::Ptr, "", TypeId(1)));
    assert_unrepresentable(&b, &[1]);
}

#[test]
fn const_pointer_loop_is_an_error() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::reference(Kind::Const, "", TypeId(2)));
    b.add(&TypeDef::reference(Kind::Ptr, "", TypeId(1)));
    assert_unrepresentable(&b, &[1]);
}

/// `typedef void (*fn_t)(fn_t)`: a cycle through a prototype.
#[test]
fn function_pointer_typedef_loop_is_an_error() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::reference(Kind::Typedef, "fn_t", TypeId(2)));
    b.add(&TypeDef::reference(Kind::Ptr, "", TypeId(3)));
    b.add(&TypeDef::func_proto(
        TypeId::VOID,
        params(&[("f", TypeId(1))]),
    ));
    assert_unrepresentable(&b, &[1, 2, 3]);
}

/// Asserts bpftool rejects `b` naming type `id`, as corex does.
fn assert_same_cycle_error_as_bpftool(name: &str, b: &BtfBuilder, id: u32) {
    assert_unrepresentable(b, &[id]);
    let file = scratch_file(
        &format!("c_dump_{name}.btf"),
        &b.to_bytes(Endian::native()).expect("fits BTF"),
    );
    let out = Command::new("bpftool")
        .args(["btf", "dump", "file"])
        .arg(&file)
        .args(["format", "c"])
        .output()
        .expect("bpftool runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "bpftool accepted {name}");
    assert!(
        stderr.contains(&format!("unsatisfiable type cycle, id:[{id}]")),
        "bpftool's complaint about {name}: {stderr}"
    );
}

#[test]
fn struct_containing_itself_is_the_same_error_as_bpftool() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::int("int", 4, INT_SIGNED));
    b.add(&TypeDef::structure(
        "s",
        8,
        vec![
            MemberDef::new("a", TypeId(1), 0),
            MemberDef::new("me", TypeId(2), 32),
        ],
    ));
    assert_same_cycle_error_as_bpftool("self_struct", &b, 2);
}

#[test]
fn anonymous_struct_pointing_to_itself_is_the_same_error_as_bpftool() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::int("int", 4, INT_SIGNED));
    b.add(&TypeDef::structure(
        "",
        8,
        vec![MemberDef::new("next", TypeId(3), 0)],
    ));
    b.add(&TypeDef::reference(Kind::Ptr, "", TypeId(2)));
    b.add(&TypeDef::structure(
        "holder",
        8,
        vec![MemberDef::new("anon", TypeId(2), 0)],
    ));
    assert_same_cycle_error_as_bpftool("anon_self_ptr", &b, 2);
}

/// The pointer is reached again before the struct is: corex notices at the
/// pointer and, like libbpf one step later, blames the anonymous struct.
#[test]
fn pointer_to_anonymous_struct_holding_it_is_the_same_error_as_bpftool() {
    let mut b = BtfBuilder::new();
    b.add(&TypeDef::int("int", 4, INT_SIGNED));
    b.add(&TypeDef::reference(Kind::Ptr, "", TypeId(3)));
    b.add(&TypeDef::structure(
        "",
        8,
        vec![MemberDef::new("p", TypeId(2), 0)],
    ));
    assert_same_cycle_error_as_bpftool("ptr_anon_ptr", &b, 3);
}

/// A 600-deep modifier chain is refused, without exhausting the stack.
#[test]
fn overly_deep_chain_is_an_error() {
    let mut b = BtfBuilder::new();
    let mut ty = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    for _ in 0..600 {
        ty = b.add(&TypeDef::reference(Kind::Const, "", ty));
    }
    b.add(&TypeDef::reference(Kind::Typedef, "t", ty));
    let last = b.next_id().0 - 1;
    let msg = assert_unrepresentable(&b, &(1..=last).collect::<Vec<_>>());
    assert!(msg.contains("512 levels"), "{msg}");
}

/// Prototypes taking the previous prototype twice: walking them as libbpf
/// does doubles the work at each level. The budget stops it.
#[test]
fn exponential_graph_is_an_error_not_a_hang() {
    let mut b = BtfBuilder::new();
    let mut ty = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    for _ in 0..64 {
        ty = b.add(&TypeDef::func_proto(
            TypeId::VOID,
            params(&[("a", ty), ("b", ty)]),
        ));
    }
    let last = b.next_id().0 - 1;
    let msg = assert_unrepresentable(&b, &(1..=last).collect::<Vec<_>>());
    assert!(msg.contains("steps"), "{msg}");
}

mod random_graphs {
    use super::*;
    use proptest::prelude::*;

    /// A type referring to ids below `n` (possibly itself or later ones).
    /// Type 1 is the index type of every array.
    fn any_type(n: u32) -> impl Strategy<Value = TypeDef> {
        let id = move || (0..n).prop_map(TypeId);
        let name = prop_oneof![Just(String::new()), "[ab]"];
        let kinds = prop_oneof![
            Just(Kind::Ptr),
            Just(Kind::Typedef),
            Just(Kind::Const),
            Just(Kind::Volatile),
            Just(Kind::TypeTag),
        ];
        let body = prop_oneof![
            (1u32..9).prop_map(|size| Body::Int {
                size,
                info: IntInfo {
                    encoding: 0,
                    offset: 0,
                    bits: (size * 8) as u8
                },
            }),
            (kinds, id()).prop_map(|(kind, target)| Body::Ref { kind, target }),
            (id(), 0u32..4).prop_map(move |(elem, nelems)| Body::Array {
                elem,
                index: TypeId(1),
                nelems
            }),
            (
                any::<bool>(),
                0u32..64,
                prop::collection::vec((id(), 0u32..512, 0u32..9), 0..4)
            )
                .prop_map(|(is_union, size, ms)| Body::Composite {
                    is_union,
                    size,
                    members: ms
                        .into_iter()
                        .enumerate()
                        .map(|(i, (ty, off, bits))| MemberDef::bitfield(
                            format!("m{i}"),
                            ty,
                            off,
                            bits
                        ))
                        .collect(),
                }),
            (id(), prop::collection::vec(id(), 0..3)).prop_map(|(ret, ps)| Body::FuncProto {
                ret,
                params: ps.into_iter().map(|t| (String::new(), t)).collect(),
            }),
            Just(Body::Fwd),
            (any::<bool>(), prop::collection::vec(any::<i64>(), 0..3)).prop_map(|(is64, vs)| {
                Body::Enum {
                    is64,
                    size: if is64 { 8 } else { 4 },
                    // An ENUM's values fit in 32 bits.
                    values: vs
                        .into_iter()
                        .map(|v| ("V".to_string(), if is64 { v } else { i64::from(v as i32) }))
                        .collect(),
                }
            }),
        ];
        (name, any::<bool>(), body).prop_map(|(name, kflag, mut body)| {
            // Bitfields need the kind flag.
            if let (false, Body::Composite { members, .. }) = (kflag, &mut body) {
                members.iter_mut().for_each(|m| m.bitfield_size = 0);
            }
            TypeDef { name, kflag, body }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any graph of up to 10 types: a header or an error, never a panic
        /// or a hang.
        #[test]
        fn never_panics(defs in (1u32..11).prop_flat_map(|n| prop::collection::vec(any_type(n + 1), n as usize))) {
            let mut b = BtfBuilder::new();
            for d in &defs {
                b.add(d);
            }
            if let Ok(btf) = Btf::parse(&b.to_bytes(Endian::native()).expect("fits BTF")) {
                let _ = corex_c(&btf);
            }
        }
    }
}
