//! Programs: found through the `STT_FUNC` symbols of executable sections (one
//! section may hold several), with their instructions, attach point and
//! instruction relocations. `.text` functions are subprograms.

use object::elf::{SHF_EXECINSTR, SHT_PROGBITS, STB_LOCAL, STT_FUNC};

use crate::attach::{attach_point, AttachPoint};
use crate::elf::ElfView;
use crate::error::Result;
use crate::insn::{Insn, INSN_SIZE};
use crate::reloc::InsnReloc;

/// One BPF program or subprogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Function name.
    pub name: String,
    /// ELF section name, as written (a leading `?` kept).
    pub section: String,
    /// ELF section index.
    pub section_index: usize,
    /// Index of the program's first instruction within its section.
    pub section_insn: usize,
    /// The instructions, as in the file.
    pub insns: Vec<Insn>,
    /// Program type and attach point, if libbpf recognises the section name.
    pub attach: Option<AttachPoint>,
    /// A `.text` function, called by other programs rather than loaded alone.
    pub subprog: bool,
    /// Loaded by default (`false` for sections written `?name`).
    pub autoload: bool,
    /// Global (rather than static) symbol.
    pub global: bool,
    /// Instruction relocations (maps, global data, calls, externs).
    pub relocations: Vec<InsnReloc>,
}

impl Program {
    /// The program's instructions, as in the file. New code reads them
    /// through this accessor (their storage may become shared).
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// Whether instruction `section_insn` of the program's section belongs to it.
    pub fn contains(&self, section_index: usize, section_insn: usize) -> bool {
        self.section_index == section_index
            && section_insn >= self.section_insn
            && section_insn < self.section_insn + self.insns.len()
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
        let insns = Insn::decode_all(sec.data, elf.endian);
        let subprog = sec.name == ".text";
        let mut funcs: Vec<_> = elf
            .symbols
            .iter()
            .filter(|s| s.shndx as usize == sec.index && s.kind == STT_FUNC)
            .collect();
        funcs.sort_by_key(|s| s.value);
        for sym in funcs {
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
            let first = off as usize / INSN_SIZE;
            let count = size as usize / INSN_SIZE;
            programs.push(Program {
                name: sym.name.clone(),
                section: sec.name.clone(),
                section_index: sec.index,
                section_insn: first,
                insns: insns[first..first + count].to_vec(),
                attach: if subprog {
                    None
                } else {
                    attach_point(&sec.name)
                },
                subprog,
                autoload: !sec.name.starts_with('?'),
                global: sym.bind != STB_LOCAL,
                relocations: Vec::new(),
            });
        }
    }
    programs.sort_by_key(|p| (p.section_index, p.section_insn));
    Ok(programs)
}

/// Index of the program holding instruction `section_insn` of a section.
pub(crate) fn find_program(
    programs: &[Program],
    section_index: usize,
    section_insn: usize,
) -> Option<usize> {
    programs
        .iter()
        .position(|p| p.contains(section_index, section_insn))
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
/// without one (the immediate is relative to the next instruction).
pub(crate) fn calls(programs: &[Program], index: usize, text_index: Option<usize>) -> Vec<Call> {
    let p = &programs[index];
    let mut out = Vec::new();
    for (i, insn) in p.insns.iter().enumerate() {
        if !insn.is_pseudo_call() && !insn.is_pseudo_func() {
            continue;
        }
        let relocated = p
            .relocations
            .iter()
            .find(|r| r.insn == i)
            .and_then(|r| match r.target {
                crate::reloc::RelocTarget::Call { section_insn } => Some((section_insn, false)),
                crate::reloc::RelocTarget::FuncAddr { section_insn } => Some((section_insn, true)),
                _ => None,
            });
        let (section_index, section_insn, address_only) = match (relocated, text_index) {
            (Some((target, address_only)), Some(text)) => (text, target, address_only),
            _ if insn.is_pseudo_call() => {
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
            callee: find_program(programs, section_index, section_insn),
            address_only,
        });
    }
    out
}
