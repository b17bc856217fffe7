//! [`Object`]: a parsed BPF ELF object, everything a loader or `corex
//! inspect` needs, with every cross-reference checked.

use corex_btf::{Btf, BtfExt, CoreRelo, Endian, Kind};
use object::elf::{SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, STB_GLOBAL, STB_WEAK, STT_NOTYPE};

use crate::data::{data_section, datasec_vars, extern_of, DataKind, DataSection, Extern};
use crate::elf::ElfView;
use crate::error::{Error, Result};
use crate::insn::INSN_SIZE;
use crate::maps::{btf_maps, legacy_maps, Map};
use crate::program::{discover, find_program, Call, Program};
use crate::reloc::{collect, Targets};

/// A CO-RE relocation record of `.BTF.ext`, attributed to its program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreRecord {
    /// Name of the ELF section the record belongs to.
    pub section: String,
    /// That section's index.
    pub section_index: usize,
    /// Position among the section's CO-RE records (libbpf's `relo #N`).
    pub index: usize,
    /// Byte offset of the record in `.BTF.ext`.
    pub ext_offset: usize,
    /// The record as stored.
    pub relo: CoreRelo,
    /// The program holding the instruction (index into [`Object::programs`]);
    /// `None` when no program covers it (an eliminated weak function, which
    /// libbpf skips).
    pub program: Option<usize>,
    /// Instruction index relative to the program (to the section if none).
    pub insn: usize,
}

/// A parsed BPF ELF object.
#[derive(Debug)]
pub struct Object {
    /// Byte order of the object.
    pub endian: Endian,
    /// Programs and subprograms, by section then offset.
    pub programs: Vec<Program>,
    /// Map definitions, `.maps` and legacy `maps`, in section order.
    pub maps: Vec<Map>,
    /// Global data sections, in ELF order, then `.kconfig`.
    pub data: Vec<DataSection>,
    /// Undefined symbols the loader resolves.
    pub externs: Vec<Extern>,
    /// Contents of the `license` section.
    pub license: Option<String>,
    /// Contents of the `version` section.
    pub kern_version: Option<u32>,
    /// The `.BTF` section.
    pub btf: Option<Btf>,
    /// The `.BTF.ext` section.
    pub btf_ext: Option<BtfExt>,
    /// CO-RE relocation records in `.BTF.ext` order.
    pub core_relos: Vec<CoreRecord>,
    /// What the load plan needs from the ELF file beyond the above.
    pub(crate) facts: crate::load::ElfFacts,
}

fn read_u32(data: &[u8], at: usize, endian: Endian) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(match endian {
        Endian::Little => u32::from_le_bytes(b),
        Endian::Big => u32::from_be_bytes(b),
    })
}

/// Size of one CO-RE record as `.BTF.ext` declares it (16 when unreadable;
/// `BtfExt::parse` has already checked the layout).
fn core_record_size(ext: &[u8]) -> usize {
    let endian = if ext.starts_with(&[0x9f, 0xeb]) {
        Endian::Little
    } else {
        Endian::Big
    };
    let rec = || {
        let hdr_len = read_u32(ext, 4, endian)? as usize;
        let off = read_u32(ext, 24, endian)? as usize;
        read_u32(ext, hdr_len.checked_add(off)?, endian)
    };
    rec().map_or(16, |r| r as usize)
}

