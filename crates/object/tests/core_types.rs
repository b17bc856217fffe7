//! Type-based and enumerator relocations on synthetic BTF, and the strict
//! `type_matches` relation's accept and reject cases.

mod common;

use common::*;
use corex_btf::{Btf, Kind, TypeId};
use corex_object::core::{Fixup, Resolution};

fn fixup(r: &Resolution) -> &Fixup {
    r.result
        .as_ref()
        .unwrap_or_else(|e| panic!("{}: {e}", r.local))
}

/// A target enum and what relocating `B` against it gives.
type EnumCase = (
    bool,
    bool,
    &'static [(&'static str, i64)],
    Option<&'static str>,
    u64,
);

/// `enum e { A = 1, B = 2 }` locally, with "1" (B) and "0" (A).
fn local_enum() -> (Btf, u32) {
    let mut b = B::new();
    b.enm("e", false, false, &[("A", 1), ("B___old", 2)]);
    let acc = b.s("1");
    (b.finish(), acc)
}

#[test]
fn enumerator_values_across_enum_kinds() {
    let (local, acc) = local_enum();
    // (enum64, signed, enumerators, target spec, new value)
    let cases: [EnumCase; 4] = [
        (
            false,
            false,
            &[("B", 5), ("A", 1)],
            Some("[1] enum e::B = 5"),
            5,
        ),
        (
            true,
            false,
            &[("B", 0x1_0000_0000)],
            Some("[1] enum64 e::B = 4294967296"),
            0x1_0000_0000,
        ),
        (
            false,
            true,
            &[("B", -1)],
            Some("[1] enum e::B = -1"),
            u64::MAX,
        ),
        (false, false, &[("A", 1)], None, 0),
    ];
    for (is64, signed, values, spec, new) in cases {
        let mut t = B::new();
        t.enm("e", is64, signed, values);
        let t = t.finish();
        let r = resolve(&local, &t, relo(TypeId(1), acc, ENUMVAL_VALUE));
        assert_eq!(r.local, "[1] enum e::B___old = 2");
        assert_eq!(r.target.as_deref(), spec);
        let fx = fixup(&r);
        assert_eq!(
            (fx.orig, fx.new, fx.poison),
            (2, new, spec.is_none()),
            "{spec:?}"
        );
        let ex = resolve(&local, &t, relo(TypeId(1), acc, ENUMVAL_EXISTS));
        assert_eq!(fixup(&ex).new, u64::from(spec.is_some()));
        if spec.is_none() {
            assert_eq!(
                fx.reason.as_deref(),
                Some("enumerator 'B___old' does not exist in enum e on this kernel")
            );
        }
    }
    // An unsigned 32-bit value above i32::MAX widens as an s32, as in libbpf.
    let mut t = B::new();
    t.enm("e", false, false, &[("B", 0xffff_fff0)]);
    let r = resolve(&local, &t.finish(), relo(TypeId(1), acc, ENUMVAL_VALUE));
    assert_eq!(r.target.as_deref(), Some("[1] enum e::B = 4294967280"));
    assert_eq!(fixup(&r).new, 0xffff_ffff_ffff_fff0);
}

#[test]
fn type_kinds() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let foo = b.strct("foo", 8, &[("a", int, 0)]);
    let foo_t = b.typedef("foo_t", int);
    let gone = b.strct("gone", 4, &[("a", int, 0)]);
    let zero = b.s("0");
    let local = b.finish();

    let mut t = B::new();
    let long = t.int("long", 8, true);
    t.typedef("foo_t", long);
    t.strct("foo", 24, &[("b", long, 0)]);
    let t = t.finish();
    let cases = [
        (
            foo,
            TYPE_EXISTS,
            "[2] struct foo",
            Some("[3] struct foo"),
            1,
            1,
        ),
        (
            foo,
            TYPE_SIZE,
            "[2] struct foo",
            Some("[3] struct foo"),
            8,
            24,
        ),
        (
            foo,
            TARGET_ID,
            "[2] struct foo",
            Some("[3] struct foo"),
            2,
            3,
        ),
        (foo, LOCAL_ID, "[2] struct foo", None, 2, 2),
        (
            foo_t,
            TYPE_EXISTS,
            "[3] typedef foo_t",
            Some("[2] typedef foo_t"),
            1,
            1,
        ),
        (
            foo_t,
            TYPE_SIZE,
            "[3] typedef foo_t",
            Some("[2] typedef foo_t"),
            4,
            8,
        ),
        (gone, TYPE_EXISTS, "[4] struct gone", None, 1, 0),
        (gone, TYPE_SIZE, "[4] struct gone", None, 4, 0),
        (gone, TARGET_ID, "[4] struct gone", None, 4, 0),
    ];
    for (id, kind, local_spec, target, orig, new) in cases {
        let r = resolve(&local, &t, relo(id, zero, kind));
        assert_eq!(
            (r.local.as_str(), r.target.as_deref()),
            (local_spec, target),
            "{local_spec} kind {kind}"
        );
        let fx = fixup(&r);
        assert_eq!(
            (fx.orig, fx.new, fx.poison),
            (orig, new, false),
            "{local_spec} kind {kind}"
        );
        // Type ids are never validated: linking may renumber them.
        assert_eq!(fx.validate, !matches!(kind, TARGET_ID | LOCAL_ID));
    }
}

