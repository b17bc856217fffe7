//! Relocating a whole object: every CO-RE record in `.BTF.ext` order, against
//! one target, with the results libbpf would log.

use super::candidates::Target;
use super::patch::Patched;
use crate::error::Error;
use crate::insn::Insn;
use crate::object::Object;

/// What happened to one relocation.
#[derive(Debug)]
pub enum Outcome {
    /// The instruction was patched (or poisoned).
    Applied(Patched),
    /// The relocation cannot be applied; libbpf fails the load.
    Failed(Error),
}

/// The result of one CO-RE record, with what libbpf logs about it.
#[derive(Debug)]
pub struct RelocResult {
    /// The program holding the instruction.
    pub program: String,
    /// The record's ELF section.
    pub section: String,
    /// Position among the section's records (libbpf's `relo #N`).
    pub index: usize,
    /// Instruction index relative to the program (libbpf's `insn #N`).
    pub insn: usize,
    /// libbpf's name of the kind.
    pub kind: &'static str,
    /// The local spec as libbpf prints it.
    pub local: String,
    /// The matching candidate's spec, if one matched.
    pub target: Option<String>,
    /// That candidate's number in libbpf's `matching candidate #N`.
    pub candidate: Option<usize>,
    /// Why no candidate matched (also for kinds that then give 0).
    pub no_match: Option<String>,
    /// The computed fixup, when the relocation could be computed.
    pub fixup: Option<super::Fixup>,
    /// The outcome.
    pub outcome: Outcome,
}

/// A record libbpf does not relocate, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The record's ELF section.
    pub section: String,
    /// Position among the section's records.
    pub index: usize,
    /// The program, if the instruction belongs to one.
    pub program: Option<String>,
    /// Why it is skipped.
    pub why: &'static str,
}

/// Every relocation of an object against one target.
#[derive(Debug, Default)]
pub struct CoreReport {
    /// Relocated records, in libbpf's order.
    pub results: Vec<RelocResult>,
    /// Records libbpf skips (programs not loaded by default, eliminated
    /// weak functions).
    pub skipped: Vec<Skipped>,
}

impl CoreReport {
    /// Whether any relocation failed (libbpf would refuse to load).
    pub fn has_errors(&self) -> bool {
        self.results
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Failed(_)))
    }
}

impl Object {
    /// Every CO-RE relocation against `target`, as libbpf computes them
    /// before loading: records in `.BTF.ext` order, `.text` subprograms
    /// relocated on their own, programs in `?` sections skipped. Unlike
    /// libbpf, a failed relocation does not stop the others, so the report
    /// is complete. The object is not modified: the load plan
    /// ([`crate::load`]) holds the relocated instructions.
    pub fn relocate_core(&self, target: &Target<'_>) -> CoreReport {
        crate::load::core_report(self, target).0
    }

    /// [`Object::relocate_core`]'s report and every function's instructions
    /// after relocation (indexed like [`Object::programs`]).
    pub fn relocate_core_insns(&self, target: &Target<'_>) -> (CoreReport, Vec<Vec<Insn>>) {
        let (report, patched) = crate::load::core_report(self, target);
        let insns = patched
            .into_iter()
            .zip(&self.programs)
            .map(|(patched, prog)| patched.unwrap_or_else(|| prog.insns().to_vec()))
            .collect();
        (report, insns)
    }
}
