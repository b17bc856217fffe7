//! A plain view of the ELF file: sections, symbols and `SHT_REL` entries,
//! read once with the `object` crate and checked, with the indexes the rest
//! of the crate looks things up in (section by name, symbols by section and
//! by name), so that no lookup scans a table the file controls.

use std::cell::RefCell;
use std::collections::HashMap;

use object::elf::{
    EM_BPF, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_REL, SHT_SYMTAB, STT_FILE, STT_SECTION,
};
use object::read::elf::{ElfFile64, FileHeader, Rel, SectionHeader, Sym};
use object::{Endianness, Object as _};

use crate::error::{Error, ForeignElf, NotElf, Result};
use crate::work::tick;
use corex_btf::Endian;

/// One ELF section.
#[derive(Clone, Debug)]
pub(crate) struct ElfSection<'a> {
    pub index: usize,
    pub name: &'a str,
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
            section: self.name.to_owned(),
            index: self.index,
            offset: self.offset,
            why: why.into(),
        }
    }
}

/// One symbol table entry.
#[derive(Clone, Debug)]
pub(crate) struct ElfSymbol<'a> {
    pub index: usize,
    pub name: &'a str,
    pub value: u64,
    pub size: u64,
    /// Section index (extended indices resolved); 0 for undefined.
    pub shndx: u32,
    pub bind: u8,
    pub kind: u8,
    /// `st_other` (its low two bits are the visibility).
    pub other: u8,
}

impl ElfSymbol<'_> {
    /// An error about this symbol.
    pub fn error(&self, why: impl Into<String>) -> Error {
        Error::Symbol {
            index: self.index,
            name: self.name.to_owned(),
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
    pub symbols: Vec<ElfSymbol<'a>>,
    /// `(target section index, entries)` for each `SHT_REL` section.
    pub rels: Vec<(usize, Vec<ElfRel>)>,
    /// The first section of each name.
    section_names: HashMap<&'a str, usize>,
    /// Symbol indices ordered by section index, then symbol index.
    by_section: Vec<usize>,
    /// The first symbol of each name, per section, for the sections
    /// looked in so far (few are: `.maps` and the data sections).
    symbol_names: RefCell<HashMap<usize, HashMap<&'a str, usize>>>,
}

fn elf_err(e: object::read::Error) -> Error {
    Error::Elf(e.to_string())
}

/// A name as UTF-8, or an error showing its bytes.
fn utf8_name<'a>(what: &'static str, index: usize, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        what,
        index,
        field: "the name",
        bytes: bytes.to_vec(),
    })
}

/// What a file that is not ELF is, when corex reads it elsewhere.
fn not_elf(data: &[u8]) -> Option<NotElf> {
    let magic = data.get(..2).map(|m| [m[0], m[1]]);
    if magic == Some([0x9f, 0xeb]) || magic == Some([0xeb, 0x9f]) {
        return Some(NotElf::RawBtf);
    }
    data.starts_with(b"\xfd7zXZ\x00").then_some(NotElf::Xz)
}

/// What a 64-bit ELF file for another machine is, for the error saying so.
fn foreign_elf(file: &ElfFile64<'_, Endianness>, machine: u16) -> ForeignElf {
    let e = file.endian();
    let table = file.elf_section_table();
    let has = |wanted: &[u8]| {
        table
            .iter()
            .any(|hdr| table.section_name(e, hdr).is_ok_and(|n| n == wanted))
    };
    let module = has(b".modinfo");
    ForeignElf {
        machine,
        elf_type: file.elf_header().e_type(e),
        kernel_module: module,
        has_btf: has(b".BTF"),
    }
}

