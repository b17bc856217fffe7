//! [`Object`]: a parsed BPF ELF object, everything a loader or `corex
//! inspect` needs, with every cross-reference checked.

use corex_btf::{Btf, BtfExt, CoreRelo, Endian, Kind, TypeId};
use object::elf::{SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, STB_GLOBAL, STB_WEAK, STT_NOTYPE};

use crate::btf_names::{log2, BtfNames};
use crate::data::{
    data_section, datasec_vars, DataKind, DataSection, Extern, ExternResolver, NamedBtf,
};
use crate::elf::ElfView;
use crate::error::{Error, Result};
use crate::insn::INSN_SIZE;
use crate::maps::{btf_maps, legacy_maps, Map};
use crate::program::{discover, Call, Program, ProgramIndex};
use crate::reloc::{collect, Targets};
use crate::work::tick;

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
///
/// The fields are public to read. The lookups ([`Object::program`],
/// [`Object::program_at`], [`Object::calls`], [`Object::core_records_of`],
/// [`Object::has_btf_type`]) answer from indexes made by [`Object::parse`]:
/// they describe the object as parsed, whatever is pushed into the fields
/// later.
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
    /// Indexes for the lookups.
    index: Index,
}

/// What the lookups of an [`Object`] search, made once by `parse`.
#[derive(Debug, Default)]
struct Index {
    /// The section of the first `.text` function.
    text_section: Option<usize>,
    /// Where the programs lie.
    programs: ProgramIndex,
    /// Program indices ordered by name, then index.
    by_name: Vec<usize>,
    /// Record indices ordered by program (`None`, no program, first), then index.
    records: Vec<usize>,
    /// The BTF's types by name.
    btf_names: BtfNames,
    /// The data sections' variables by name, made on first use.
    globals: std::sync::OnceLock<crate::load::globals::GlobalIndex>,
    /// The essential names of the CO-RE records' root types, made on first use.
    core_roots: std::sync::OnceLock<std::collections::HashSet<String>>,
}

