//! Global data (`.data*`, `.rodata*`, `.bss`, `.kconfig`) and externs
//! (`.kconfig` and `.ksyms` symbols the loader resolves).

use std::collections::HashMap;

use corex_btf::{Btf, Kind, TypeId};

use crate::btf_names::BtfNames;
use crate::elf::{ElfSection, ElfSymbol, ElfView};
use crate::work::tick;

/// Which kind of global data a section holds (libbpf's internal map types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// `.data`, `.data.*`: initialized, writable.
    Data,
    /// `.rodata`, `.rodata.*`: read-only (frozen after load).
    Rodata,
    /// `.bss`: zero-initialized.
    Bss,
    /// `.kconfig`: kernel config values the loader fills in.
    Kconfig,
}

impl DataKind {
    /// Lowercase name (`data`, `rodata`, `bss`, `kconfig`).
    pub fn name(self) -> &'static str {
        match self {
            DataKind::Data => "data",
            DataKind::Rodata => "rodata",
            DataKind::Bss => "bss",
            DataKind::Kconfig => "kconfig",
        }
    }

    /// The kind of global data an ELF section of this name holds.
    pub fn of_section(name: &str, nobits: bool) -> Option<DataKind> {
        let is = |base: &str| {
            name == base || name.strip_prefix(base).is_some_and(|r| r.starts_with('.'))
        };
        if nobits {
            return is(".bss").then_some(DataKind::Bss);
        }
        if is(".data") {
            Some(DataKind::Data)
        } else if is(".rodata") {
            Some(DataKind::Rodata)
        } else {
            None
        }
    }
}

/// A variable of a global data section, from its BTF DATASEC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Variable name.
    pub name: String,
    /// Its BTF type (the VAR's type).
    pub ty: TypeId,
    /// Offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// A global data section, which the loader turns into an array map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSection {
    /// ELF section name (`.rodata`, `.data.counters`, `.kconfig`).
    pub name: String,
    /// ELF section index; `None` for `.kconfig`, which exists only in BTF.
    pub section_index: Option<usize>,
    /// What it holds.
    pub kind: DataKind,
    /// Size in bytes.
    pub size: u64,
    /// Initial contents (empty for `.bss` and `.kconfig`).
    pub init: Vec<u8>,
    /// Variables, from the BTF DATASEC of the same name (empty without BTF).
    pub variables: Vec<Variable>,
}

/// The object's BTF with its name index.
#[derive(Clone, Copy)]
pub(crate) struct NamedBtf<'o> {
    pub btf: &'o Btf,
    pub names: &'o BtfNames,
}

/// Variables of the DATASEC called `name`, with that DATASEC's size. For an
/// ELF section, offsets come from the variables' symbols, as libbpf fixes
/// them up (clang leaves them at 0).
pub(crate) fn datasec_vars(
    btf: Option<NamedBtf<'_>>,
    name: &str,
    sec: Option<(&ElfView<'_>, usize)>,
) -> Option<(u64, Vec<Variable>)> {
    let NamedBtf { btf, names } = btf?;
    let ds = btf.ty(names.first(btf, Kind::Datasec, name)?);
    let vars: Vec<Variable> = ds
        .datasec_vars()
        .map(|v| {
            tick(1);
            let var = btf.ty(v.ty);
            let sym_offset = sec.and_then(|(elf, index)| {
                elf.symbol_named(index, var.name())
                    .and_then(|s| u32::try_from(s.value).ok())
            });
            Variable {
                name: var.name().to_owned(),
                ty: var.type_id(),
                offset: sym_offset.unwrap_or(v.offset),
                size: v.size,
            }
        })
        .collect();
    // clang leaves sizes of extern sections at 0: lay the variables out as
    // the loader will, each aligned to its (power of two) size up to 8.
    // (In 64 bits: at most 65535 variables of at most 4 GiB each.)
    let laid_out = vars.iter().fold(0u64, |end, v| {
        let align = u64::from(v.size.clamp(1, 8).next_power_of_two());
        end.div_ceil(align) * align + u64::from(v.size)
    });
    Some((u64::from(ds.size()).max(laid_out), vars))
}

/// A global data section read from its ELF section.
pub(crate) fn data_section(
    elf: &ElfView<'_>,
    sec: &ElfSection<'_>,
    kind: DataKind,
    btf: Option<NamedBtf<'_>>,
) -> DataSection {
    DataSection {
        name: sec.name.to_owned(),
        section_index: Some(sec.index),
        kind,
        size: sec.size,
        init: sec.data.to_vec(),
        variables: datasec_vars(btf, sec.name, Some((elf, sec.index)))
            .map(|(_, v)| v)
            .unwrap_or_default(),
    }
}

/// What the loader must resolve an extern to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// A `.kconfig` variable (`CONFIG_*`, `LINUX_KERNEL_VERSION`, ...).
    Kconfig,
    /// A `.ksyms` kernel variable (`__ksym`).
    KsymVar,
    /// A `.ksyms` kernel function (kfunc).
    KsymFunc,
    /// Not described by BTF as either.
    Unknown,
}

