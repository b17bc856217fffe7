//! Why an object cannot be planned for a kernel. Every problem carries the
//! names, ids and numbers it is about; the words are made by `Display`, with
//! every name from the object or the system escaped for the terminal.

use std::fmt;

use corex_btf::{printable, Endian, Kind, TypeId};

use super::externs::KCONFIG_MAX;

/// A plan that cannot be made: what is wrong, and the object it is about.
#[derive(Debug)]
pub struct PlanError {
    object: Option<String>,
    problem: Box<Problem>,
}

impl PlanError {
    /// The object's file or name, when the plan knows it.
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }

    /// What is wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The same error about `object`.
    pub fn in_object(mut self, object: &str) -> PlanError {
        self.object.get_or_insert_with(|| object.to_owned());
        self
    }
}

impl From<Problem> for PlanError {
    fn from(problem: Problem) -> PlanError {
        PlanError {
            object: None,
            problem: Box::new(problem),
        }
    }
}

impl From<crate::Error> for PlanError {
    fn from(e: crate::Error) -> PlanError {
        Problem::Object(e).into()
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(object) = &self.object {
            write!(f, "{}: ", printable(object))?;
        }
        self.problem.fmt(f)
    }
}

impl std::error::Error for PlanError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.problem {
            Problem::Object(e) => Some(e),
            _ => None,
        }
    }
}

/// The kinds of value a `.kconfig` extern can hold (libbpf's `kcfg_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KconfigType {
    /// `bool` (1 byte).
    Bool,
    /// `enum libbpf_tristate`.
    Tristate,
    /// `char`.
    Char,
    /// An integer of 1, 2, 4 or 8 bytes.
    Int,
    /// A `char` array (a string).
    CharArray,
}

impl KconfigType {
    fn name(self) -> &'static str {
        match self {
            KconfigType::Bool => "bool",
            KconfigType::Tristate => "tristate",
            KconfigType::Char => "char",
            KconfigType::Int => "integer",
            KconfigType::CharArray => "char array",
        }
    }
}

