//! Field relocations on synthetic BTF: found, moved, renamed, missing,
//! incompatible, bitfields, flexible arrays, anonymous members, flavors,
//! ambiguity, candidate pruning, split BTF, bad access strings.

mod common;

use common::*;
use corex_btf::{Btf, TypeId};
use corex_object::core::{Fixup, Relocator, Resolution, Target};
use corex_object::Error;

/// `struct foo { int a; int b; }` (ids: int 1, long 2, foo 3) and the
/// access string "0:1" (field b).
fn local_foo(name: &str) -> (Btf, u32) {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.int("long", 8, true);
    b.strct(name, 8, &[("a", int, 0), ("b", int, 4)]);
    let acc = b.s("0:1");
    (b.finish(), acc)
}

/// A target with int 1, long 2, then whatever `f` adds.
fn target(f: impl FnOnce(&mut B, TypeId, TypeId)) -> Btf {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let long = b.int("long", 8, true);
    f(&mut b, int, long);
    b.finish()
}

fn fixup(r: &Resolution) -> &Fixup {
    r.result
        .as_ref()
        .unwrap_or_else(|e| panic!("{}: {e}", r.local))
}

#[test]
fn field_found_moved_renamed_missing_incompatible() {
    let (local, acc) = local_foo("foo");
    struct Case {
        name: &'static str,
        target: Btf,
        spec: Option<&'static str>,
        new: u64,
        reason: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "same layout",
            target: target(|b, int, _| {
                b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
            }),
            spec: Some("[3] struct foo.b (0:1 @ offset 4)"),
            new: 4,
            reason: None,
        },
        Case {
            name: "moved",
            target: target(|b, int, long| {
                b.strct("foo", 16, &[("x", long, 0), ("a", int, 8), ("b", int, 12)]);
            }),
            spec: Some("[3] struct foo.b (0:2 @ offset 12)"),
            new: 12,
            reason: None,
        },
        Case {
            name: "renamed",
            target: target(|b, int, _| {
                b.strct("foo", 8, &[("a", int, 0), ("c", int, 4)]);
            }),
            spec: None,
            new: 0,
            reason: Some("field 'b' does not exist in struct foo on this kernel"),
        },
        Case {
            name: "incompatible",
            target: target(|b, int, _| {
                let p = b.ptr(int);
                b.strct("foo", 16, &[("a", int, 0), ("b", p, 8)]);
            }),
            spec: None,
            new: 0,
            reason: Some("field 'b' of struct foo has an incompatible type on this kernel (int locally, ptr in the target)"),
        },
        Case {
            name: "no such struct",
            target: target(|b, int, _| {
                b.strct("bar", 8, &[("b", int, 4)]);
            }),
            spec: None,
            new: 0,
            reason: Some("struct foo does not exist on this kernel"),
        },
        Case {
            name: "only a union of that name",
            target: target(|b, int, _| {
                b.composite("foo", true, 4, &[("b", int, 0, 0)]);
            }),
            spec: None,
            new: 0,
            reason: Some("struct foo does not exist on this kernel"),
        },
    ];
    for c in &cases {
        let r = resolve(&local, &c.target, relo(TypeId(3), acc, BYTE_OFF));
        assert_eq!(r.kind, "byte_off");
        assert_eq!(r.local, "[3] struct foo.b (0:1 @ offset 4)", "{}", c.name);
        assert_eq!(r.target.as_deref(), c.spec, "{}", c.name);
        let fx = fixup(&r);
        assert_eq!(
            (fx.orig, fx.new, fx.poison),
            (4, c.new, c.reason.is_some()),
            "{}",
            c.name
        );
        assert_eq!(fx.reason.as_deref(), c.reason, "{}", c.name);
        // field_exists gives 0 instead of poisoning.
        let e = resolve(&local, &c.target, relo(TypeId(3), acc, FIELD_EXISTS));
        let fx = fixup(&e);
        assert_eq!(
            (fx.orig, fx.new, fx.poison),
            (1, u64::from(c.reason.is_none()), false),
            "{}",
            c.name
        );
    }
}

