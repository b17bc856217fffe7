//! Instruction relocations (`.rel<section>` entries): which instruction
//! refers to which map, global data section, subprogram or extern, classified
//! as libbpf's `bpf_program__record_reloc` does.

use object::elf::{
    SHN_LORESERVE, SHN_UNDEF, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_NOTYPE, STT_SECTION,
};

use crate::data::{DataSection, Extern};
use crate::elf::{ElfSymbol, ElfView};
use crate::error::{Error, Result};
use crate::insn::{Insn, INSN_SIZE};
use crate::maps::Map;
use crate::program::{find_program, Program};

/// What an instruction relocation points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// An `ld_imm64` loading a map (index into [`crate::Object::maps`]).
    Map {
        /// Map index.
        map: usize,
    },
    /// An `ld_imm64` loading the address of global data.
    Data {
        /// Index into [`crate::Object::data`].
        data: usize,
        /// Byte offset in that section.
        offset: u64,
    },
    /// A `call` to a `.text` subprogram.
    Call {
        /// Target instruction index within `.text`.
        section_insn: usize,
    },
    /// An `ld_imm64` loading a `.text` function's address (callbacks).
    FuncAddr {
        /// Target instruction index within `.text`.
        section_insn: usize,
    },
    /// A reference to an extern (index into [`crate::Object::externs`]).
    Extern {
        /// Extern index.
        ext: usize,
    },
}

/// One instruction relocation of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsnReloc {
    /// Instruction index relative to the program's first instruction.
    pub insn: usize,
    /// The symbol the ELF relocation names.
    pub symbol: String,
    /// What it resolves to.
    pub target: RelocTarget,
}

/// The object's parts a relocation can point at.
pub(crate) struct Targets<'o> {
    pub maps: &'o [Map],
    pub data: &'o [DataSection],
    pub externs: &'o [Extern],
    pub text_index: Option<usize>,
}

/// Reads the `.rel` entries of every code section into the programs.
pub(crate) fn collect(elf: &ElfView<'_>, programs: &mut [Program], t: &Targets<'_>) -> Result<()> {
    for (target, rels) in &elf.rels {
        let sec = &elf.sections[*target];
        if !crate::program::is_code_section(sec.sh_type, sec.flags, sec.size) {
            continue;
        }
        for rel in rels {
            let bad = |why: String| Error::Relocation {
                section: sec.name.clone(),
                index: rel.index,
                offset: rel.offset,
                why,
            };
            if !rel.offset.is_multiple_of(INSN_SIZE as u64) || rel.offset >= sec.data.len() as u64 {
                return Err(bad(format!(
                    "offset is not the start of an instruction of the section ({} bytes)",
                    sec.data.len()
                )));
            }
            let section_insn = (rel.offset / INSN_SIZE as u64) as usize;
            // A relocation outside every program belongs to an eliminated
            // weak function; libbpf skips it too.
            let Some(p) = find_program(programs, sec.index, section_insn) else {
                continue;
            };
            let prog = &mut programs[p];
            let insn_idx = section_insn - prog.section_insn;
            let insn = prog.insns[insn_idx];
            let next = prog.insns.get(insn_idx + 1).copied();
            let sym = &elf.symbols[rel.sym];
            let target = classify(elf, sym, insn, next, t).map_err(bad)?;
            prog.relocations.push(InsnReloc {
                insn: insn_idx,
                symbol: sym.name.clone(),
                target,
            });
        }
    }
    Ok(())
}

fn classify(
    elf: &ElfView<'_>,
    sym: &ElfSymbol,
    insn: Insn,
    next: Option<Insn>,
    t: &Targets<'_>,
) -> std::result::Result<RelocTarget, String> {
    if !insn.is_call() && !insn.is_ld_imm64() {
        return Err(format!(
            "relocation against '{}' on instruction with opcode {:#04x} (only calls and ld_imm64 can be relocated)",
            sym.name, insn.code
        ));
    }
    if insn.is_ld_imm64() && next.is_none() {
        return Err("ld_imm64 is missing its second half".into());
    }
    let is_extern = sym.shndx == u32::from(SHN_UNDEF)
        && (sym.bind == STB_GLOBAL || sym.bind == STB_WEAK)
        && sym.kind == STT_NOTYPE;
    if is_extern {
        let ext = t
            .externs
            .iter()
            .position(|e| e.symbol == sym.index)
            .ok_or_else(|| format!("extern '{}' is not known", sym.name))?;
        return Ok(RelocTarget::Extern { ext });
    }
    if insn.is_call() {
        if !insn.is_pseudo_call() {
            return Err(format!(
                "call against '{}' is not a BPF-to-BPF call (src_reg {})",
                sym.name, insn.src
            ));
        }
        if t.text_index != Some(sym.shndx as usize) {
            let in_sec = elf
                .symbol_section(sym)
                .map_or("(none)", |s| s.name.as_str());
            return Err(format!(
                "call to '{}' in section '{in_sec}' (calls must target .text)",
                sym.name
            ));
        }
        if !sym.value.is_multiple_of(INSN_SIZE as u64) {
            return Err(format!(
                "call to '{}' at unaligned offset {}",
                sym.name, sym.value
            ));
        }
        let target = sym.value as i64 / INSN_SIZE as i64 + i64::from(insn.imm) + 1;
        let section_insn = usize::try_from(target)
            .map_err(|_| format!("call to '{}' lands before .text", sym.name))?;
        return Ok(RelocTarget::Call { section_insn });
    }
    if sym.shndx == u32::from(SHN_UNDEF) || sym.shndx >= u32::from(SHN_LORESERVE) {
        return Err(format!(
            "relocation against '{}' in special section {:#x}; forgot to initialize a global variable?",
            sym.name, sym.shndx
        ));
    }
    let is_subprog = t.text_index == Some(sym.shndx as usize)
        && ((sym.bind == STB_LOCAL && sym.kind == STT_SECTION)
            || (sym.bind == STB_GLOBAL && sym.kind == STT_FUNC));
    if is_subprog {
        let byte = sym.value as i64 + i64::from(insn.imm);
        if !sym.value.is_multiple_of(INSN_SIZE as u64) || byte % INSN_SIZE as i64 != 0 || byte < 0 {
            return Err(format!(
                "function address of '{}' is not at an instruction",
                sym.name
            ));
        }
        return Ok(RelocTarget::FuncAddr {
            section_insn: byte as usize / INSN_SIZE,
        });
    }
    let target_sec = elf.sections.get(sym.shndx as usize).ok_or_else(|| {
        format!(
            "symbol '{}' is in section #{}, which does not exist",
            sym.name, sym.shndx
        )
    })?;
    if let Some(map) = t
        .maps
        .iter()
        .position(|m| m.section_index == target_sec.index && m.section_offset == sym.value)
    {
        return Ok(RelocTarget::Map { map });
    }
    if t.maps.iter().any(|m| m.section_index == target_sec.index) {
        return Err(format!(
            "no map at offset {} of section '{}' for symbol '{}'",
            sym.value, target_sec.name, sym.name
        ));
    }
    if let Some(data) = t
        .data
        .iter()
        .position(|d| d.section_index == Some(target_sec.index))
    {
        let offset = (sym.value as i64).wrapping_add(i64::from(insn.imm)) as u64;
        return Ok(RelocTarget::Data { data, offset });
    }
    Err(format!(
        "relocation against '{}' in section '{}', which holds neither maps nor global data",
        sym.name, target_sec.name
    ))
}
