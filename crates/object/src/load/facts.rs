//! What the load plan needs from the ELF file beyond the object model,
//! collected once by `Object::parse`: section sizes (clang leaves DATASEC
//! sizes at 0 for the loader to fix), the symbols of global variables (their
//! offsets and visibility), hidden global functions (their BTF FUNC becomes
//! static) and the `.maps` relocations (initial values of map-in-map and
//! program-array maps).

use std::collections::{HashMap, HashSet};

use object::elf::{
    SHN_LORESERVE, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_OBJECT, STV_HIDDEN, STV_INTERNAL,
};

use crate::elf::{ElfSymbol, ElfView};

/// One ELF section's name and size.
#[derive(Clone, Debug)]
pub(crate) struct SectionFact {
    pub name: String,
    pub size: u64,
}

/// A global or weak `STT_OBJECT` symbol.
#[derive(Clone, Debug)]
pub(crate) struct VarSymbol {
    pub name: String,
    /// Offset in its section.
    pub value: u64,
    /// Hidden or internal visibility: libbpf treats the variable as static.
    pub hidden: bool,
}

/// A relocation of the `.maps` section: a slot of a map's initial value
/// that names another map or a program.
#[derive(Clone, Debug)]
pub(crate) struct MapReloc {
    /// Position of the entry in `.rel.maps`.
    pub index: usize,
    /// Byte offset in `.maps`.
    pub offset: u64,
    /// The symbol named.
    pub symbol: String,
    /// Its section index (0 when undefined or special).
    pub symbol_section: usize,
    /// Its value (offset in its section).
    pub symbol_value: u64,
}

/// The facts, as `Object::parse` found them.
#[derive(Clone, Debug, Default)]
pub(crate) struct ElfFacts {
    pub sections: Vec<SectionFact>,
    pub variables: Vec<VarSymbol>,
    /// `(section index, offset)` of global functions with hidden or
    /// internal visibility.
    pub hidden_functions: HashSet<(usize, u64)>,
    pub map_relocs: Vec<MapReloc>,
    /// Position in `sections` of the first section of each name.
    section_by_name: HashMap<String, usize>,
    /// Position in `variables` of the first symbol of each name.
    variable_by_name: HashMap<String, usize>,
}

fn is_hidden(sym: &ElfSymbol) -> bool {
    matches!(sym.other & 3, STV_HIDDEN | STV_INTERNAL)
}

impl ElfFacts {
    /// Reads the facts from a checked ELF view.
    pub(crate) fn collect(elf: &ElfView<'_>) -> ElfFacts {
        let sections: Vec<SectionFact> = elf
            .sections
            .iter()
            .map(|s| SectionFact {
                name: s.name.to_owned(),
                size: s.size,
            })
            .collect();
        let global = |s: &&ElfSymbol| s.bind == STB_GLOBAL || s.bind == STB_WEAK;
        let variables: Vec<VarSymbol> = elf
            .symbols
            .iter()
            .filter(|s| s.kind == STT_OBJECT)
            .filter(global)
            .map(|s| VarSymbol {
                name: s.name.to_owned(),
                value: s.value,
                hidden: is_hidden(s),
            })
            .collect();
        let hidden_functions = elf
            .symbols
            .iter()
            .filter(|s| s.kind == STT_FUNC && s.bind != STB_LOCAL && is_hidden(s))
            .map(|s| (s.shndx as usize, s.value))
            .collect();
        let maps_index = elf.section_by_name(".maps").map(|s| s.index);
        let map_relocs = elf
            .rels
            .iter()
            .filter(|(target, _)| Some(*target) == maps_index)
            .flat_map(|(_, rels)| rels)
            .map(|r| {
                let sym = &elf.symbols[r.sym];
                MapReloc {
                    index: r.index,
                    offset: r.offset,
                    symbol: sym.name.to_owned(),
                    symbol_section: if sym.shndx >= u32::from(SHN_LORESERVE) {
                        0
                    } else {
                        sym.shndx as usize
                    },
                    symbol_value: sym.value,
                }
            })
            .collect();
        ElfFacts {
            section_by_name: first_by_name(sections.iter().map(|s| s.name.as_str())),
            variable_by_name: first_by_name(variables.iter().map(|v| v.name.as_str())),
            sections,
            variables,
            hidden_functions,
            map_relocs,
        }
    }

    /// Size of the section called `name` (libbpf's `find_elf_sec_sz`).
    pub(crate) fn section_size(&self, name: &str) -> Option<u64> {
        self.section_by_name
            .get(name)
            .map(|&i| self.sections[i].size)
    }

    /// The first global variable symbol called `name` (libbpf's
    /// `find_elf_var_sym`).
    pub(crate) fn variable(&self, name: &str) -> Option<&VarSymbol> {
        self.variable_by_name.get(name).map(|&i| &self.variables[i])
    }
}

/// Position of the first occurrence of each name.
fn first_by_name<'n>(names: impl Iterator<Item = &'n str>) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, name) in names.enumerate() {
        map.entry(name.to_owned()).or_insert(i);
    }
    map
}