#[test]
fn size_change_of_a_signed_field_forbids_resizing_loads() {
    let (local, acc) = local_foo("foo");
    let t = target(|b, _, long| {
        b.strct("foo", 16, &[("a", long, 0), ("b", long, 8)]);
    });
    let r = resolve(&local, &t, relo(TypeId(3), acc, BYTE_OFF));
    let fx = fixup(&r);
    assert_eq!((fx.orig, fx.new, fx.orig_size, fx.new_size), (4, 8, 4, 8));
    let why = fx.resize_forbidden.as_deref().unwrap();
    assert!(
        why.contains("4 bytes locally (int int) but 8 bytes on this kernel (int long)"),
        "{why}"
    );
    let sz = resolve(&local, &t, relo(TypeId(3), acc, BYTE_SZ));
    assert_eq!((fixup(&sz).orig, fixup(&sz).new), (4, 8));
}

/// `struct bf { unsigned a:3; unsigned flags:5; }` locally.
fn local_bitfields() -> (Btf, u32) {
    let mut b = B::new();
    let u32t = b.int("unsigned int", 4, false);
    b.composite("bf", false, 8, &[("a", u32t, 0, 3), ("flags", u32t, 3, 5)]);
    let acc = b.s("0:1");
    (b.finish(), acc)
}

#[test]
fn bitfields_grow_the_load_unit_and_are_not_validated() {
    let (local, acc) = local_bitfields();
    // flags at bit 30: a 4-byte load cannot hold bits 30..35, so 8 bytes.
    let mut b = B::new();
    let u32t = b.int("unsigned int", 4, false);
    b.composite(
        "bf",
        false,
        8,
        &[("a", u32t, 0, 30), ("flags", u32t, 30, 5)],
    );
    let t = b.finish();
    let expect = [
        (BYTE_OFF, 0, 0),
        (BYTE_SZ, 4, 8),
        (LSHIFT, 56, 29),
        (RSHIFT, 59, 59),
        (SIGNED, 0, 0),
    ];
    for (kind, orig, new) in expect {
        let r = resolve(&local, &t, relo(TypeId(2), acc, kind));
        assert_eq!(r.local, "[2] struct bf.flags (0:1 @ offset 0.3)");
        assert_eq!(
            r.target.as_deref(),
            Some("[2] struct bf.flags (0:1 @ offset 3.6)")
        );
        let fx = fixup(&r);
        assert_eq!((fx.orig, fx.new), (orig, new), "kind {kind}");
        // Offsets, sizes and the left shift of bitfields are not validated.
        assert_eq!(fx.validate, matches!(kind, RSHIFT | SIGNED), "kind {kind}");
    }
}

#[test]
fn a_bitfield_no_8_byte_load_covers_is_an_error() {
    let (local, acc) = local_bitfields();
    let mut b = B::new();
    let u64t = b.int("unsigned long", 8, false);
    b.composite(
        "bf",
        false,
        16,
        &[("a", u64t, 0, 60), ("flags", u64t, 60, 8)],
    );
    let r = resolve(&local, &b.finish(), relo(TypeId(2), acc, BYTE_OFF));
    let e = r.result.unwrap_err();
    assert_eq!(
        e.to_string(),
        "bitfield struct bf.flags cannot be read with one load of at most 8 bytes"
    );
}

