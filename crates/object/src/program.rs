//! Programs: found through the `STT_FUNC` symbols of executable sections (one
//! section may hold several), with their instructions, attach point and
//! instruction relocations. `.text` functions are subprograms.
//!
//! A section's instructions are decoded once and shared by all its programs
//! (each holds the shared slice and its range), so symbols that overlap,
//! however many, cost no copies.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use object::elf::{SHF_EXECINSTR, SHT_PROGBITS, STB_LOCAL, STT_FUNC};

use crate::attach::{attach_point, AttachPoint};
use crate::elf::ElfView;
use crate::error::Result;
use crate::insn::{Insn, INSN_SIZE};
use crate::reloc::{InsnReloc, RelocTarget};
use crate::work::tick;

/// A program's instructions: a range of its section's shared instructions.
#[derive(Clone)]
pub(crate) struct SharedInsns {
    section: Arc<[Insn]>,
    range: Range<usize>,
}

impl SharedInsns {
    /// The instructions.
    pub fn get(&self) -> &[Insn] {
        &self.section[self.range.clone()]
    }
}

/// One BPF program or subprogram.
#[derive(Clone)]
pub struct Program {
    /// Function name.
    pub name: String,
    /// ELF section name, as written (a leading `?` kept).
    pub section: String,
    /// ELF section index.
    pub section_index: usize,
    /// Index of the program's first instruction within its section.
    pub section_insn: usize,
    /// The instructions, shared with the other programs of the section.
    insns: SharedInsns,
    /// Program type and attach point, if libbpf recognises the section name.
    pub attach: Option<AttachPoint>,
    /// A `.text` function, called by other programs rather than loaded alone.
    pub subprog: bool,
    /// Loaded by default (`false` for sections written `?name`).
    pub autoload: bool,
    /// Global (rather than static) symbol.
    pub global: bool,
    /// Instruction relocations (maps, global data, calls, externs), ordered
    /// by instruction (in `.rel` order for one instruction).
    pub relocations: Vec<InsnReloc>,
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Program")
            .field("name", &self.name)
            .field("section", &self.section)
            .field("section_index", &self.section_index)
            .field("section_insn", &self.section_insn)
            .field("insns", &self.insns())
            .field("attach", &self.attach)
            .field("subprog", &self.subprog)
            .field("autoload", &self.autoload)
            .field("global", &self.global)
            .field("relocations", &self.relocations)
            .finish()
    }
}

impl PartialEq for Program {
    fn eq(&self, other: &Program) -> bool {
        self.name == other.name
            && self.section == other.section
            && self.section_index == other.section_index
            && self.section_insn == other.section_insn
            && self.insns() == other.insns()
            && self.attach == other.attach
            && self.subprog == other.subprog
            && self.autoload == other.autoload
            && self.global == other.global
            && self.relocations == other.relocations
    }
}

impl Eq for Program {}

impl Program {
    /// The program's instructions, as in the file (after
    /// [`Object::relocate_core`](crate::Object::relocate_core), as patched).
    pub fn insns(&self) -> &[Insn] {
        self.insns.get()
    }

    /// Whether instruction `section_insn` of the program's section belongs to it.
    pub fn contains(&self, section_index: usize, section_insn: usize) -> bool {
        self.section_index == section_index && self.insns.range.contains(&section_insn)
    }

    /// Whether the two programs' instructions are one shared allocation.
    #[cfg(test)]
    pub(crate) fn shares_insns_with(&self, other: &Program) -> bool {
        Arc::ptr_eq(&self.insns.section, &other.insns.section)
    }

    /// The relocations of instruction `insn` (relative to the program).
    pub fn relocations_at(&self, insn: usize) -> &[InsnReloc] {
        let start = self.relocations.partition_point(|r| r.insn < insn);
        let end = self.relocations.partition_point(|r| r.insn <= insn);
        tick(2 * (usize::BITS - self.relocations.len().leading_zeros()) as usize);
        &self.relocations[start..end]
    }
}

/// Whether an ELF section holds code.
pub(crate) fn is_code_section(sh_type: u32, flags: u64, size: u64) -> bool {
    sh_type == SHT_PROGBITS && flags & u64::from(SHF_EXECINSTR) != 0 && size > 0
}

