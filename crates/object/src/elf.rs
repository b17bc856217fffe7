//! A plain view of the ELF file: sections, symbols and `SHT_REL` entries,
//! read once with the `object` crate and checked, so the rest of the crate
//! works on owned values and never on raw offsets.

use object::elf::{EM_BPF, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_REL, SHT_SYMTAB};
use object::read::elf::{ElfFile64, FileHeader, Rel, SectionHeader, Sym};
use object::{Endianness, Object as _};

use crate::error::{Error, Result};
use corex_btf::Endian;

/// One ELF section.
#[derive(Clone, Debug)]
pub(crate) struct ElfSection<'a> {
    pub index: usize,
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub offset: u64,
    pub size: u64,
    /// The contents; empty for `SHT_NOBITS`.
    pub data: &'a [u8],
}

impl ElfSection<'_> {
    /// An error about this section.
    pub fn error(&self, why: impl Into<String>) -> Error {
        Error::Section {
            section: self.name.clone(),
            index: self.index,
            offset: self.offset,
            why: why.into(),
        }
    }
}

/// One symbol table entry.
#[derive(Clone, Debug)]
pub(crate) struct ElfSymbol {
    pub index: usize,
    pub name: String,
    pub value: u64,
    pub size: u64,
    /// Section index (extended indices resolved); 0 for undefined.
    pub shndx: u32,
    pub bind: u8,
    pub kind: u8,
    /// `st_other` (its low two bits are the visibility).
    pub other: u8,
}

impl ElfSymbol {
    /// An error about this symbol.
    pub fn error(&self, why: impl Into<String>) -> Error {
        Error::Symbol {
            index: self.index,
            name: self.name.clone(),
            why: why.into(),
        }
    }
}

/// One `SHT_REL` entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ElfRel {
    /// Position of the entry in its relocation section.
    pub index: usize,
    /// Byte offset in the section the relocation applies to.
    pub offset: u64,
    /// Symbol table index.
    pub sym: usize,
}

/// The sections, symbols and relocations of a BPF ELF object.
pub(crate) struct ElfView<'a> {
    pub endian: Endian,
    pub sections: Vec<ElfSection<'a>>,
    pub symbols: Vec<ElfSymbol>,
    /// `(target section index, entries)` for each `SHT_REL` section.
    pub rels: Vec<(usize, Vec<ElfRel>)>,
}

fn elf_err(e: object::read::Error) -> Error {
    Error::Elf(e.to_string())
}

impl<'a> ElfView<'a> {
    /// Reads and checks the ELF structure of a BPF object.
    pub fn parse(data: &'a [u8]) -> Result<ElfView<'a>> {
        if data.get(4) == Some(&1) {
            return Err(Error::NotBpf("32-bit ELF (BPF objects are ELF64)".into()));
        }
        let file = ElfFile64::<Endianness>::parse(data).map_err(elf_err)?;
        let e = file.endian();
        let machine = file.elf_header().e_machine(e);
        if machine != EM_BPF {
            return Err(Error::NotBpf(format!(
                "ELF machine is {machine}, not EM_BPF (247)"
            )));
        }
        let endian = if file.is_little_endian() {
            Endian::Little
        } else {
            Endian::Big
        };
        let table = file.elf_section_table();
        let mut sections = Vec::with_capacity(table.len());
        for (i, hdr) in table.iter().enumerate() {
            let name = table
                .section_name(e, hdr)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .map_err(|err| Error::Section {
                    section: format!("#{i}"),
                    index: i,
                    offset: hdr.sh_offset(e),
                    why: format!("unreadable name: {err}"),
                })?;
            let sh_type = hdr.sh_type(e);
            let data = if sh_type == SHT_NOBITS {
                &[][..]
            } else {
                hdr.data(e, data).map_err(|err| Error::Section {
                    section: name.clone(),
                    index: i,
                    offset: hdr.sh_offset(e),
                    why: format!("contents run past the end of the file ({err})"),
                })?
            };
            sections.push(ElfSection {
                index: i,
                name,
                sh_type,
                flags: hdr.sh_flags(e),
                offset: hdr.sh_offset(e),
                size: hdr.sh_size(e),
                data,
            });
        }
        let symtab = file.elf_symbol_table();
        let strings = symtab.strings();
        let mut symbols = Vec::with_capacity(symtab.len());
        for (i, sym) in symtab.symbols().iter().enumerate() {
            let name = sym
                .name(e, strings)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .map_err(|err| Error::Symbol {
                    index: i,
                    name: String::new(),
                    why: format!("unreadable name: {err}"),
                })?;
            let raw_shndx = sym.st_shndx(e);
            let shndx = if raw_shndx == object::elf::SHN_XINDEX {
                symtab
                    .shndx(e, object::SymbolIndex(i))
                    .unwrap_or(u32::from(SHN_UNDEF))
            } else {
                u32::from(raw_shndx)
            };
            // Section symbols have no name of their own: use the section's.
            let name = match sections.get(shndx as usize) {
                Some(sec) if name.is_empty() && sym.st_type() == object::elf::STT_SECTION => {
                    sec.name.clone()
                }
                _ => name,
            };
            symbols.push(ElfSymbol {
                index: i,
                name,
                value: sym.st_value(e),
                size: sym.st_size(e),
                shndx,
                bind: sym.st_bind(),
                kind: sym.st_type(),
                other: sym.st_other(),
            });
        }
        let mut rels = Vec::new();
        for (i, hdr) in table.iter().enumerate() {
            if hdr.sh_type(e) != SHT_REL {
                continue;
            }
            let sec = &sections[i];
            let (entries, link) = hdr
                .rel(e, data)
                .map_err(|err| sec.error(format!("bad relocation table: {err}")))?
                .unwrap_or((&[], object::SectionIndex(0)));
            let target = hdr.sh_info(e) as usize;
            if target == 0 || target >= sections.len() {
                return Err(sec.error(format!(
                    "relocations apply to section #{target}, which does not exist"
                )));
            }
            if sections.get(link.0).is_none_or(|s| s.sh_type != SHT_SYMTAB) {
                return Err(sec.error(format!(
                    "linked section #{} is not the symbol table",
                    link.0
                )));
            }
            let mut list = Vec::with_capacity(entries.len());
            for (j, r) in entries.iter().enumerate() {
                let rel = ElfRel {
                    index: j,
                    offset: r.r_offset(e),
                    sym: r.r_sym(e) as usize,
                };
                if rel.sym >= symbols.len() {
                    return Err(Error::Relocation {
                        section: sections[target].name.clone(),
                        index: j,
                        offset: rel.offset,
                        why: format!("refers to symbol #{}, which does not exist", rel.sym),
                    });
                }
                list.push(rel);
            }
            rels.push((target, list));
        }
        Ok(ElfView {
            endian,
            sections,
            symbols,
            rels,
        })
    }

    /// The section called `name`, if any.
    pub fn section_by_name(&self, name: &str) -> Option<&ElfSection<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The section a symbol is defined in (`None` for undefined and special
    /// indices such as `SHN_ABS`).
    pub fn symbol_section(&self, sym: &ElfSymbol) -> Option<&ElfSection<'a>> {
        if sym.shndx == u32::from(SHN_UNDEF) || sym.shndx >= u32::from(SHN_LORESERVE) {
            return None;
        }
        self.sections.get(sym.shndx as usize)
    }
}