#[test]
fn flexible_arrays_and_array_bounds() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let flex = b.array(int, 0);
    let fixed = b.array(int, 8);
    b.strct("fa", 4, &[("n", int, 0), ("data", flex, 4)]);
    b.strct("fx", 36, &[("n", int, 0), ("data", fixed, 4)]);
    let (a5, a9, big) = (b.s("0:1:5"), b.s("0:1:9"), b.s("0:99999"));
    let local = b.finish();

    let mut t = B::new();
    let int = t.int("int", 4, true);
    let long = t.int("long", 8, true);
    let flex = t.array(int, 0);
    let short = t.array(int, 4);
    t.strct(
        "fa",
        16,
        &[("pad", long, 0), ("n", int, 8), ("data", flex, 12)],
    );
    t.strct("fx", 20, &[("n", int, 0), ("data", short, 4)]);
    let target = t.finish();

    let r = resolve(&local, &target, relo(TypeId(4), a5, BYTE_OFF));
    assert_eq!(r.local, "[4] struct fa.data[5] (0:1:5 @ offset 24)");
    assert_eq!(
        r.target.as_deref(),
        Some("[5] struct fa.data[5] (0:2:5 @ offset 32)")
    );
    assert_eq!(fixup(&r).new, 32);
    // The element size of an array access is remembered for loads.
    assert_eq!((fixup(&r).orig_size, fixup(&r).new_size), (4, 4));

    let r = resolve(&local, &target, relo(TypeId(5), a5, BYTE_OFF));
    assert_eq!(r.local, "[5] struct fx.data[5] (0:1:5 @ offset 24)");
    let fx = fixup(&r);
    assert!(fx.poison);
    assert_eq!(
        fx.reason.as_deref(),
        Some("index 5 is out of range for an array of 4 elements on this kernel")
    );

    let e = resolve(&local, &target, relo(TypeId(5), a9, BYTE_OFF))
        .result
        .unwrap_err();
    assert_eq!(e.to_string(), "access string '0:1:9' on [5] struct fx: index 9 is out of range for [3] array <anon> of 8 elements");
    let r = resolve(&local, &target, relo(TypeId(5), big, BYTE_OFF));
    assert_eq!(r.local, "[5] struct fx + 0:99999");
    assert!(r
        .result
        .unwrap_err()
        .to_string()
        .contains("member #99999 does not exist ([5] struct fx has 2 members)"));
    // Array element accesses take only byte_off and byte_sz.
    let e = resolve(&local, &target, relo(TypeId(4), a5, SIGNED))
        .result
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "signed cannot be computed for an array element access"
    );
}

#[test]
fn nested_anonymous_members_are_searched_by_name() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    let anon = b.composite("", true, 4, &[("x", int, 0, 0)]);
    b.strct("nest", 8, &[("a", int, 0), ("", anon, 4)]);
    let acc = b.s("0:1:0");
    let local = b.finish();

    let mut t = B::new();
    let int = t.int("int", 4, true);
    let inner = t.strct("", 8, &[("y", int, 0), ("x", int, 4)]);
    t.strct("nest", 16, &[("a", int, 0), ("b", int, 4), ("", inner, 8)]);
    let r = resolve(&local, &t.finish(), relo(TypeId(3), acc, BYTE_OFF));
    assert_eq!(r.local, "[3] struct nest.x (0:1:0 @ offset 4)");
    assert_eq!(
        r.target.as_deref(),
        Some("[3] struct nest.x (0:2:1 @ offset 12)")
    );
    assert_eq!(fixup(&r).new, 12);
}

#[test]
fn flavors_match_their_essential_name() {
    let (local, acc) = local_foo("foo___v2");
    let t = target(|b, int, _| {
        b.strct("foo", 12, &[("a", int, 0), ("b", int, 8)]);
    });
    let r = resolve(&local, &t, relo(TypeId(3), acc, BYTE_OFF));
    assert_eq!(r.local, "[3] struct foo___v2.b (0:1 @ offset 4)");
    assert_eq!(
        r.target.as_deref(),
        Some("[3] struct foo.b (0:1 @ offset 8)")
    );
    assert_eq!(fixup(&r).new, 8);
}

#[test]
fn ambiguous_candidates_fail() {
    let (local, acc) = local_foo("foo___x");
    let offsets = target(|b, int, _| {
        b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
        b.strct("foo", 4, &[("b", int, 0)]);
    });
    let e = resolve(&local, &offsets, relo(TypeId(3), acc, BYTE_OFF))
        .result
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "struct foo___x matches 2 types with different layouts: [3] struct foo puts the field at offset 4, [4] struct foo at offset 0"
    );
    let sizes = target(|b, int, long| {
        b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
        b.strct("foo", 12, &[("a", int, 0), ("b", long, 4)]);
    });
    let e = resolve(&local, &sizes, relo(TypeId(3), acc, BYTE_SZ))
        .result
        .unwrap_err();
    assert_eq!(e.to_string(), "struct foo___x matches 2 types that disagree: [3] struct foo gives value 4, [4] struct foo gives value 8");
    // Two identical layouts are not ambiguous: the first is reported.
    let same = target(|b, int, _| {
        b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
        b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
    });
    let r = resolve(&local, &same, relo(TypeId(3), acc, BYTE_OFF));
    assert_eq!((r.candidate, fixup(&r).new), (Some(0), 4));
}