/// Everything that stops a plan.
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem {
    /// The object model's own error (malformed ELF, BTF, relocations...).
    Object(crate::Error),
    /// An input the plan needs could not be read.
    InputUnavailable {
        /// Which input (`kallsyms`, `vmlinux BTF`, ...).
        input: &'static str,
        /// Why.
        why: String,
    },
    /// A line of `/proc/kallsyms` that is not `ADDRESS TYPE NAME`.
    KallsymsLine {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// The object's byte order is not the kernel's.
    Endian {
        /// The object's.
        object: Endian,
        /// The kernel's.
        kernel: Endian,
    },
    /// Maps in the legacy `maps` section, which libbpf 1.0 and later refuse.
    LegacyMaps,
    /// A program in a non-`.text` section with a local (static) symbol.
    StaticProgram {
        /// Program name.
        program: String,
        /// Its section.
        section: String,
    },
    /// A program whose section name says nothing libbpf knows.
    UnknownSection {
        /// Program name.
        program: String,
        /// Its section.
        section: String,
    },
    /// A program named in the configuration that the object lacks.
    NoSuchProgram {
        /// The name asked for.
        name: String,
    },
    /// A `.text` function named where a program is needed.
    NotAProgram {
        /// The function.
        name: String,
    },
    /// A map named in the configuration that the object lacks.
    NoSuchMap {
        /// The name asked for.
        name: String,
    },
    /// A map definition libbpf refuses.
    Map {
        /// Map name.
        map: String,
        /// What is wrong.
        why: MapProblem,
    },
    /// A `.maps` relocation (an initial value slot) libbpf refuses.
    MapSlot {
        /// Position of the entry in `.rel.maps`.
        index: usize,
        /// The symbol it names.
        symbol: String,
        /// What is wrong.
        why: String,
    },
    /// A global variable set by name cannot take the value.
    Variable {
        /// Variable name.
        name: String,
        /// What is wrong.
        why: VariableProblem,
    },
    /// A DATASEC the loader cannot complete from the ELF file.
    Datasec {
        /// The DATASEC's name.
        section: String,
        /// What is missing.
        why: String,
    },
    /// An extern libbpf cannot describe or resolve.
    Extern {
        /// The extern's name.
        name: String,
        /// What is wrong.
        why: ExternProblem,
    },
    /// A line of the kernel configuration libbpf cannot read.
    KconfigLine {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A BPF-to-BPF call or function address that leads nowhere.
    Call {
        /// The program being linked.
        program: String,
        /// The instruction, relative to the function that holds it.
        insn: usize,
        /// The function that holds it.
        function: String,
        /// What is wrong.
        why: String,
    },
    /// `.BTF.ext` func or line info is missing for an appended subprogram
    /// while the program has some (libbpf refuses such a program).
    MissingExtInfo {
        /// The program.
        program: String,
        /// The subprogram without records.
        function: String,
        /// `func` or `line`.
        what: &'static str,
    },
    /// A CO-RE relocation that cannot be applied (libbpf fails the load).
    Core {
        /// The program.
        program: String,
        /// libbpf's relocation number in its section.
        index: usize,
        /// The relocation as libbpf prints it.
        relocation: String,
        /// Why.
        source: crate::Error,
    },
    /// An instruction relocation that cannot be applied.
    Relocation {
        /// The program.
        program: String,
        /// Instruction index in the program as loaded.
        insn: usize,
        /// What is wrong.
        why: String,
    },
    /// A BTF attach target (tp_btf, fentry, lsm...) missing from the kernel.
    AttachTarget {
        /// The program.
        program: String,
        /// The name looked up (`btf_trace_sched_switch`, `bpf_lsm_file_open`).
        name: String,
        /// The kind looked up.
        kind: Kind,
        /// Whether modules' BTF was searched too (not on kernels without
        /// module BTF).
        modules_searched: bool,
    },
    /// A program that needs an attach target in its section name.
    NoAttachTarget {
        /// The program.
        program: String,
        /// Its section.
        section: String,
    },
    /// Something libbpf loads that the plan does not (yet) handle.
    Unsupported {
        /// What, in words.
        what: String,
    },
}

/// What is wrong with a map.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapProblem {
    /// A ring buffer of size 0.
    RingbufSize,
    /// A map whose type the plan cannot create (struct_ops).
    Unsupported {
        /// Its type number.
        map_type: u32,
    },
    /// A pinned map cannot be reused.
    PinMismatch {
        /// The pin path.
        path: String,
        /// The attribute that differs.
        field: &'static str,
        /// The pinned map's value.
        pinned: u64,
        /// The object's value.
        planned: u64,
    },
    /// An attribute no kernel accepts for the map's type.
    Impossible {
        /// `key_size`, `value_size`, `max_entries` or `map_flags`.
        field: &'static str,
        /// Its value.
        value: u64,
        /// What the kernel requires, in words.
        rule: &'static str,
    },
    /// Its initial values hold itself, directly or through other maps.
    SlotCycle,
    /// A slot of its initial value holds a map that is not created or a
    /// program that is not loaded.
    SlotTarget {
        /// The slot.
        slot: u32,
        /// The map or program named there.
        target: String,
        /// `map` or `program`.
        what: &'static str,
    },
}

/// What is wrong with a value for a global variable.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VariableProblem {
    /// No global variable of that name in `.data`, `.rodata` or `.bss`.
    NotFound,
    /// The value's size is not the variable's.
    Size {
        /// The variable's size.
        expected: u32,
        /// The value's.
        given: usize,
    },
    /// The variable's type cannot hold the value.
    Type {
        /// The variable's type, as C.
        type_name: String,
        /// What the value needs.
        needs: &'static str,
    },
    /// An integer value that does not fit the variable.
    Range {
        /// The value.
        value: i128,
        /// The variable's size in bytes.
        size: u32,
        /// Signed or not.
        signed: bool,
    },
    /// A string longer than the array holding it.
    TooLong {
        /// Bytes needed (with the NUL).
        needed: usize,
        /// The array's size.
        size: u32,
    },
    /// The variable lives in a section the plan does not load.
    NotLoaded {
        /// The section.
        section: String,
    },
}