#[test]
fn function_prototypes_need_the_same_arity() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let proto = b.func_proto(int, &[int]);
    let p = b.ptr(proto);
    let cb = b.typedef("cb_t", p);
    let zero = b.s("0");
    let local = b.finish();
    for (params, exists) in [(1, 1), (2, 0)] {
        let mut t = B::new();
        let int = t.int("int", 4, true);
        let proto = t.func_proto(int, &vec![int; params]);
        let p = t.ptr(proto);
        t.typedef("cb_t", p);
        let r = resolve(&local, &t.finish(), relo(cb, zero, TYPE_EXISTS));
        assert_eq!(fixup(&r).new, exists, "{params} params");
    }
}

/// The local side of the type_matches cases:
/// `struct foo { int a; struct bar *p; int arr[4]; enum e k; }`.
fn local_matches() -> (Btf, TypeId, u32) {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let bar = b.strct("bar", 4, &[("x", int, 0)]);
    let p = b.ptr(bar);
    let arr = b.array(int, 4);
    let e = b.enm("e", false, false, &[("A", 0)]);
    let root = b.strct(
        "foo",
        40,
        &[("a", int, 0), ("p", p, 8), ("arr", arr, 16), ("k", e, 32)],
    );
    let zero = b.s("0");
    (b.finish(), root, zero)
}

struct TargetSpec {
    a_size: u32,
    a_signed: bool,
    bar: &'static str,
    nelems: u32,
    enum64: bool,
    with_p: bool,
}

const GOOD: TargetSpec = TargetSpec {
    a_size: 4,
    a_signed: true,
    bar: "struct",
    nelems: 4,
    enum64: false,
    with_p: true,
};

fn target_matches(s: &TargetSpec) -> Btf {
    let mut t = B::new();
    let a = t.int("int", s.a_size, s.a_signed);
    let int = t.int("int", 4, true);
    let long = t.int("long", 8, true);
    // Behind a pointer only the kind and name count: bar's members differ.
    let bar = match s.bar {
        "fwd" => t.fwd("bar", false),
        "union" => t.composite("bar", true, 8, &[("y", long, 0, 0)]),
        _ => t.strct("bar", 8, &[("y", long, 0)]),
    };
    let p = t.ptr(bar);
    let arr = t.array(int, s.nelems);
    let e = t.enm("e", s.enum64, false, &[("Z", 9), ("A", 1)]);
    let mut members = vec![
        ("extra", long, 0),
        ("a", a, 8),
        ("arr", arr, 24),
        ("k", e, 40),
    ];
    if s.with_p {
        members.push(("p", p, 16));
    }
    t.strct("foo", 48, &members);
    t.finish()
}

#[test]
fn type_matches_accepts_and_rejects() {
    let (local, foo, zero) = local_matches();
    let cases = [
        ("superset with other member order", GOOD, 1),
        (
            "forward declaration behind a pointer",
            TargetSpec { bar: "fwd", ..GOOD },
            1,
        ),
        (
            "union behind a pointer",
            TargetSpec {
                bar: "union",
                ..GOOD
            },
            0,
        ),
        ("int of another size", TargetSpec { a_size: 8, ..GOOD }, 0),
        (
            "int of other signedness",
            TargetSpec {
                a_signed: false,
                ..GOOD
            },
            0,
        ),
        (
            "array of another length",
            TargetSpec { nelems: 8, ..GOOD },
            0,
        ),
        (
            "enum of another size",
            TargetSpec {
                enum64: true,
                ..GOOD
            },
            0,
        ),
        (
            "member missing",
            TargetSpec {
                with_p: false,
                ..GOOD
            },
            0,
        ),
    ];
    for (name, spec, want) in cases {
        let t = target_matches(&spec);
        let r = resolve(&local, &t, relo(foo, zero, TYPE_MATCHES));
        assert_eq!(r.kind, "type_matches");
        assert_eq!(r.local, "[6] struct foo");
        let fx = fixup(&r);
        assert_eq!((fx.orig, fx.new, fx.poison), (1, want, false), "{name}");
        assert_eq!(r.target.is_some(), want == 1, "{name}");
        // type_exists is looser: every case has a compatible struct foo.
        let ex = resolve(&local, &t, relo(foo, zero, TYPE_EXISTS));
        assert_eq!(fixup(&ex).new, 1, "{name}");
    }
}

#[test]
fn type_matches_on_enums_needs_every_local_enumerator() {
    let mut b = B::new();
    let e = b.enm("e", false, false, &[("A", 0), ("B", 1)]);
    let zero = b.s("0");
    let local = b.finish();
    for (values, want) in [
        (&[("B", 7), ("C", 8), ("A", 9)][..], 1),
        (&[("A", 0), ("C", 1)][..], 0),
    ] {
        let mut t = B::new();
        t.enm("e", true, false, values);
        t.reference(Kind::Const, "", TypeId(1));
        let r = resolve(&local, &t.finish(), relo(e, zero, TYPE_MATCHES));
        // A 4-byte enum never matches an 8-byte enum64, whatever the names.
        assert_eq!(fixup(&r).new, 0, "{values:?}");
        let mut t = B::new();
        t.enm("e", false, false, values);
        let r = resolve(&local, &t.finish(), relo(e, zero, TYPE_MATCHES));
        assert_eq!(fixup(&r).new, want, "{values:?}");
    }
}