/// Local `struct foo { int z, x, y; }` (id 2) with the access strings of
/// z, x and y, and a target with two candidates: [3] `foo { z, x }` and
/// [4] `foo { z, y }`.
fn two_foo_candidates() -> (Btf, [u32; 3], Btf) {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.strct("foo", 12, &[("z", int, 0), ("x", int, 4), ("y", int, 8)]);
    let access = [b.s("0:0"), b.s("0:1"), b.s("0:2")];
    let t = target(|b, int, _| {
        b.strct("foo", 8, &[("z", int, 0), ("x", int, 4)]);
        b.strct("foo", 8, &[("z", int, 0), ("y", int, 4)]);
    });
    (b.finish(), access, t)
}

#[test]
fn candidates_are_pruned_after_a_match_as_libbpf_does() {
    let (local, [z, x, y], t) = two_foo_candidates();
    let target = Target::new(&t);
    let mut rel = Relocator::new(&target);
    let r = rel.resolve(&local, &relo(TypeId(2), z, BYTE_OFF));
    assert_eq!((r.candidate, fixup(&r).new), (Some(0), 0));
    let r = rel.resolve(&local, &relo(TypeId(2), x, BYTE_OFF));
    assert_eq!(
        (r.target.as_deref(), fixup(&r).new),
        (Some("[3] struct foo.x (0:1 @ offset 4)"), 4)
    );
    // Only [3] is left: y, which [4] has, no longer matches.
    let r = rel.resolve(&local, &relo(TypeId(2), y, BYTE_OFF));
    assert!(fixup(&r).poison);
    assert_eq!(
        fixup(&r).reason.as_deref(),
        Some("field 'y' does not exist in struct foo on this kernel")
    );
    // A fresh relocator finds it in [4].
    let r = resolve(&local, &t, relo(TypeId(2), y, BYTE_OFF));
    assert_eq!(
        r.target.as_deref(),
        Some("[4] struct foo.y (0:1 @ offset 4)")
    );
}

#[test]
fn repeated_records_follow_the_pruned_candidates() {
    // The relocator reuses the resolution of a repeated (root, access,
    // kind) only while the candidates it was matched against are those
    // cached: each record gives what libbpf's search over the current
    // (pruned) list gives, candidate number and steps included.
    let (local, [z, x, y], t) = two_foo_candidates();
    let target = Target::new(&t);
    let mut rel = Relocator::new(&target);
    let results: Vec<_> = [z, z, z, y, y, y, z, z, x, z]
        .into_iter()
        .map(|access| {
            let r = rel.resolve(&local, &relo(TypeId(2), access, BYTE_OFF));
            let f = fixup(&r);
            ((r.candidate, r.target.clone(), f.new, f.poison), r.work)
        })
        .collect();
    let found = |n, text: &str, value| (Some(n), Some(text.to_owned()), value, false);
    let z3 = found(0, "[3] struct foo.z (0:0 @ offset 0)", 0);
    let z4 = found(0, "[4] struct foo.z (0:0 @ offset 0)", 0);
    let y4 = "[4] struct foo.y (0:1 @ offset 4)";
    let expected = [
        // Both candidates have z at 0: both kept.
        z3.clone(),
        z3.clone(),
        z3,
        // [3] has no y: the list is pruned to [4].
        found(1, y4, 4),
        found(0, y4, 4),
        found(0, y4, 4),
        // z is now found in [4] alone.
        z4.clone(),
        z4.clone(),
        // [4] has no x: poisoned, nothing pruned.
        (None, None, 4, true),
        z4,
    ];
    for (i, (got, want)) in results.iter().map(|r| &r.0).zip(&expected).enumerate() {
        if i == 8 {
            assert_eq!(
                (got.0, &got.1, got.3),
                (want.0, &want.1, want.3),
                "record {i}"
            );
        } else {
            assert_eq!(got, want, "record {i}");
        }
    }
    // A repeated record takes the steps of the one before it.
    for (a, b) in [(1, 2), (4, 5), (6, 7)] {
        assert_eq!(results[a].1, results[b].1, "records {a} and {b}");
    }
}