/// What is wrong with an extern.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExternProblem {
    /// No BTF VAR or FUNC describes it.
    NoBtf,
    /// Its BTF is not an extern declaration.
    NotExtern,
    /// It is in no DATASEC of the object's BTF.
    NoSection,
    /// It is in a DATASEC other than `.kconfig` and `.ksyms`.
    BadSection {
        /// The DATASEC.
        section: String,
    },
    /// A function under `.kconfig`.
    KconfigFunction,
    /// A `.kconfig` type libbpf cannot fill.
    KconfigType {
        /// Its size in bytes (0 if unknown).
        size: u32,
    },
    /// A `LINUX_*` name libbpf does not provide, not marked weak.
    UnknownVirtual,
    /// The Kconfig value does not suit the extern's type.
    KconfigValue {
        /// The value as written.
        value: String,
        /// The extern's type.
        extern_type: KconfigType,
        /// What the value implies.
        implies: &'static str,
    },
    /// A Kconfig integer that does not fit the extern.
    KconfigRange {
        /// The value.
        value: u64,
        /// The extern's size.
        size: u32,
    },
    /// A Kconfig integer that does not parse.
    KconfigInteger {
        /// The text.
        value: String,
    },
    /// Kallsyms gives two addresses.
    Ambiguous {
        /// The first two addresses.
        addresses: [u64; 2],
    },
    /// Not found in the kernel (and not weak).
    NotFound {
        /// Where it was looked up.
        place: &'static str,
    },
    /// Found in the kernel with an incompatible type.
    Incompatible {
        /// The local type.
        local: String,
        /// The kernel's type.
        kernel: String,
    },
    /// More module BTFs than a call instruction's offset can index.
    TooManyModules,
    /// The `.kconfig` map would end past the largest map value the kernel
    /// takes (`KMALLOC_MAX_SIZE`), at this extern.
    KconfigTooLarge {
        /// Where the map would end, in bytes.
        end: u64,
    },
}

