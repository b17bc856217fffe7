//! The checks of the structure-aware fuzz targets `object_gen` and
//! `core_gen`, shared by `#[path]` with corex-object's property tests
//! (`crates/object/tests/fuzz_props.rs`, with `objgen.rs`, `objarb.rs`
//! and `coregen.rs` as sibling modules).
//!
//! Beyond "no panic", each checks bounded work: parsing and every lookup
//! take O(n log n) steps of corex-object's step counter for an input of n
//! bytes, CO-RE matching stays within its budget, and on the hostile
//! families (nested anonymous members, prototype and struct chains) its
//! steps grow linearly with the depth and the decision is a verdict, not
//! the budget's error.

use arbitrary::Unstructured;
use corex_btf::{printable, Btf, Kind};
use corex_object::core::{Relocator, Target, MAX_RELO_STEPS, MAX_TOTAL_STEPS};
use corex_object::{take_steps, Error, Object};

use super::coregen::{self, CoreCase};

/// Steps allowed per input byte and level of a binary search: each byte
/// of the input is part of at most one item (section, symbol, relocation,
/// record, type), which parsing and a lookup each touch a bounded number
/// of times.
pub const STEPS_PER_BYTE_LOG: u64 = 32;

/// The step bound for an input of `len` bytes.
fn step_bound(len: usize) -> u64 {
    let log = u64::from(usize::BITS - len.leading_zeros()).max(1);
    STEPS_PER_BYTE_LOG * (len as u64 + 64) * log
}

/// `object_gen`: an object generated from `data`, through [`check_object`].
pub fn object_gen(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(bytes) = super::objarb::arbitrary_object(&mut u) {
        check_object(&bytes);
    }
}

/// Parses `bytes` and uses every lookup on the result, counting steps;
/// then relocates it against its own BTF (indexed for the object, as
/// `corex reloc` does) and against the hostile family the input's length
/// picks, within the CO-RE budget.
pub fn check_object(bytes: &[u8]) {
    take_steps();
    let parsed = Object::parse(bytes);
    let mut shown = String::new();
    let obj = match parsed {
        Ok(obj) => obj,
        Err(e) => {
            // Every error is one printable line.
            let text = e.to_string();
            assert!(!text.contains('\n') && !text.contains('\x1b'), "{text:?}");
            return;
        }
    };
    for (i, p) in obj.programs.iter().enumerate() {
        for c in obj.calls(i) {
            if let Some(k) = c.callee {
                assert!(obj.programs[k].contains(c.section_index, c.section_insn));
            }
        }
        for r in obj.core_records_of(i) {
            assert_eq!(r.program, Some(i));
            assert!(r.insn < p.insns().len());
        }
        let first = obj
            .program(&p.name)
            .expect("a program is found by its name");
        assert_eq!(first.name, p.name);
        if let Some(k) = obj.program_at(p.section_index, p.section_insn) {
            assert!(obj.programs[k].contains(p.section_index, p.section_insn));
        }
        shown.push_str(&printable(&p.name).to_string());
    }
    assert!(obj.calls(usize::MAX).is_empty());
    assert_eq!(obj.core_records_of(usize::MAX).count(), 0);
    assert!(!obj.has_btf_type(Kind::Struct, "no such type"));
    let steps = take_steps();
    let bound = step_bound(bytes.len());
    assert!(
        steps <= bound,
        "{steps} steps to parse and look up {} bytes (bound {bound})",
        bytes.len()
    );
    assert!(!shown.contains('\x1b'));

    let own = corex_btf::elf_btf_sections(bytes).map(|(btf, _)| Btf::parse(&btf));
    if let Ok(Ok(own)) = own {
        let report = obj.relocate_core(&Target::for_object(&own, &obj));
        for r in &report.results {
            if let corex_object::core::Outcome::Failed(e) = &r.outcome {
                assert!(!e.to_string().contains('\x1b'));
            }
        }
    }
    let hostile = coregen::family(bytes.len() as u8, bytes.len() % 24);
    let target = Btf::parse(&hostile.target).expect("the families are valid BTF");
    let report = obj.relocate_core(&Target::new(&target));
    assert!(report.results.len() <= obj.core_relos.len());
}

/// `core_gen`: a case generated from `data`, through [`check_core`].
pub fn core_gen(data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Ok(case) = coregen::arbitrary_case(&mut u) {
        check_core(&case, None);
    }
}

/// Resolves every relocation of `case` (parsing what parses): each within
/// the budget, all within the object's; for a hostile family at `depth`
/// (when given), steps linear in the depth and no budget error.
pub fn check_core(case: &CoreCase, depth: Option<usize>) {
    let (Ok(local), Ok(target_btf)) = (Btf::parse(&case.local), Btf::parse(&case.target)) else {
        assert!(depth.is_none(), "a family's BTF does not parse");
        return;
    };
    let target = Target::new(&target_btf);
    let mut relocator = Relocator::new(&target);
    for relo in &case.relos {
        let res = relocator.resolve(&local, relo);
        assert!(res.work <= MAX_RELO_STEPS, "{} steps", res.work);
        if let Some(depth) = depth {
            let bound = coregen::family_step_bound(depth);
            assert!(
                res.work <= bound,
                "{} at depth {depth}: {} steps (bound {bound})",
                res.kind,
                res.work
            );
            assert!(
                !matches!(res.result, Err(Error::WorkLimit { .. })),
                "{} at depth {depth}: budget error",
                res.kind
            );
        }
        if let Err(e) = &res.result {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
    assert!(relocator.work() <= MAX_TOTAL_STEPS);
}