/// A struct of split BTF: name, size, `(member, type id, byte offset)`.
type SplitStruct<'a> = (&'a str, u32, &'a [(&'a str, u32, u32)]);

/// Raw split BTF of `structs` on top of `base`.
fn split_structs(base: &Btf, structs: &[SplitStruct<'_>]) -> Vec<u8> {
    let mut strings = vec![0u8];
    let mut add = |s: &str| {
        let off = base.strings_len() + strings.len() as u32;
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        off
    };
    let mut words = Vec::new();
    for (name, size, members) in structs {
        words.extend([add(name), (4 << 24) | members.len() as u32, *size]);
        for (m, ty, off) in members.iter() {
            words.extend([add(m), *ty, off * 8]);
        }
    }
    let type_len = words.len() as u32 * 4;
    let mut out = vec![0x9f, 0xeb, 1, 0];
    for w in [24, 0, type_len, type_len, strings.len() as u32] {
        out.extend(w.to_le_bytes());
    }
    words.iter().for_each(|w| out.extend(w.to_le_bytes()));
    out.extend(strings);
    out
}

#[test]
fn split_targets_search_the_module_only_without_a_base_candidate() {
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
    b.strct("bar", 4, &[("c", int, 0)]);
    let (fb, bc) = (b.s("0:1"), b.s("0:0"));
    let local = b.finish();

    let mut base = B::new();
    let int = base.int("int", 4, true);
    base.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
    let base = std::sync::Arc::new(base.finish());
    let module = split_structs(
        &base,
        &[("foo", 24, &[("b", 1, 16)]), ("bar", 8, &[("c", 1, 4)])],
    );
    let module = Btf::parse_split(&module, base).unwrap();
    let r = resolve(&local, &module, relo(TypeId(2), fb, BYTE_OFF));
    assert_eq!(
        r.target.as_deref(),
        Some("[2] struct foo.b (0:1 @ offset 4)")
    );
    let r = resolve(&local, &module, relo(TypeId(3), bc, BYTE_OFF));
    assert_eq!(
        r.target.as_deref(),
        Some("[4] struct bar.c (0:0 @ offset 4)")
    );
}

#[test]
fn bad_records_are_errors_not_panics() {
    let (local, acc) = local_foo("foo");
    let t = target(|b, int, _| {
        b.strct("foo", 8, &[("a", int, 0), ("b", int, 4)]);
    });
    let cases: [(TypeId, u32, u32, &str); 5] = [
        (TypeId(3), acc, 13, "unknown CO-RE relocation kind 13 (kinds 0 to 12 exist)"),
        (TypeId(3), 0x00ff_ffff, BYTE_OFF, "access string '<?>' on [3] struct foo: the access string offset is past the string table"),
        (TypeId(99), acc, BYTE_OFF, "the relocation refers to type id 99, but the object's BTF has only 4 types"),
        (TypeId(3), acc, TYPE_EXISTS, "access string '0:1' on [3] struct foo: type_exists relocations take the access string \"0\""),
        (TypeId(1), acc, BYTE_OFF, "access string '0:1' on [1] int int: index #1 reaches [1] int int, which is neither a struct, a union nor an array"),
    ];
    for (id, acc, kind, msg) in cases {
        let r = resolve(&local, &t, relo(id, acc, kind));
        assert_eq!(r.result.unwrap_err().to_string(), msg);
    }
    let mut b = B::new();
    let int = b.int("int", 4, true);
    b.strct("", 4, &[("a", int, 0)]);
    let acc = b.s("0:0");
    let anon = b.finish();
    let e = resolve(&anon, &t, relo(TypeId(2), acc, BYTE_OFF))
        .result
        .unwrap_err();
    assert!(matches!(e, Error::AnonymousRoot { .. }), "{e}");
    assert_eq!(e.to_string(), "the relocation's root type [2] struct <anon> is anonymous, and CO-RE finds target types by name");
}
