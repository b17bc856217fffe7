//! CO-RE for a plan: every record of `.BTF.ext` in libbpf's order, applied
//! to copies of the functions' instructions (the parsed object is never
//! patched, so one object can be planned against many kernels). `.text`
//! functions are relocated once, before linking, and every copy appended
//! to a program carries the result, as in libbpf 1.1. A type vmlinux has
//! no candidate for is looked for in the module BTFs, as libbpf does when
//! no other target BTF was given.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use super::error::PlanError;
use super::target::KernelBtf;
use crate::btf_names::log2;
use crate::core::{
    apply, CoreReport, Outcome, Patched, RelocKind, RelocResult, Relocator, Resolution, Skipped,
    Target,
};
use crate::error::Error;
use crate::insn::Insn;
use crate::object::{CoreRecord, Object};
use crate::work::tick;

/// A poisoned instruction and the relocation that poisoned it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoisonedRelo {
    /// The record's ELF section.
    pub section: String,
    /// libbpf's relocation number in that section (`relo #N`).
    pub index: usize,
    /// libbpf's name of the kind (`byte_off`, ...).
    pub kind: &'static str,
    /// The local spec as libbpf prints it.
    pub local: String,
    /// Why it was poisoned, in plain words.
    pub reason: String,
}

/// The functions' instructions after CO-RE, and what happened.
#[derive(Debug)]
pub(crate) struct CoreOutcome {
    /// Instructions of every function of the object CO-RE patched; `None`
    /// for the others (their parsed instructions stand, uncopied: functions
    /// may share one large section).
    pub bodies: Vec<Option<Vec<Insn>>>,
    pub report: CoreReport,
    /// `(function, instruction, relocation)` for each poisoned instruction,
    /// by function (then in record order).
    pub poisoned: Vec<(usize, usize, PoisonedRelo)>,
}

impl CoreOutcome {
    /// The poisoned instructions of `function`, in record order.
    pub fn poisoned_in(
        &self,
        function: usize,
    ) -> impl Iterator<Item = &(usize, usize, PoisonedRelo)> + '_ {
        let start = self.poisoned.partition_point(|p| p.0 < function);
        tick(1 + log2(self.poisoned.len()));
        self.poisoned[start..]
            .iter()
            .take_while(move |p| p.0 == function)
    }
}

/// Where CO-RE looks for target types.
pub(crate) struct Targets<'t> {
    /// vmlinux (or the BTF that replaces it).
    pub main: &'t Target<'t>,
    /// The module BTFs, read when a type has no candidate in `main`.
    pub modules: Option<&'t dyn Fn() -> Result<Vec<Arc<KernelBtf>>, PlanError>>,
}

/// Combines the resolutions of one record against several module BTFs as
/// libbpf's single candidate list would: the one that matched, or several
/// that agree; disagreeing ones are an ambiguity.
fn combine(mut all: Vec<Resolution>) -> Option<Resolution> {
    if let Some(at) = all.iter().position(|r| r.result.is_err()) {
        return Some(all.swap_remove(at));
    }
    let matched: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].candidate.is_some())
        .collect();
    let Some(&first) = matched.first() else {
        return all.into_iter().next();
    };
    let key = |r: &Resolution| r.result.as_ref().ok().map(|f| (f.poison, f.new));
    if let Some(&other) = matched.iter().find(|&&i| key(&all[i]) != key(&all[first])) {
        let say = |r: &Resolution| {
            format!(
                "{} gives {}",
                r.target.as_deref().unwrap_or("?"),
                match key(r) {
                    Some((true, _)) => "failure".to_owned(),
                    Some((false, v)) => format!("value {v}"),
                    None => "nothing".to_owned(),
                }
            )
        };
        let detail = format!("{}, {}", say(&all[first]), say(&all[other]));
        let mut r = all.swap_remove(first);
        r.result = Err(Error::DecisionAmbiguity {
            local: r.local.clone(),
            count: matched.len(),
            detail: format!("in module BTFs: {detail}"),
        });
        return Some(r);
    }
    Some(all.swap_remove(first))
}