fn kind_word(k: Kind) -> &'static str {
    crate::core::kind_str(k)
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = printable;
        match self {
            Problem::Object(e) => e.fmt(f),
            Problem::InputUnavailable { input, why } => {
                write!(f, "{input} is not available: {why}")
            }
            Problem::KallsymsLine { line, text } => write!(
                f,
                "/proc/kallsyms line {line} is not 'ADDRESS TYPE NAME': '{}'",
                p(text)
            ),
            Problem::Endian { object, kernel } => write!(
                f,
                "the object is {object:?}-endian but the kernel is {kernel:?}-endian"
            ),
            Problem::LegacyMaps => f.write_str(
                "maps are defined in the legacy 'maps' section, which libbpf 1.0 and later refuse; \
                 declare them in '.maps' with __uint/__type",
            ),
            Problem::StaticProgram { program, section } => write!(
                f,
                "program '{}' in section '{}' is static; BPF programs must be global functions",
                p(program),
                p(section)
            ),
            Problem::UnknownSection { program, section } => write!(
                f,
                "program '{}': section '{}' names no program type libbpf knows",
                p(program),
                p(section)
            ),
            Problem::NoSuchProgram { name } => {
                write!(f, "the object has no program called '{}'", p(name))
            }
            Problem::NotAProgram { name } => write!(
                f,
                "'{}' is a .text function called by programs, not a program",
                p(name)
            ),
            Problem::NoSuchMap { name } => {
                write!(f, "the object has no map called '{}'", p(name))
            }
            Problem::Map { map, why } => write!(f, "map '{}': {why}", p(map)),
            Problem::MapSlot { index, symbol, why } => write!(
                f,
                ".maps relocation #{index} against '{}': {}",
                p(symbol),
                p(why)
            ),
            Problem::Variable { name, why } => write!(f, "variable '{}': {why}", p(name)),
            Problem::Datasec { section, why } => {
                write!(f, "DATASEC '{}': {}", p(section), p(why))
            }
            Problem::Extern { name, why } => write!(f, "extern '{}': {why}", p(name)),
            Problem::KconfigLine { line, text, why } => {
                write!(f, "kernel config line {line} '{}': {why}", p(text))
            }
            Problem::Call {
                program,
                insn,
                function,
                why,
            } => write!(
                f,
                "program '{}': instruction #{insn} of '{}': {}",
                p(program),
                p(function),
                p(why)
            ),
            Problem::MissingExtInfo {
                program,
                function,
                what,
            } => write!(
                f,
                "program '{}': .BTF.ext has {what} info for the program but none for its subprogram '{}'",
                p(program),
                p(function)
            ),
            Problem::Core {
                program,
                index,
                relocation,
                source,
            } => write!(
                f,
                "program '{}': CO-RE relocation #{index} {}: {source}",
                p(program),
                p(relocation)
            ),
            Problem::Relocation { program, insn, why } => write!(
                f,
                "program '{}': instruction #{insn}: {}",
                p(program),
                p(why)
            ),
            Problem::AttachTarget {
                program,
                name,
                kind,
                modules_searched,
            } => write!(
                f,
                "program '{}': the kernel has no {} '{}' to attach to ({})",
                p(program),
                kind_word(*kind),
                p(name),
                if *modules_searched {
                    "looked in vmlinux and module BTF"
                } else {
                    "looked in vmlinux BTF; this kernel has no module BTF"
                }
            ),
            Problem::NoAttachTarget { program, section } => write!(
                f,
                "program '{}': section '{}' names no attach target (write it after '/')",
                p(program),
                p(section)
            ),
            Problem::Unsupported { what } => {
                write!(f, "{}: the load plan does not support this", p(what))
            }
        }
    }
}

impl fmt::Display for MapProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapProblem::RingbufSize => f.write_str(
                "ring buffer of size 0; max_entries must be a power-of-two multiple of the page size",
            ),
            MapProblem::Unsupported { map_type } => {
                write!(f, "maps of type {map_type} are not supported by the loader")
            }
            MapProblem::PinMismatch {
                path,
                field,
                pinned,
                planned,
            } => write!(
                f,
                "the map pinned at '{}' has {field} {pinned}, the object's has {planned}; \
                 remove the pin or fix the definition",
                printable(path)
            ),
            MapProblem::Impossible { field, value, rule } => {
                write!(f, "{field} is {value}, but {rule}")
            }
            MapProblem::SlotCycle => {
                f.write_str("its initial values hold itself (a cycle of map-in-map slots)")
            }
            MapProblem::SlotTarget { slot, target, what } => write!(
                f,
                "slot {slot} of its initial value holds {what} '{}', which is not {}",
                printable(target),
                if *what == "map" { "created" } else { "loaded" }
            ),
        }
    }
}

impl fmt::Display for VariableProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VariableProblem::NotFound => f.write_str(
                "no such global variable in .data, .rodata or .bss (static and hidden variables cannot be set)",
            ),
            VariableProblem::Size { expected, given } => {
                write!(f, "it is {expected} bytes, the value is {given} bytes")
            }
            VariableProblem::Type { type_name, needs } => {
                write!(f, "it is {}, not {needs}", printable(type_name))
            }
            VariableProblem::Range {
                value,
                size,
                signed,
            } => write!(
                f,
                "{value} does not fit its {size}-byte {} type",
                if *signed { "signed" } else { "unsigned" }
            ),
            VariableProblem::TooLong { needed, size } => write!(
                f,
                "the string needs {needed} bytes with its NUL, the array holds {size}"
            ),
            VariableProblem::NotLoaded { section } => write!(
                f,
                "its section '{}' is not loaded into the kernel",
                printable(section)
            ),
        }
    }
}