impl<'a> ElfView<'a> {
    /// Reads and checks the ELF structure of a BPF object.
    pub fn parse(data: &'a [u8]) -> Result<ElfView<'a>> {
        if let Some(found) = not_elf(data) {
            return Err(Error::NotElf { found });
        }
        if data.is_empty() {
            return Err(Error::Elf("the file is empty".into()));
        }
        if !data.starts_with(b"\x7fELF") {
            return Err(Error::Elf(
                "it does not start with the ELF magic bytes 7f 45 4c 46".into(),
            ));
        }
        if data.get(4) == Some(&1) {
            return Err(Error::NotBpf("32-bit ELF (BPF objects are ELF64)".into()));
        }
        let file = ElfFile64::<Endianness>::parse(data).map_err(elf_err)?;
        let e = file.endian();
        let machine = file.elf_header().e_machine(e);
        if machine != EM_BPF {
            return Err(Error::ForeignElf(foreign_elf(&file, machine)));
        }
        let endian = if file.is_little_endian() {
            Endian::Little
        } else {
            Endian::Big
        };
        let table = file.elf_section_table();
        let mut sections = Vec::with_capacity(table.len());
        for (i, hdr) in table.iter().enumerate() {
            tick(1);
            let bytes = table.section_name(e, hdr).map_err(|err| Error::Section {
                section: format!("#{i}"),
                index: i,
                offset: hdr.sh_offset(e),
                why: format!("unreadable name: {err}"),
            })?;
            let name = utf8_name("section", i, bytes)?;
            let sh_type = hdr.sh_type(e);
            let contents = if sh_type == SHT_NOBITS {
                &[][..]
            } else {
                hdr.data(e, data).map_err(|err| Error::Section {
                    section: name.to_owned(),
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
                data: contents,
            });
        }
        let symbols = read_symbols(&file, &sections)?;
        let mut rels = Vec::new();
        for (i, hdr) in table.iter().enumerate() {
            tick(1);
            if hdr.sh_type(e) != SHT_REL {
                continue;
            }
            let sec = &sections[i];
            let (entries, link) = hdr
                .rel(e, data)
                .map_err(|err| sec.error(format!("bad relocation table: {err}")))?
                .unwrap_or((&[], object::SectionIndex(0)));
            let target = hdr.sh_info(e) as usize;
            let Some(target_sec) = sections.get(target).filter(|_| target != 0) else {
                return Err(sec.error(format!(
                    "relocations apply to section #{target}, which does not exist"
                )));
            };
            if sections.get(link.0).is_none_or(|s| s.sh_type != SHT_SYMTAB) {
                return Err(sec.error(format!(
                    "linked section #{} is not the symbol table",
                    link.0
                )));
            }
            let mut list = Vec::with_capacity(entries.len());
            for (j, r) in entries.iter().enumerate() {
                tick(1);
                let rel = ElfRel {
                    index: j,
                    offset: r.r_offset(e),
                    sym: r.r_sym(e) as usize,
                };
                if rel.sym >= symbols.len() {
                    return Err(Error::Relocation {
                        section: target_sec.name.to_owned(),
                        index: j,
                        offset: rel.offset,
                        why: format!("refers to symbol #{}, which does not exist", rel.sym),
                    });
                }
                list.push(rel);
            }
            rels.push((target, list));
        }
        let mut section_names = HashMap::with_capacity(sections.len());
        for s in &sections {
            tick(1);
            section_names.entry(s.name).or_insert(s.index);
        }
        let mut by_section: Vec<usize> = (0..symbols.len()).collect();
        by_section.sort_by_key(|&i| symbols[i].shndx);
        tick(symbols.len() * (usize::BITS - symbols.len().leading_zeros()) as usize);
        Ok(ElfView {
            endian,
            sections,
            symbols,
            rels,
            section_names,
            by_section,
            symbol_names: RefCell::default(),
        })
    }

    /// The first section called `name`, if any.
    pub fn section_by_name(&self, name: &str) -> Option<&ElfSection<'a>> {
        tick(1);
        self.section_names
            .get(name)
            .and_then(|&i| self.sections.get(i))
    }

    /// The section a symbol is defined in (`None` for undefined and special
    /// indices such as `SHN_ABS`).
    pub fn symbol_section(&self, sym: &ElfSymbol<'_>) -> Option<&ElfSection<'a>> {
        if sym.shndx == u32::from(SHN_UNDEF) || sym.shndx >= u32::from(SHN_LORESERVE) {
            return None;
        }
        self.sections.get(sym.shndx as usize)
    }

    /// The symbols defined in section `index`, in symbol table order.
    pub fn symbols_in(&self, index: usize) -> impl Iterator<Item = &ElfSymbol<'a>> + '_ {
        let shndx = u32::try_from(index).unwrap_or(u32::MAX);
        let start = self
            .by_section
            .partition_point(|&i| self.symbols[i].shndx < shndx);
        let end = self
            .by_section
            .partition_point(|&i| self.symbols[i].shndx <= shndx);
        tick(2 * (usize::BITS - self.by_section.len().leading_zeros()) as usize);
        self.by_section[start..end].iter().map(|&i| {
            tick(1);
            &self.symbols[i]
        })
    }

    /// The first symbol called `name` in section `index` (the section's
    /// symbols are indexed by name on the first lookup in it).
    pub fn symbol_named(&self, index: usize, name: &str) -> Option<&ElfSymbol<'a>> {
        tick(1);
        let mut names = self.symbol_names.borrow_mut();
        let in_section = names.entry(index).or_insert_with(|| {
            let mut map = HashMap::new();
            for s in self.symbols_in(index) {
                map.entry(s.name).or_insert(s.index);
            }
            map
        });
        in_section.get(name).map(|&i| &self.symbols[i])
    }
}

/// Reads the symbol table. Names must be UTF-8, except those of `STT_FILE`
/// symbols (source file names), which nothing uses.
fn read_symbols<'a>(
    file: &ElfFile64<'a, Endianness>,
    sections: &[ElfSection<'a>],
) -> Result<Vec<ElfSymbol<'a>>> {
    let e = file.endian();
    let symtab = file.elf_symbol_table();
    let strings = symtab.strings();
    let mut symbols = Vec::with_capacity(symtab.len());
    for (i, sym) in symtab.symbols().iter().enumerate() {
        tick(1);
        let bytes = sym.name(e, strings).map_err(|err| Error::Symbol {
            index: i,
            name: String::new(),
            why: format!("unreadable name: {err}"),
        })?;
        let name = if sym.st_type() == STT_FILE {
            std::str::from_utf8(bytes).unwrap_or("")
        } else {
            utf8_name("symbol", i, bytes)?
        };
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
            Some(sec) if name.is_empty() && sym.st_type() == STT_SECTION => sec.name,
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
    Ok(symbols)
}
