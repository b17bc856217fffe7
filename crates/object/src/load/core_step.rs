//! CO-RE for a plan: every record of `.BTF.ext` in libbpf's order, applied
//! to copies of the functions' instructions (the parsed object is never
//! patched, so one object can be planned against many kernels). `.text`
//! functions are relocated once, before linking, and every copy appended
//! to a program carries the result, as in libbpf 1.1.

use crate::core::{apply, CoreReport, Outcome, Patched, RelocResult, Relocator, Skipped, Target};
use crate::insn::Insn;
use crate::object::Object;

/// A poisoned instruction and the relocation that poisoned it.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Instructions of every function of the object (unrelocated for those
    /// not relocated).
    pub bodies: Vec<Vec<Insn>>,
    pub report: CoreReport,
    /// `(function, instruction, relocation)` for each poisoned instruction.
    pub poisoned: Vec<(usize, usize, PoisonedRelo)>,
}

/// Relocates the functions for which `relocate(index)` holds against
/// `target` (every record is skipped without a target). A failed record
/// does not stop the others, so the report is complete.
pub(crate) fn run(
    obj: &Object,
    target: Option<&Target<'_>>,
    relocate: &dyn Fn(usize) -> bool,
) -> CoreOutcome {
    let mut out = CoreOutcome {
        bodies: obj.programs.iter().map(|p| p.insns().to_vec()).collect(),
        report: CoreReport::default(),
        poisoned: Vec::new(),
    };
    let (Some(local), Some(target)) = (obj.btf.as_ref(), target) else {
        return out;
    };
    let mut relocator = Relocator::new(target);
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
        let res = relocator.resolve(local, &rec.relo);
        let no_match = res.result.as_ref().ok().and_then(|f| f.reason.clone());
        let fixup = res.result.as_ref().ok().cloned();
        let outcome = match res.result {
            Err(e) => Outcome::Failed(e),
            Ok(fx) => match apply(&fx, &mut out.bodies[p], rec.insn) {
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
            program: prog.name.clone(),
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
    out
}