fn read_u32(data: &[u8], at: usize, endian: Endian) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
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
            .map_err(|error| Error::Btf {
                section: ".BTF",
                error,
            })?;
        let ext_data = elf.section_by_name(".BTF.ext").map(|s| s.data);
        let btf_ext = ext_data
            .map(BtfExt::parse)
            .transpose()
            .map_err(|error| Error::Btf {
                section: ".BTF.ext",
                error,
            })?;
        let btf_names = BtfNames::new(btf.as_ref());
        let named = btf.as_ref().map(|btf| NamedBtf {
            btf,
            names: &btf_names,
        });
        let mut programs = discover(&elf)?;
        let mut maps = Vec::new();
        let mut data_secs = Vec::new();
        let mut license = None;
        let mut kern_version = None;
        for sec in &elf.sections {
            tick(1);
            match sec.name {
                ".maps" => maps.extend(btf_maps(&elf, sec, named)?),
                "maps" => maps.extend(legacy_maps(&elf, sec)?),
                "license" => {
                    let text = sec.data.split(|&b| b == 0).next().unwrap_or(&[]);
                    let text = std::str::from_utf8(text).map_err(|_| Error::NotUtf8 {
                        what: "section",
                        index: sec.index,
                        field: "the license",
                        bytes: text.to_vec(),
                    })?;
                    license = Some(text.to_owned());
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
                        data_secs.push(data_section(&elf, sec, kind, named));
                    }
                }
                _ => {}
            }
        }
        if let Some((size, variables)) = datasec_vars(named, ".kconfig", None) {
            data_secs.push(DataSection {
                name: ".kconfig".into(),
                section_index: None,
                kind: DataKind::Kconfig,
                size,
                init: Vec::new(),
                variables,
            });
        }
        let mut undefined = elf.symbols_in(usize::from(SHN_UNDEF)).filter(|s| {
            (s.bind == STB_GLOBAL || s.bind == STB_WEAK)
                && s.kind == STT_NOTYPE
                && !s.name.is_empty()
        });
        let externs: Vec<Extern> = match undefined.next() {
            None => Vec::new(),
            Some(first) => {
                let resolver = ExternResolver::new(named);
                std::iter::once(first)
                    .chain(undefined)
                    .map(|s| resolver.resolve(s))
                    .collect()
            }
        };
        let text_index = elf.section_by_name(".text").map(|s| s.index);
        let targets = Targets::new(&maps, &data_secs, &externs, text_index);
        let where_ = ProgramIndex::new(&programs);
        collect(&elf, &mut programs, &where_, &targets)?;
        let core_relos = match (&btf_ext, &btf) {
            (Some(ext), Some(btf)) => core_records(
                &elf,
                &programs,
                &where_,
                btf,
                ext,
                core_record_size(ext_data.unwrap_or(&[])),
            )?,
            (Some(ext), None) if !ext.core_relos.is_empty() => {
                return Err(Error::CoreBlock {
                    offset: ext.core_relos[0].offset,
                    why: "CO-RE records need a .BTF section, and the object has none".into(),
                })
            }
            _ => Vec::new(),
        };
        let index = Index::new(&programs, where_, &core_relos, btf_names);
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
            index,
        })
    }

    /// The BPF-to-BPF calls of program `index` (see [`Call`]); none for an
    /// index past the last program.
    pub fn calls(&self, index: usize) -> Vec<Call> {
        crate::program::calls(
            &self.programs,
            &self.index.programs,
            index,
            self.index.text_section,
        )
    }

    /// The ELF section index of the `.text` subprograms, if there are any:
    /// where [`RelocTarget::Call`](crate::RelocTarget::Call) and
    /// [`RelocTarget::FuncAddr`](crate::RelocTarget::FuncAddr) point.
    pub fn text_section(&self) -> Option<usize> {
        self.index.text_section
    }

    /// The first program called `name`.
    pub fn program(&self, name: &str) -> Option<&Program> {
        let by_name = &self.index.by_name;
        tick(log2(by_name.len()));
        let at = by_name
            .partition_point(|&i| self.programs.get(i).is_some_and(|p| p.name.as_str() < name));
        by_name
            .get(at)
            .and_then(|&i| self.programs.get(i))
            .filter(|p| p.name == name)
    }

    /// The program (index into [`Object::programs`]) holding instruction
    /// `section_insn` of ELF section `section_index`, found as libbpf finds
    /// it: the last program starting at or before it, if that one holds it.
    pub fn program_at(&self, section_index: usize, section_insn: usize) -> Option<usize> {
        self.index.programs.find(section_index, section_insn)
    }

    /// The CO-RE records of program `index`, in `.BTF.ext` order.
    pub fn core_records_of(&self, index: usize) -> impl Iterator<Item = &CoreRecord> + '_ {
        let order = &self.index.records;
        let of = |i: &usize| self.core_relos.get(*i).and_then(|r| r.program);
        tick(2 * log2(order.len()));
        let start = order.partition_point(|i| of(i) < Some(index));
        let end = order.partition_point(|i| of(i) <= Some(index));
        order[start..end.max(start)].iter().filter_map(move |&i| {
            tick(1);
            self.core_relos.get(i)
        })
    }

    /// The data sections' variables by name (indexed on first use).
    pub(crate) fn global_index(&self) -> &crate::load::globals::GlobalIndex {
        self.index
            .globals
            .get_or_init(|| crate::load::globals::GlobalIndex::new(self))
    }

    /// Whether the object's BTF describes a type named `name` of kind `kind`.
    pub fn has_btf_type(&self, kind: Kind, name: &str) -> bool {
        self.btf_type(kind, name).is_some()
    }

    /// The first type (lowest id) of the object's BTF called `name` of kind
    /// `kind`, found in an index made by `parse`.
    pub fn btf_type(&self, kind: Kind, name: &str) -> Option<TypeId> {
        self.index.btf_names.first(self.btf.as_ref()?, kind, name)
    }

    /// Whether a CO-RE record of the object relocates a type whose
    /// essential name ([`corex_btf::essential_name`]) is `essential` (the
    /// names are indexed on first use).
    pub fn core_relocates(&self, essential: &str) -> bool {
        let roots = self.index.core_roots.get_or_init(|| {
            let Some(btf) = self.btf.as_ref() else {
                return Default::default();
            };
            let mut seen = vec![false; btf.type_count() as usize];
            let mut names = std::collections::HashSet::new();
            for r in &self.core_relos {
                tick(1);
                let id = r.relo.type_id;
                match seen.get_mut(id.0 as usize) {
                    Some(s) if !*s => *s = true,
                    Some(_) => continue,
                    // No such type: an empty name, as `Btf::ty` gives.
                    None => {}
                }
                names.insert(corex_btf::essential_name(btf.ty(id).name()).to_owned());
            }
            names
        });
        tick(1);
        roots.contains(essential)
    }
}

impl Index {
    /// Indexes the programs and records of a parsed object.
    fn new(
        programs: &[Program],
        where_: ProgramIndex,
        records: &[CoreRecord],
        btf_names: BtfNames,
    ) -> Index {
        let mut by_name: Vec<usize> = (0..programs.len()).collect();
        by_name.sort_by(|&a, &b| programs[a].name.cmp(&programs[b].name));
        let mut order: Vec<usize> = (0..records.len()).collect();
        order.sort_by_key(|&i| records[i].program);
        tick(by_name.len() * log2(by_name.len()) + order.len() * log2(order.len()));
        Index {
            text_section: programs.iter().find(|p| p.subprog).map(|p| p.section_index),
            programs: where_,
            by_name,
            records: order,
            btf_names,
            globals: std::sync::OnceLock::new(),
            core_roots: std::sync::OnceLock::new(),
        }
    }
}

/// Attributes every CO-RE record to its section and program, checking that
/// it points at an instruction of the section.
fn core_records(
    elf: &ElfView<'_>,
    programs: &[Program],
    where_: &ProgramIndex,
    btf: &Btf,
    ext: &BtfExt,
    rec_size: usize,
) -> Result<Vec<CoreRecord>> {
    let mut out = Vec::new();
    for block in &ext.core_relos {
        tick(1);
        let block_err = |why: String| Error::CoreBlock {
            offset: block.offset,
            why,
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
            tick(1);
            // Inside .BTF.ext, whose records BtfExt::parse has read.
            let ext_offset = index
                .checked_mul(rec_size)
                .and_then(|o| o.checked_add(block.offset + 8))
                .unwrap_or(usize::MAX);
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
            let program = where_.find(sec.index, section_insn);
            // ProgramIndex::find checked that the program holds the instruction.
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