impl ExternKind {
    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            ExternKind::Kconfig => "kconfig",
            ExternKind::KsymVar => "ksym",
            ExternKind::KsymFunc => "kfunc",
            ExternKind::Unknown => "unknown",
        }
    }
}

/// An undefined symbol the loader resolves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extern {
    /// Symbol name.
    pub name: String,
    /// What it is.
    pub kind: ExternKind,
    /// `__weak`: may stay unresolved.
    pub weak: bool,
    /// Its BTF VAR or FUNC, if any.
    pub btf_id: Option<TypeId>,
    /// Symbol table index.
    pub symbol: usize,
}

/// Resolves undefined global symbols to their BTF VAR or FUNC and the
/// DATASEC that lists it, with every DATASEC's variables indexed once.
pub(crate) struct ExternResolver<'o> {
    btf: Option<NamedBtf<'o>>,
    /// The name of the last DATASEC that lists each type.
    listed_in: HashMap<TypeId, &'o str>,
}

impl<'o> ExternResolver<'o> {
    /// Indexes the DATASECs of `btf`.
    pub fn new(btf: Option<NamedBtf<'o>>) -> ExternResolver<'o> {
        let mut listed_in = HashMap::new();
        if let Some(NamedBtf { btf, .. }) = btf {
            for ds in btf.types().filter(|t| t.kind() == Kind::Datasec) {
                for v in ds.datasec_vars() {
                    tick(1);
                    listed_in.insert(v.ty, ds.name());
                }
            }
            tick(btf.type_count() as usize);
        }
        ExternResolver { btf, listed_in }
    }

    /// Classifies an undefined global symbol by the DATASEC that lists it
    /// (the first VAR or FUNC of its name; the last DATASEC listing it).
    pub fn resolve(&self, sym: &ElfSymbol<'_>) -> Extern {
        let mut ext = Extern {
            name: sym.name.to_owned(),
            kind: ExternKind::Unknown,
            weak: sym.bind == object::elf::STB_WEAK,
            btf_id: None,
            symbol: sym.index,
        };
        let Some(NamedBtf { btf, names }) = self.btf else {
            return ext;
        };
        let var = names.first(btf, Kind::Var, sym.name);
        let func = names.first(btf, Kind::Func, sym.name);
        let Some(id) = var.into_iter().chain(func).min() else {
            return ext;
        };
        ext.btf_id = Some(id);
        if let Some(&ds) = self.listed_in.get(&id) {
            ext.kind = match (ds, btf.ty(id).kind()) {
                (".kconfig", _) => ExternKind::Kconfig,
                (".ksyms", Kind::Func) => ExternKind::KsymFunc,
                (".ksyms", _) => ExternKind::KsymVar,
                _ => ExternKind::Unknown,
            };
        }
        ext
    }
}