/// Relocates the functions for which `relocate(index)` holds against
/// `targets` (every record is skipped without targets). A failed record
/// does not stop the others, so the report is complete.
pub(crate) fn run(
    obj: &Object,
    targets: Option<Targets<'_>>,
    relocate: &dyn Fn(usize) -> bool,
) -> Result<CoreOutcome, PlanError> {
    let mut out = CoreOutcome {
        bodies: vec![None; obj.programs.len()],
        report: CoreReport::default(),
        poisoned: Vec::new(),
    };
    let (Some(local), Some(targets)) = (obj.btf.as_ref(), targets) else {
        return Ok(out);
    };
    // One allocation for the results (a result is a few hundred bytes).
    out.report.results.reserve_exact(obj.core_relos.len());
    let mut relocator = Relocator::new(targets.main);
    let module_btfs: OnceCell<Vec<Arc<KernelBtf>>> = OnceCell::new();
    let module_targets: OnceCell<Vec<Target<'_>>> = OnceCell::new();
    let module_relocators: RefCell<Option<Vec<Relocator<'_>>>> = RefCell::new(None);
    for rec in &obj.core_relos {
        let Some(p) = rec.program else {
            out.report.skipped.push(Skipped {
                section: rec.section.clone(),
                index: rec.index,
                program: None,
                why: "the instruction belongs to no program (an eliminated weak function)",
            });
            continue;
        };
        let prog = &obj.programs[p];
        if !relocate(p) {
            out.report.skipped.push(Skipped {
                section: rec.section.clone(),
                index: rec.index,
                program: Some(prog.name.clone()),
                why: "the program is not loaded (its section starts with '?', or it was not selected)",
            });
            continue;
        }
        let in_modules = match targets.modules {
            Some(load) if needs_modules(rec, local, targets.main) => {
                if module_btfs.get().is_none() {
                    let _ = module_btfs.set(load()?);
                }
                let btfs = module_btfs.get().map_or(&[][..], Vec::as_slice);
                let ts = module_targets
                    .get_or_init(|| btfs.iter().map(|m| m.core_target(obj)).collect());
                let mut slot = module_relocators.borrow_mut();
                let relocators =
                    slot.get_or_insert_with(|| ts.iter().map(Relocator::new).collect());
                let all: Vec<Resolution> = relocators
                    .iter_mut()
                    .map(|r| r.resolve(local, &rec.relo))
                    .collect();
                combine(all)
            }
            _ => None,
        };
        let res = match in_modules {
            Some(r) => r,
            None => relocator.resolve(local, &rec.relo),
        };
        record(&mut out, obj, rec, p, res);
    }
    // Stable: each function's poisons stay in record order.
    out.poisoned.sort_by_key(|p| p.0);
    Ok(out)
}

/// Whether `rec`'s root type has no candidate in `main`, so libbpf would
/// look in the module BTFs.
fn needs_modules(rec: &CoreRecord, local: &corex_btf::Btf, main: &Target<'_>) -> bool {
    RelocKind::from_u32(rec.relo.kind).is_some_and(|k| k != RelocKind::TypeIdLocal)
        && rec.relo.type_id.0 < local.type_count()
        && main.find_candidates(local, rec.relo.type_id).is_empty()
}

/// Applies one resolution to its function (copied on its first patch) and
/// records what happened.
fn record(out: &mut CoreOutcome, obj: &Object, rec: &CoreRecord, p: usize, res: Resolution) {
    let program = &obj.programs[p].name;
    let no_match = res.result.as_ref().ok().and_then(|f| f.reason.clone());
    let fixup = res.result.as_ref().ok().cloned();
    let outcome = match res.result {
        Err(e) => Outcome::Failed(e),
        Ok(fx) => match apply(
            &fx,
            out.bodies[p].get_or_insert_with(|| obj.programs[p].insns().to_vec()),
            rec.insn,
        ) {
            Ok(patched) => Outcome::Applied(patched),
            Err(e) => Outcome::Failed(e),
        },
    };
    if let Outcome::Applied(Patched::Poisoned { reason }) = &outcome {
        out.poisoned.push((
            p,
            rec.insn,
            PoisonedRelo {
                section: rec.section.clone(),
                index: rec.index,
                kind: res.kind,
                local: res.local.clone(),
                reason: reason.clone(),
            },
        ));
    }
    out.report.results.push(RelocResult {
        program: program.to_owned(),
        section: rec.section.clone(),
        index: rec.index,
        insn: rec.insn,
        kind: res.kind,
        local: res.local,
        target: res.target,
        candidate: res.candidate,
        no_match,
        fixup,
        outcome,
    });
}
