//! Relocating a whole object: every CO-RE record in `.BTF.ext` order, against
//! one target, with the results libbpf would log.

use std::collections::HashMap;
use std::sync::Arc;

use super::candidates::Target;
use super::patch::{apply, Patched};
use super::resolve::Relocator;
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
    /// Applies every CO-RE relocation against `target`, patching the
    /// programs' instructions, as libbpf does before loading: records in
    /// `.BTF.ext` order, `.text` subprograms relocated on their own, programs
    /// in `?` sections skipped. Unlike libbpf, a failed relocation does not
    /// stop the others, so the report is complete.
    ///
    /// A section's programs share its instructions: a section with patches
    /// is copied once, patched, and shared again. Programs whose symbols
    /// overlap therefore see each other's patches, where libbpf patches only
    /// the copy of the program the record belongs to.
    pub fn relocate_core(&mut self, target: &Target<'_>) -> CoreReport {
        let mut report = CoreReport::default();
        let Some(local) = self.btf.as_ref() else {
            return report;
        };
        report.results.reserve(self.core_relos.len());
        let mut relocator = Relocator::new(target);
        // Patched copies of the sections' instructions.
        let mut patched: HashMap<usize, Vec<Insn>> = HashMap::new();
        for rec in &self.core_relos {
            let Some(p) = rec.program else {
                report.skipped.push(Skipped {
                    section: rec.section.clone(),
                    index: rec.index,
                    program: None,
                    why: "the instruction belongs to no program (an eliminated weak function)",
                });
                continue;
            };
            let Some(prog) = self.programs.get(p) else {
                continue;
            };
            if !prog.autoload {
                report.skipped.push(Skipped {
                    section: rec.section.clone(),
                    index: rec.index,
                    program: Some(prog.name.clone()),
                    why: "the program is not loaded by default (its section starts with '?')",
                });
                continue;
            }
            let res = relocator.resolve(local, &rec.relo);
            let no_match = res.result.as_ref().ok().and_then(|f| f.reason.clone());
            let fixup = res.result.as_ref().ok().cloned();
            let outcome = match res.result {
                Err(e) => Outcome::Failed(e),
                Ok(fx) => {
                    let (shared, range) = prog.storage();
                    let section = patched
                        .entry(prog.section_index)
                        .or_insert_with(|| shared.to_vec());
                    let insns = section.get_mut(range).unwrap_or_default();
                    match apply(&fx, insns, rec.insn) {
                        Ok(p) => Outcome::Applied(p),
                        Err(e) => Outcome::Failed(e),
                    }
                }
            };
            report.results.push(RelocResult {
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
        let patched: HashMap<usize, Arc<[Insn]>> =
            patched.into_iter().map(|(s, v)| (s, v.into())).collect();
        for prog in &mut self.programs {
            if let Some(section) = patched.get(&prog.section_index) {
                prog.set_storage(Arc::clone(section));
            }
        }
        report
    }
}