impl Object {
    /// Parses a BPF ELF object (as clang writes it).
    pub fn parse(data: &[u8]) -> Result<Object> {
        let elf = ElfView::parse(data)?;
        let btf = elf
            .section_by_name(".BTF")
            .map(|s| Btf::parse(s.data))
            .transpose()
            .map_err(|source| Error::Btf {
                section: ".BTF",
                source,
            })?;
        let ext_data = elf.section_by_name(".BTF.ext").map(|s| s.data);
        let btf_ext = ext_data
            .map(BtfExt::parse)
            .transpose()
            .map_err(|source| Error::Btf {
                section: ".BTF.ext",
                source,
            })?;
        let mut programs = discover(&elf)?;
        let mut maps = Vec::new();
        let mut data_secs = Vec::new();
        let mut license = None;
        let mut kern_version = None;
        for sec in &elf.sections {
            match sec.name.as_str() {
                ".maps" => maps.extend(btf_maps(&elf, sec, btf.as_ref())?),
                "maps" => maps.extend(legacy_maps(&elf, sec)?),
                "license" => {
                    let text = sec.data.split(|&b| b == 0).next().unwrap_or(&[]);
                    license = Some(String::from_utf8_lossy(text).into_owned());
                }
                "version" => {
                    kern_version = Some(read_u32(sec.data, 0, elf.endian).ok_or_else(|| {
                        sec.error(format!(
                            "holds {} bytes, not a 4-byte version",
                            sec.data.len()
                        ))
                    })?);
                }
                name if sec.sh_type == SHT_PROGBITS || sec.sh_type == SHT_NOBITS => {
                    if let Some(kind) = DataKind::of_section(name, sec.sh_type == SHT_NOBITS) {
                        data_secs.push(data_section(&elf, sec, kind, btf.as_ref()));
                    }
                }
                _ => {}
            }
        }
        if let Some((size, variables)) = datasec_vars(btf.as_ref(), ".kconfig", None) {
            data_secs.push(DataSection {
                name: ".kconfig".into(),
                section_index: None,
                kind: DataKind::Kconfig,
                size: u64::from(size),
                init: Vec::new(),
                variables,
            });
        }
        let externs: Vec<Extern> = elf
            .symbols
            .iter()
            .filter(|s| {
                s.shndx == u32::from(SHN_UNDEF)
                    && (s.bind == STB_GLOBAL || s.bind == STB_WEAK)
                    && s.kind == STT_NOTYPE
                    && !s.name.is_empty()
            })
            .map(|s| extern_of(s, btf.as_ref()))
            .collect();
        let text_index = elf.section_by_name(".text").map(|s| s.index);
        let targets = Targets {
            maps: &maps,
            data: &data_secs,
            externs: &externs,
            text_index,
        };
        collect(&elf, &mut programs, &targets)?;
        let core_relos = match (&btf_ext, &btf) {
            (Some(ext), Some(btf)) => core_records(
                &elf,
                &programs,
                btf,
                ext,
                core_record_size(ext_data.unwrap_or(&[])),
            )?,
            (Some(ext), None) if !ext.core_relos.is_empty() => {
                return Err(Error::Btf {
                    section: ".BTF.ext",
                    source: corex_btf::Error::BadExt {
                        offset: 0,
                        why: "CO-RE records need a .BTF section, and the object has none".into(),
                    },
                })
            }
            _ => Vec::new(),
        };
        Ok(Object {
            facts: crate::load::ElfFacts::collect(&elf),
            endian: elf.endian,
            programs,
            maps,
            data: data_secs,
            externs,
            license,
            kern_version,
            btf,
            btf_ext,
            core_relos,
        })
    }

    /// The BPF-to-BPF calls of program `index` (see [`Call`]).
    pub fn calls(&self, index: usize) -> Vec<Call> {
        let text = self
            .programs
            .iter()
            .find(|p| p.subprog)
            .map(|p| p.section_index);
        crate::program::calls(&self.programs, index, text)
    }

    /// The program called `name`.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The CO-RE records of program `index`, in `.BTF.ext` order.
    pub fn core_records_of(&self, index: usize) -> impl Iterator<Item = &CoreRecord> + '_ {
        self.core_relos
            .iter()
            .filter(move |r| r.program == Some(index))
    }

    /// Whether the object's BTF describes a type named `name` of kind `kind`.
    pub fn has_btf_type(&self, kind: Kind, name: &str) -> bool {
        self.btf
            .as_ref()
            .is_some_and(|b| b.types().any(|t| t.kind() == kind && t.name() == name))
    }
}

/// Attributes every CO-RE record to its section and program, checking that
/// it points at an instruction of the section.
fn core_records(
    elf: &ElfView<'_>,
    programs: &[Program],
    btf: &Btf,
    ext: &BtfExt,
    rec_size: usize,
) -> Result<Vec<CoreRecord>> {
    let mut out = Vec::new();
    for block in &ext.core_relos {
        let block_err = |why: String| Error::Btf {
            section: ".BTF.ext",
            source: corex_btf::Error::BadExt {
                offset: block.offset,
                why,
            },
        };
        let name = btf
            .str_at(block.sec_name_off)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                block_err(format!(
                    "CO-RE section name offset {} is not a string of .BTF",
                    block.sec_name_off
                ))
            })?;
        let sec = elf.section_by_name(name).ok_or_else(|| {
            block_err(format!(
                "CO-RE records for section '{name}', which the object does not have"
            ))
        })?;
        let insns = sec.data.len() / INSN_SIZE;
        for (index, relo) in block.records.iter().enumerate() {
            let ext_offset = block.offset + 8 + index * rec_size;
            let bad = |why: String| Error::CoreRecord {
                section: name.to_owned(),
                index,
                offset: ext_offset,
                why,
            };
            if !(relo.insn_off as usize).is_multiple_of(INSN_SIZE) {
                return Err(bad(format!(
                    "instruction offset {} is not a multiple of {INSN_SIZE}",
                    relo.insn_off
                )));
            }
            let section_insn = relo.insn_off as usize / INSN_SIZE;
            if section_insn >= insns {
                return Err(bad(format!(
                    "instruction offset {} is past the end of section '{name}' ({} bytes)",
                    relo.insn_off,
                    sec.data.len()
                )));
            }
            let program = find_program(programs, sec.index, section_insn);
            let insn = program.map_or(section_insn, |p| section_insn - programs[p].section_insn);
            out.push(CoreRecord {
                section: name.to_owned(),
                section_index: sec.index,
                index,
                ext_offset,
                relo: *relo,
                program,
                insn,
            });
        }
    }
    Ok(out)
}
