//! Where a function of an ELF binary or shared library lives in the file:
//! the symbol found in `.symtab`, then `.dynsym` (function and ifunc
//! symbols; a name may carry a `@VERSION` suffix), its address turned into
//! the file offset uprobes take through the section that holds it. Several
//! global definitions of one name are ambiguous; a weak one yields to a
//! global one (libbpf's rules).

use object::{Object, ObjectSection, ObjectSymbol, SymbolFlags, SymbolSection};

const STT_FUNC: u8 = 2;
const STT_GNU_IFUNC: u8 = 10;
const STB_WEAK: u8 = 2;

/// Why a symbol's offset could not be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymbolError {
    /// The file is not an ELF file corex can read.
    NotElf(String),
    /// No function symbol of that name.
    NotFound,
    /// Several global definitions at different addresses.
    Ambiguous {
        /// Their addresses.
        addresses: Vec<u64>,
    },
    /// The symbol's section has no bytes in the file (or it has none).
    NotInFile {
        /// The symbol's address.
        address: u64,
    },
}

/// A function symbol that matched.
#[derive(Clone, Copy, Debug)]
struct Found {
    address: u64,
    file_offset: Option<u64>,
    weak: bool,
}

/// Whether symbol `name` names `wanted`: equal, or `wanted@VERSION` /
/// `wanted@@VERSION`.
fn names_function(name: &[u8], wanted: &str) -> bool {
    match name.strip_prefix(wanted.as_bytes()) {
        Some([]) => true,
        Some(rest) => rest.first() == Some(&b'@'),
        None => false,
    }
}

/// The file offset of function `function` in ELF file `data`.
pub fn function_file_offset(data: &[u8], function: &str) -> Result<u64, SymbolError> {
    let file = object::File::parse(data).map_err(|e| SymbolError::NotElf(e.to_string()))?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(SymbolError::NotElf(format!("a {:?} file", file.format())));
    }
    // `.symtab` first: it has the local functions too; `.dynsym` is what a
    // stripped library keeps.
    for symbols in [file.symbols(), file.dynamic_symbols()] {
        let mut found: Vec<Found> = Vec::new();
        for symbol in symbols {
            let SymbolFlags::Elf { st_info, .. } = symbol.flags() else {
                continue;
            };
            let st_type = st_info & 0xf;
            if st_type != STT_FUNC && st_type != STT_GNU_IFUNC {
                continue;
            }
            if !symbol
                .name_bytes()
                .is_ok_and(|n| names_function(n, function))
            {
                continue;
            }
            let SymbolSection::Section(index) = symbol.section() else {
                continue;
            };
            let address = symbol.address();
            let file_offset = file.section_by_index(index).ok().and_then(|section| {
                let (offset, size) = section.file_range()?;
                let within = address.checked_sub(section.address())?;
                (within < size.max(1)).then(|| offset + within)
            });
            found.push(Found {
                address,
                file_offset,
                weak: st_info >> 4 == STB_WEAK,
            });
        }
        if let Some(choice) = choose(&found)? {
            return choice.file_offset.ok_or(SymbolError::NotInFile {
                address: choice.address,
            });
        }
    }
    Err(SymbolError::NotFound)
}

/// The one definition to use among `found`: the global one (weak ones
/// yield), an error if several globals disagree.
fn choose(found: &[Found]) -> Result<Option<Found>, SymbolError> {
    let strong: Vec<&Found> = found.iter().filter(|f| !f.weak).collect();
    let candidates: Vec<&Found> = if strong.is_empty() {
        found.iter().collect()
    } else {
        strong
    };
    let mut addresses: Vec<u64> = candidates.iter().map(|f| f.address).collect();
    addresses.sort_unstable();
    addresses.dedup();
    match addresses.len() {
        0 => Ok(None),
        1 => Ok(candidates.first().copied().copied()),
        _ if candidates.iter().all(|f| f.weak) => Ok(candidates.first().copied().copied()),
        _ => Err(SymbolError::Ambiguous { addresses }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_match() {
        assert!(names_function(b"malloc", "malloc"));
        assert!(names_function(b"malloc@@GLIBC_2.2.5", "malloc"));
        assert!(names_function(b"malloc@GLIBC_2.2.5", "malloc"));
        assert!(!names_function(b"malloc_trim", "malloc"));
        assert!(!names_function(b"mallo", "malloc"));
    }

    #[test]
    fn weak_definitions_yield_to_global_ones() {
        let global = Found {
            address: 0x100,
            file_offset: Some(0x100),
            weak: false,
        };
        let weak = Found {
            address: 0x200,
            file_offset: Some(0x200),
            weak: true,
        };
        assert_eq!(choose(&[weak, global]).unwrap().unwrap().address, 0x100);
        assert_eq!(choose(&[weak]).unwrap().unwrap().address, 0x200);
        let other = Found {
            address: 0x300,
            ..global
        };
        assert_eq!(
            choose(&[global, other]).unwrap_err(),
            SymbolError::Ambiguous {
                addresses: vec![0x100, 0x300]
            }
        );
        // The same address twice (an alias) is one definition.
        assert!(choose(&[global, global]).unwrap().is_some());
        assert!(choose(&[]).unwrap().is_none());
    }

    #[test]
    fn not_elf_is_an_error() {
        assert!(matches!(
            function_file_offset(b"not an elf file", "main"),
            Err(SymbolError::NotElf(_))
        ));
    }
}