/// Finds the programs of every code section, sorted by section and offset.
pub(crate) fn discover(elf: &ElfView<'_>) -> Result<Vec<Program>> {
    let mut programs = Vec::new();
    for sec in &elf.sections {
        tick(1);
        if !is_code_section(sec.sh_type, sec.flags, sec.size) {
            continue;
        }
        if !sec.data.len().is_multiple_of(INSN_SIZE) {
            return Err(sec.error(format!(
                "code size {} is not a multiple of {INSN_SIZE} (truncated instruction at offset {})",
                sec.data.len(),
                sec.data.len() / INSN_SIZE * INSN_SIZE
            )));
        }
        let mut funcs: Vec<_> = elf
            .symbols_in(sec.index)
            .filter(|s| s.kind == STT_FUNC)
            .collect();
        if funcs.is_empty() {
            continue;
        }
        funcs.sort_by_key(|s| s.value);
        tick(funcs.len() * (usize::BITS - funcs.len().leading_zeros()) as usize);
        let insns: Arc<[Insn]> = Insn::decode_all(sec.data, elf.endian).into();
        tick(insns.len());
        let subprog = sec.name == ".text";
        let attach = if subprog {
            None
        } else {
            attach_point(sec.name)
        };
        for sym in funcs {
            tick(1);
            let (off, size) = (sym.value, sym.size);
            if !off.is_multiple_of(INSN_SIZE as u64) || !size.is_multiple_of(INSN_SIZE as u64) {
                return Err(sym.error(format!(
                    "program at offset {off} with size {size} is not aligned to whole instructions"
                )));
            }
            if off
                .checked_add(size)
                .is_none_or(|end| end > sec.data.len() as u64)
            {
                return Err(sym.error(format!(
                    "program at offset {off} with size {size} crosses the end of section '{}' ({} bytes)",
                    sec.name,
                    sec.data.len()
                )));
            }
            // Both fit the section's length (checked above), so in usize.
            let first = off as usize / INSN_SIZE;
            let count = size as usize / INSN_SIZE;
            programs.push(Program {
                name: sym.name.to_owned(),
                section: sec.name.to_owned(),
                section_index: sec.index,
                section_insn: first,
                insns: SharedInsns {
                    section: Arc::clone(&insns),
                    range: first..first + count,
                },
                attach: attach.clone(),
                subprog,
                autoload: !sec.name.starts_with('?'),
                global: sym.bind != STB_LOCAL,
                relocations: Vec::new(),
            });
        }
    }
    programs.sort_by_key(|p| (p.section_index, p.section_insn));
    tick(programs.len() * (usize::BITS - programs.len().leading_zeros()) as usize);
    Ok(programs)
}

/// Where each program lies, for finding the program that holds an
/// instruction: `(section, first instruction, end)` per program, in the
/// programs' order (by section and first instruction).
#[derive(Debug, Default)]
pub(crate) struct ProgramIndex {
    keys: Vec<(usize, usize, usize)>,
}

impl ProgramIndex {
    /// Indexes `programs`, sorted by section and first instruction.
    pub fn new(programs: &[Program]) -> ProgramIndex {
        tick(programs.len());
        ProgramIndex {
            keys: programs
                .iter()
                .map(|p| (p.section_index, p.section_insn, p.insns.range.end))
                .collect(),
        }
    }

    /// Index of the program holding instruction `section_insn` of a
    /// section, decided as libbpf's `find_prog_by_sec_insn` does: a binary
    /// search for the last program that starts at or before the
    /// instruction, which must then contain it.
    pub fn find(&self, section_index: usize, section_insn: usize) -> Option<usize> {
        tick(1 + (usize::BITS - self.keys.len().leading_zeros()) as usize);
        let after = self
            .keys
            .partition_point(|&(s, first, _)| (s, first) <= (section_index, section_insn));
        let last = after.checked_sub(1)?;
        let (s, first, end) = self.keys[last];
        (s == section_index && (first..end).contains(&section_insn)).then_some(last)
    }
}

/// A BPF-to-BPF call of a program (`call` with `src_reg` 1, or an
/// `ld_imm64` of a function's address for callbacks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The calling instruction, relative to the program.
    pub insn: usize,
    /// Section of the called function.
    pub section_index: usize,
    /// Instruction index of the called function within its section.
    pub section_insn: usize,
    /// The called program (index into the object's programs), when one
    /// starts or lies there.
    pub callee: Option<usize>,
    /// Whether the instruction loads the function's address instead of calling it.
    pub address_only: bool,
}

/// The calls of program `index`: those with an ELF relocation (into `.text`)
/// and those to a static function of the same section, which clang leaves
/// without one (the immediate is relative to the next instruction). Nothing
/// for an index past the last program.
pub(crate) fn calls(
    programs: &[Program],
    where_: &ProgramIndex,
    index: usize,
    text_index: Option<usize>,
) -> Vec<Call> {
    let Some(p) = programs.get(index) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, insn) in p.insns().iter().enumerate() {
        tick(1);
        if !insn.is_pseudo_call() && !insn.is_pseudo_func() {
            continue;
        }
        let relocated = p.relocations_at(i).first().and_then(|r| match r.target {
            RelocTarget::Call { section_insn } => Some((section_insn, false)),
            RelocTarget::FuncAddr { section_insn } => Some((section_insn, true)),
            _ => None,
        });
        let (section_index, section_insn, address_only) = match (relocated, text_index) {
            (Some((target, address_only)), Some(text)) => (text, target, address_only),
            _ if insn.is_pseudo_call() => {
                // Indices fit in i64 (they index memory); the sum may not fit usize.
                let target = (p.section_insn + i + 1) as i64 + i64::from(insn.imm);
                let Ok(target) = usize::try_from(target) else {
                    continue;
                };
                (p.section_index, target, false)
            }
            _ => continue,
        };
        out.push(Call {
            insn: i,
            section_index,
            section_insn,
            callee: where_.find(section_index, section_insn),
            address_only,
        });
    }
    out
}