impl fmt::Display for ExternProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternProblem::NoBtf => f.write_str("no BTF VAR or FUNC describes it"),
            ExternProblem::NotExtern => {
                f.write_str("its BTF VAR or FUNC is not an extern declaration")
            }
            ExternProblem::NoSection => f.write_str("it is in no DATASEC of the object's BTF"),
            ExternProblem::BadSection { section } => write!(
                f,
                "it is in section '{}'; externs must be __kconfig or __ksym",
                printable(section)
            ),
            ExternProblem::KconfigFunction => {
                f.write_str("functions cannot be __kconfig externs")
            }
            ExternProblem::KconfigTooLarge { end } => write!(
                f,
                "the .kconfig map would be {end} bytes with it, more than the largest map \
                 value the kernel takes ({KCONFIG_MAX} bytes)"
            ),
            ExternProblem::KconfigType { size } => write!(
                f,
                "its type ({size} bytes) is not bool, char, an integer of 1/2/4/8 bytes, \
                 enum libbpf_tristate or a char array"
            ),
            ExternProblem::UnknownVirtual => f.write_str(
                "unknown LINUX_ extern (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and \
                 LINUX_HAS_SYSCALL_WRAPPER exist); mark it __weak to default it to 0",
            ),
            ExternProblem::KconfigValue {
                value,
                extern_type,
                implies,
            } => write!(
                f,
                "the kernel config sets it to '{}', which implies {implies}, but it is declared as {}",
                printable(value),
                extern_type.name()
            ),
            ExternProblem::KconfigRange { value, size } => {
                write!(f, "the kernel config value {value} does not fit in {size} bytes")
            }
            ExternProblem::KconfigInteger { value } => write!(
                f,
                "the kernel config value '{}' is not a valid integer",
                printable(value)
            ),
            ExternProblem::Ambiguous { addresses } => write!(
                f,
                "kallsyms gives it two addresses, {:#x} and {:#x}",
                addresses[0], addresses[1]
            ),
            ExternProblem::NotFound { place } => write!(
                f,
                "not found in {place}; mark it __weak if the program copes without it"
            ),
            ExternProblem::Incompatible { local, kernel } => write!(
                f,
                "declared as {}, but the kernel's is {}",
                printable(local),
                printable(kernel)
            ),
            ExternProblem::TooManyModules => f.write_str(
                "kfuncs from more modules than a call instruction's 16-bit offset can index",
            ),
        }
    }
}

/// A type as C writes it (`struct rq`, `int`, `char *`, `u32[4]`), for
/// messages; deep chains are cut.
pub(crate) fn c_type(btf: &corex_btf::Btf, id: TypeId) -> String {
    fn go(btf: &corex_btf::Btf, id: TypeId, depth: u32) -> String {
        let t = btf.ty(id);
        let name = if t.name().is_empty() {
            "<anon>"
        } else {
            t.name()
        };
        if depth > 8 {
            return "...".into();
        }
        match t.kind() {
            Kind::Void => "void".into(),
            Kind::Struct | Kind::Union | Kind::Enum | Kind::Enum64 | Kind::Fwd => {
                format!("{} {name}", crate::core::kind_str(t.kind()))
            }
            Kind::Ptr => format!("{} *", go(btf, t.type_id(), depth + 1)),
            Kind::Const | Kind::Volatile | Kind::Restrict => format!(
                "{} {}",
                crate::core::kind_str(t.kind()),
                go(btf, t.type_id(), depth + 1)
            ),
            Kind::TypeTag => go(btf, t.type_id(), depth + 1),
            Kind::Array => match t.array() {
                Some(a) => format!("{}[{}]", go(btf, a.elem, depth + 1), a.nelems),
                None => name.into(),
            },
            Kind::FuncProto => format!("a function prototype of {} parameters", t.vlen()),
            _ => name.into(),
        }
    }
    go(btf, id, 0)
}
