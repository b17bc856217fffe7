//! The load plan on hostile objects at scale (`fuzz/src/hostile.rs`): a
//! chain of 50,000 `.text` calls is linked without recursion, and every
//! lookup per call, relocation, extern and Kconfig line is indexed, so the
//! plan takes O(n log n) steps of [`crate::work`] (steps, not time).

use super::{plan, Features, KernelInputs, Lazy, LoadConfig, LoadPlan};
use crate::btf_names::log2;
use crate::scale_tests::hostile;
use crate::work::take_steps;
use crate::Object;

/// Steps allowed per input item and per level of a binary search.
const STEPS_PER_ITEM_LOG: u64 = 64;

/// Plans `make(n)` and `make(4n)` with Kconfig `kconfig(n)`, checks each
/// plan with `check`, and checks both bounds on the steps: at most
/// C·n·log2(n), and quadrupling n at most quadruples them (times the
/// growth of log2, and a little slack).
fn assert_plan_n_log_n(
    what: &str,
    n: usize,
    make: fn(usize) -> Vec<u8>,
    kconfig: fn(usize) -> String,
    check: fn(&LoadPlan, usize),
) {
    let mut steps = Vec::new();
    for size in [n, 4 * n] {
        let obj = Object::parse(&make(size)).unwrap_or_else(|e| panic!("{what} ({size}): {e}"));
        let mut kernel = KernelInputs::new(Features::all(), 0x0006_0c00);
        kernel.endian = obj.endian;
        kernel.kconfig = Lazy::ready(kconfig(size));
        take_steps();
        let planned = plan(&obj, &LoadConfig::new("hostile"), &kernel)
            .unwrap_or_else(|e| panic!("{what} ({size}): {e}"));
        let taken = take_steps();
        check(&planned, size);
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

#[test]
fn a_long_chain_of_text_calls_is_linked_without_recursion() {
    // Each link of the chain used to be a frame of a recursive linker: the
    // 200,000-deep chain overflowed the stack.
    assert_plan_n_log_n(
        "a chain of .text calls",
        50_000,
        hostile::text_call_chain,
        |_| String::new(),
        |plan, n| {
            let prog = &plan.programs[0];
            assert_eq!(prog.insns.len(), 2 + 2 * n);
            assert_eq!(prog.functions.len(), 1 + n);
            // Function i was appended i-th, right after the one calling it.
            for (i, f) in prog.functions.iter().enumerate().skip(1) {
                assert_eq!(f.start, 2 * i, "function {}", f.name);
                assert_eq!(f.name, format!("f{}", i - 1));
            }
        },
    );
}

#[test]
fn many_kconfig_externs_each_relocated_and_set() {
    assert_plan_n_log_n(
        "kconfig externs loaded by as many relocations",
        // 4n VARs in one DATASEC: at most 65,535.
        10_000,
        hostile::kconfig_externs,
        hostile::kconfig_text,
        |plan, n| {
            let prog = &plan.programs[0];
            assert_eq!(prog.insns.len(), 2 * n + 1);
            assert_eq!(plan.externs.len(), n);
        },
    );
}
