//! Hostile objects at scale (`fuzz/src/hostile.rs`): parsing them and every
//! lookup over them takes O(n log n) steps of [`crate::work`], and the steps
//! grow near-linearly with n. Steps, not time: the bound holds on any
//! machine, however loaded.

#[allow(dead_code)] // shared with the fuzz targets and other tests
#[path = "../../../fuzz/src/hostile.rs"]
pub(crate) mod hostile;
#[allow(dead_code)]
#[path = "../../../fuzz/src/objgen.rs"]
pub(crate) mod objgen;

use corex_btf::Kind;

use crate::btf_names::log2;
use crate::work::take_steps;
use crate::{Error, ExternKind, Object};

/// Steps allowed per input item and per level of a binary search: parse and
/// the lookups touch each item a bounded number of times, each touch at
/// most a few binary searches.
const STEPS_PER_ITEM_LOG: u64 = 64;

/// Checks both bounds on `steps_for(size)` (the steps some work on an
/// input of `size` items took), for n and 4n: steps ≤ C·n·log2(n), and
/// quadrupling n at most quadruples the steps times the growth of log2
/// (and a little slack).
pub(crate) fn assert_n_log_n_steps(what: &str, n: usize, mut steps_for: impl FnMut(usize) -> u64) {
    let mut steps = Vec::new();
    for size in [n, 4 * n] {
        let taken = steps_for(size);
        let bound = STEPS_PER_ITEM_LOG * (size * log2(size)) as u64;
        assert!(
            taken <= bound,
            "{what} with n = {size}: {taken} steps, more than {bound} (C·n·log2 n)"
        );
        steps.push(taken as f64);
    }
    let growth = steps[1] / steps[0];
    let allowed = 4.0 * log2(4 * n) as f64 / log2(n) as f64 * 1.1;
    assert!(
        growth <= allowed,
        "{what}: steps grew {growth:.2}x from n = {n} to {}, more than {allowed:.2}x",
        4 * n
    );
}

/// Parses the object `make(n)` builds and runs `work` on it, for n and 4n,
/// and checks [`assert_n_log_n_steps`] on the steps both took.
fn assert_n_log_n(what: &str, n: usize, make: fn(usize) -> Vec<u8>, work: fn(&Object, usize)) {
    assert_n_log_n_steps(what, n, |size| {
        let data = make(size);
        take_steps();
        let obj = Object::parse(&data).unwrap_or_else(|e| panic!("{what} ({size}): {e}"));
        work(&obj, size);
        take_steps()
    });
}

#[test]
fn callees_of_many_calling_programs() {
    assert_n_log_n(
        "50,000 one-instruction programs that each call",
        50_000,
        hostile::calling_programs,
        |obj, n| {
            assert_eq!(obj.programs.len(), n);
            for i in 0..n {
                let calls = obj.calls(i);
                let callee = (i + 1 < n).then_some(i + 1);
                assert_eq!(calls.len(), 1);
                assert_eq!(calls[0].callee, callee, "program {i}");
            }
        },
    );
}

#[test]
fn core_records_attributed_to_many_programs() {
    assert_n_log_n(
        "50,000 CO-RE records over 50,000 programs",
        50_000,
        hostile::core_records,
        |obj, n| {
            assert_eq!(obj.core_relos.len(), n);
            for i in 0..n {
                let recs: Vec<_> = obj.core_records_of(i).collect();
                assert_eq!(recs.len(), 1, "program {i}");
                assert_eq!(recs[0].index, n - 1 - i);
                let name = &obj.programs[i].name;
                assert_eq!(obj.program(name).map(|p| &p.name), Some(name));
            }
        },
    );
}

#[test]
fn context_structs_of_many_programs_over_many_types() {
    // Each program's FUNC was found by scanning every type, and each
    // context struct compared with every CO-RE record.
    assert_n_log_n(
        "context structs of 20,000 programs",
        20_000,
        hostile::context_programs,
        |obj, n| {
            for i in 0..n {
                let st = crate::check::tracefs::context_struct(obj, i);
                assert_eq!(st.map(|t| t.name()), Some("trace_ctx"), "program {i}");
            }
            assert!(obj.core_relocates("task_struct"));
        },
    );
}

#[test]
fn externs_resolved_against_many_types() {
    assert_n_log_n(
        "100,000 externs against 200,000 BTF types",
        100_000,
        hostile::externs,
        |obj, n| {
            assert_eq!(obj.externs.len(), n);
            assert!(obj.externs.iter().all(|e| e.kind == ExternKind::KsymVar));
            for i in (0..n).step_by(7) {
                assert!(obj.has_btf_type(Kind::Var, &format!("k{i}")));
            }
        },
    );
}

#[test]
fn overlapping_functions_share_one_copy_of_the_instructions() {
    let (symbols, insns) = (2_000, 100_000);
    let data = hostile::overlapping_text(symbols, insns);
    take_steps();
    let obj = Object::parse(&data).unwrap();
    let taken = take_steps();
    // Decoding the section once, plus the symbols: not symbols × insns.
    let items = (symbols + insns) as u64;
    assert!(
        taken <= 16 * items,
        "{taken} steps for {symbols} symbols over {insns} instructions"
    );
    let text: Vec<_> = obj.programs.iter().filter(|p| p.subprog).collect();
    assert_eq!(text.len(), symbols);
    assert!(text.iter().all(|p| p.shares_insns_with(text[0])));
    assert!(text.iter().all(|p| p.insns().len() == insns));
}

#[test]
fn legacy_map_symbol_near_the_top_of_the_address_space() {
    for value in [u64::MAX, u64::MAX - 19, u64::MAX - 20, 1 << 63, 20] {
        let e = Object::parse(&hostile::legacy_map_at(value)).unwrap_err();
        assert!(matches!(e, Error::Symbol { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("symbol #1 'legacy': map definition at offset {value} is not one of the 20-byte slots of section 'maps' (20 bytes)")
        );
    }
    let obj = Object::parse(&hostile::legacy_map_at(0)).unwrap();
    assert_eq!(obj.maps[0].def.map_type, 0x0101_0101);
}
