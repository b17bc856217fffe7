//! Instruction relocations (`.rel<section>` entries): which instruction
//! refers to which map, global data section, subprogram or extern, classified
//! as libbpf's `bpf_program__record_reloc` does.

use std::collections::{HashMap, HashSet};

use object::elf::{
    SHN_LORESERVE, SHN_UNDEF, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_NOTYPE, STT_SECTION,
};

use crate::data::{DataSection, Extern};
use crate::elf::{ElfSymbol, ElfView};
use crate::error::{Error, Result};
use crate::insn::{Insn, INSN_SIZE};
use crate::maps::Map;
use crate::program::{Program, ProgramIndex};
use crate::work::tick;

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

/// The object's parts a relocation can point at, indexed.
pub(crate) struct Targets {
    /// The first map at each (section, offset).
    maps: HashMap<(usize, u64), usize>,
    /// Sections that hold maps.
    map_sections: HashSet<usize>,
    /// The first data section of each ELF section.
    data: HashMap<usize, usize>,
    /// The first extern of each symbol.
    externs: HashMap<usize, usize>,
    text_index: Option<usize>,
}

impl Targets {
    /// Indexes the maps, data sections and externs.
    pub fn new(
        maps: &[Map],
        data: &[DataSection],
        externs: &[Extern],
        text_index: Option<usize>,
    ) -> Targets {
        let mut t = Targets {
            maps: HashMap::with_capacity(maps.len()),
            map_sections: HashSet::new(),
            data: HashMap::with_capacity(data.len()),
            externs: HashMap::with_capacity(externs.len()),
            text_index,
        };
        for (i, m) in maps.iter().enumerate() {
            tick(1);
            t.maps
                .entry((m.section_index, m.section_offset))
                .or_insert(i);
            t.map_sections.insert(m.section_index);
        }
        for (i, d) in data.iter().enumerate() {
            tick(1);
            if let Some(sec) = d.section_index {
                t.data.entry(sec).or_insert(i);
            }
        }
        for (i, e) in externs.iter().enumerate() {
            tick(1);
            t.externs.entry(e.symbol).or_insert(i);
        }
        t
    }
}

/// Reads the `.rel` entries of every code section into the programs.
pub(crate) fn collect(
    elf: &ElfView<'_>,
    programs: &mut [Program],
    where_: &ProgramIndex,
    t: &Targets,
) -> Result<()> {
    for (target, rels) in &elf.rels {
        tick(1);
        let Some(sec) = elf.sections.get(*target) else {
            continue;
        };
        if !crate::program::is_code_section(sec.sh_type, sec.flags, sec.size) {
            continue;
        }
        for rel in rels {
            tick(1);
            let bad = |why: String| Error::Relocation {
                section: sec.name.to_owned(),
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
            let Some(p) = where_.find(sec.index, section_insn) else {
                continue;
            };
            let prog = &mut programs[p];
            // ProgramIndex::find checked that the program holds the instruction.
            let insn_idx = section_insn - prog.section_insn;
            let insn = prog.insns()[insn_idx];
            let next = prog.insns().get(insn_idx + 1).copied();
            let sym = &elf.symbols[rel.sym];
            let target = classify(elf, sym, insn, next, t).map_err(bad)?;
            prog.relocations.push(InsnReloc {
                insn: insn_idx,
                symbol: sym.name.to_owned(),
                target,
            });
        }
    }
    for p in programs.iter_mut() {
        tick(1 + p.relocations.len());
        p.relocations.sort_by_key(|r| r.insn);
    }
    Ok(())
}

/// What a relocation of `insn` (`next` is the slot after it) against `sym`
/// points at, or why it cannot be (`Error`'s `Display` escapes the names).
fn classify(
    elf: &ElfView<'_>,
    sym: &ElfSymbol<'_>,
    insn: Insn,
    next: Option<Insn>,
    t: &Targets,
) -> std::result::Result<RelocTarget, String> {
    let name = sym.name;
    if !insn.is_call() && !insn.is_ld_imm64() {
        return Err(format!(
            "relocation against '{name}' on instruction with opcode {:#04x} (only calls and ld_imm64 can be relocated)",
            insn.code
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
            .get(&sym.index)
            .copied()
            .ok_or_else(|| format!("extern '{name}' is not known"))?;
        return Ok(RelocTarget::Extern { ext });
    }
    if insn.is_call() {
        if !insn.is_pseudo_call() {
            return Err(format!(
                "call against '{name}' is not a BPF-to-BPF call (src_reg {})",
                insn.src
            ));
        }
        if t.text_index != Some(sym.shndx as usize) {
            let in_sec = elf.symbol_section(sym).map_or("(none)", |s| s.name);
            return Err(format!(
                "call to '{name}' in section '{}' (calls must target .text)",
                in_sec
            ));
        }
        if !sym.value.is_multiple_of(INSN_SIZE as u64) {
            return Err(format!(
                "call to '{name}' at unaligned offset {}",
                sym.value
            ));
        }
        let target = i128::from(sym.value / INSN_SIZE as u64) + i128::from(insn.imm) + 1;
        let section_insn = usize::try_from(target)
            .map_err(|_| format!("call to '{name}' lands outside .text (instruction {target})"))?;
        return Ok(RelocTarget::Call { section_insn });
    }
    if sym.shndx == u32::from(SHN_UNDEF) || sym.shndx >= u32::from(SHN_LORESERVE) {
        return Err(format!(
            "relocation against '{name}' in special section {:#x}; forgot to initialize a global variable?",
            sym.shndx
        ));
    }
    let is_subprog = t.text_index == Some(sym.shndx as usize)
        && ((sym.bind == STB_LOCAL && sym.kind == STT_SECTION)
            || (sym.bind == STB_GLOBAL && sym.kind == STT_FUNC));
    if is_subprog {
        let byte = i128::from(sym.value) + i128::from(insn.imm);
        let section_insn = usize::try_from(byte)
            .ok()
            .filter(|b| sym.value.is_multiple_of(INSN_SIZE as u64) && b.is_multiple_of(INSN_SIZE))
            .ok_or_else(|| format!("function address of '{name}' is not at an instruction"))?;
        return Ok(RelocTarget::FuncAddr {
            section_insn: section_insn / INSN_SIZE,
        });
    }
    let target_sec = elf.sections.get(sym.shndx as usize).ok_or_else(|| {
        format!(
            "symbol '{name}' is in section #{}, which does not exist",
            sym.shndx
        )
    })?;
    if let Some(&map) = t.maps.get(&(target_sec.index, sym.value)) {
        return Ok(RelocTarget::Map { map });
    }
    if t.map_sections.contains(&target_sec.index) {
        return Err(format!(
            "no map at offset {} of section '{}' for symbol '{name}'",
            sym.value, target_sec.name
        ));
    }
    if let Some(&data) = t.data.get(&target_sec.index) {
        // As libbpf: the symbol's value plus the addend, in 64-bit arithmetic.
        let offset = sym.value.wrapping_add(i64::from(insn.imm) as u64);
        return Ok(RelocTarget::Data { data, offset });
    }
    Err(format!(
        "relocation against '{name}' in section '{}', which holds neither maps nor global data",
        target_sec.name
    ))
}
