//! The one error type of this crate. Object errors name the ELF section,
//! symbol or byte offset; CO-RE errors say in plain words why a relocation
//! cannot be applied, as a person reading `corex reloc` needs to hear it.
//!
//! Fields hold names as the file has them; `Display` shows every text field
//! through [`corex_btf::printable`], so a message can be printed to a
//! terminal as it is, whatever the object's names hold.

use corex_btf::printable;

/// Everything that can go wrong reading a BPF object or relocating it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not an ELF file the `object` crate can read.
    #[error("not a readable ELF file: {}", printable(.0))]
    Elf(String),
    /// The file is another format corex reads (with another command).
    #[error("{found}, not an ELF object")]
    NotElf {
        /// What the file is.
        found: NotElf,
    },
    /// A section or symbol name (or the license) is not valid UTF-8.
    #[error("{what} #{index}: {field} '{}' is not valid UTF-8", printable(.bytes))]
    NotUtf8 {
        /// `section` or `symbol`.
        what: &'static str,
        /// Section or symbol table index.
        index: usize,
        /// What of it: `the name`, `the license`.
        field: &'static str,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// The file is ELF but not a BPF object.
    #[error("not a BPF object: {0}")]
    NotBpf(String),
    /// The file is a 64-bit ELF file for another machine: a vmlinux, a
    /// kernel module, a program.
    #[error("{0}, not a BPF object")]
    ForeignElf(ForeignElf),
    /// An ELF section is malformed.
    #[error("section '{}' (#{index}, file offset {offset}): {}", printable(.section), printable(.why))]
    Section {
        /// Section name.
        section: String,
        /// Section index.
        index: usize,
        /// File offset of the section's contents.
        offset: u64,
        /// What is wrong.
        why: String,
    },
    /// A symbol is malformed or points somewhere it cannot.
    #[error("symbol #{index} '{}': {}", printable(.name), printable(.why))]
    Symbol {
        /// Symbol table index.
        index: usize,
        /// Symbol name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// An ELF relocation entry (`.rel<section>`) is malformed.
    #[error("relocation #{index} of section '{}' at offset {offset}: {}", printable(.section), printable(.why))]
    Relocation {
        /// The section the relocations apply to.
        section: String,
        /// Index of the entry in its relocation section.
        index: usize,
        /// `r_offset`: byte offset in the section it applies to.
        offset: u64,
        /// What is wrong.
        why: String,
    },
    /// A map definition is malformed.
    #[error("map '{}': {}", printable(.name), printable(.why))]
    Map {
        /// Map name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// The `.BTF` or `.BTF.ext` section is malformed. The BTF layer's
    /// error is part of this one's text (it is not also its `source()`, so
    /// that printing the chain says it once), after the section's name
    /// unless it names the section itself.
    #[error("{}", btf_text(section, error))]
    Btf {
        /// `.BTF` or `.BTF.ext`.
        section: &'static str,
        /// The BTF layer's error (it names the offset).
        error: corex_btf::Error,
    },
    /// A `.BTF.ext` block of CO-RE records does not fit the object.
    #[error(".BTF.ext CO-RE records at byte offset {offset}: {}", printable(.why))]
    CoreBlock {
        /// Byte offset of the block in `.BTF.ext`.
        offset: usize,
        /// What is wrong.
        why: String,
    },
    /// A `.BTF.ext` CO-RE record does not fit the object.
    #[error(".BTF.ext CO-RE record #{index} of section '{}' (at .BTF.ext byte offset {offset}): {}", printable(.section), printable(.why))]
    CoreRecord {
        /// The ELF section the record belongs to.
        section: String,
        /// Index of the record among its section's records.
        index: usize,
        /// Byte offset of the record in `.BTF.ext`.
        offset: usize,
        /// What is wrong.
        why: String,
    },
    /// The relocation names a type id the object's BTF does not have.
    #[error("the relocation refers to type id {id}, but the object's BTF has only {count} types")]
    NoSuchLocalType {
        /// The type id.
        id: u32,
        /// Number of types in the local BTF.
        count: u32,
    },
    /// The relocation kind number is not one of the 13 kinds.
    #[error("unknown CO-RE relocation kind {0} (kinds 0 to 12 exist)")]
    UnknownKind(u32),
    /// The access string cannot be read or does not fit the local type.
    #[error("access string '{}' on {}: {}", printable(.access), printable(.root), printable(.why))]
    AccessString {
        /// The access string as stored (or a note that it is unreadable).
        access: String,
        /// The root type, e.g. `[7] struct foo`.
        root: String,
        /// What is wrong.
        why: String,
    },
    /// The root type is anonymous: candidates are found by name.
    #[error(
        "the relocation's root type {} is anonymous, and CO-RE finds target types by name",
        printable(.root)
    )]
    AnonymousRoot {
        /// The root type, e.g. `[7] struct <anon>`.
        root: String,
    },
    /// A relocation kind that cannot apply to what the access string reaches.
    #[error("{kind} cannot be computed for {}", printable(.what))]
    Unsupported {
        /// libbpf's name of the kind.
        kind: &'static str,
        /// What the access string reaches.
        what: String,
    },
    /// A bitfield that no single load of at most 8 bytes covers.
    #[error("bitfield {} cannot be read with one load of at most 8 bytes", printable(.field))]
    Bitfield {
        /// The field, as a spec.
        field: String,
    },
    /// Two candidate types place the field differently.
    #[error("{} matches {count} types with different layouts: {}", printable(.local), printable(.detail))]
    OffsetAmbiguity {
        /// The local root, e.g. `struct foo___x`.
        local: String,
        /// How many candidates matched so far.
        count: usize,
        /// Which candidates disagree and how.
        detail: String,
    },
    /// Two candidate types give different values.
    #[error("{} matches {count} types that disagree: {}", printable(.local), printable(.detail))]
    DecisionAmbiguity {
        /// The local root.
        local: String,
        /// How many candidates matched so far.
        count: usize,
        /// Which candidates disagree and how.
        detail: String,
    },
    /// Matching a candidate hit a limit (nesting depth, cycles).
    #[error("matching candidate {}: {}", printable(.candidate), printable(.why))]
    CandidateError {
        /// The candidate type.
        candidate: String,
        /// What went wrong.
        why: String,
    },
    /// Matching the candidates took more steps than corex allows: hostile
    /// BTF whose types nest too deeply or too widely to compare.
    #[error("gave up after {steps} matching steps, the most {} may take: the local or target types nest too deeply or too widely to compare", if *.object { "the relocations of one object against one target" } else { "one relocation" })]
    WorkLimit {
        /// Steps taken (the limit that applied).
        steps: u64,
        /// Whether the limit of the whole object was reached, rather than
        /// that of this relocation.
        object: bool,
    },
    /// The instruction does not hold the value the local BTF implies.
    #[error("instruction #{insn} holds {held}, but the local BTF says {what} {expected}")]
    Validation {
        /// Instruction index in its program.
        insn: usize,
        /// The value found in the instruction.
        held: i64,
        /// What the value is ("the field is at offset", ...).
        what: &'static str,
        /// The value the local BTF gives.
        expected: u64,
    },
    /// The relocated instruction has a form CO-RE cannot patch.
    #[error("instruction #{insn} (opcode {code:#04x}) cannot be patched: {}", printable(.why))]
    Patch {
        /// Instruction index in its program.
        insn: usize,
        /// Its opcode.
        code: u8,
        /// Why not.
        why: String,
    },
    /// The record's instruction lies outside its program.
    #[error("instruction #{insn} is past the end of program '{}' ({len} instructions)", printable(.program))]
    InsnOutOfRange {
        /// Instruction index in the program.
        insn: usize,
        /// Program name.
        program: String,
        /// Number of instructions.
        len: usize,
    },
}

/// `section: error`, or the error alone when its text starts by naming
/// `section` (`.BTF.ext at byte offset 0: ...`).
fn btf_text(section: &str, error: &corex_btf::Error) -> String {
    let text = error.to_string();
    let named = text
        .strip_prefix(section)
        .is_some_and(|rest| rest.starts_with([' ', ':']));
    if named {
        text
    } else {
        format!("{section}: {text}")
    }
}

/// A file format that is not an ELF object but that corex reads elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotElf {
    /// Raw BTF (`/sys/kernel/btf/vmlinux`, a BTFHub `.btf`).
    RawBtf,
    /// An xz stream (a BTFHub `.btf.tar.xz` or `.xz`).
    Xz,
}

impl std::fmt::Display for NotElf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotElf::RawBtf => "raw BTF",
            NotElf::Xz => "an xz archive",
        })
    }
}

/// A 64-bit ELF file that is not for the BPF machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForeignElf {
    /// `e_machine` (62: x86-64).
    pub machine: u16,
    /// `e_type` (1: relocatable, 2: executable, 3: shared object).
    pub elf_type: u16,
    /// Whether it has a `.modinfo` section, as kernel modules do.
    pub kernel_module: bool,
    /// Whether it has a `.BTF` section (`corex btf dump` reads it).
    pub has_btf: bool,
}

impl ForeignElf {
    /// The machine's usual name (`x86-64`), or `machine N` for the others.
    pub fn machine_name(&self) -> String {
        let name = match self.machine {
            3 => "x86",
            8 => "MIPS",
            20 => "PowerPC",
            21 => "PowerPC64",
            22 => "s390",
            40 => "ARM",
            62 => "x86-64",
            183 => "AArch64",
            243 => "RISC-V",
            258 => "LoongArch",
            other => return format!("machine {other}"),
        };
        name.to_owned()
    }
}

impl std::fmt::Display for ForeignElf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match (self.kernel_module, self.elf_type) {
            (true, _) => "kernel module",
            (false, 1) => "relocatable object",
            (false, 2) => "executable",
            (false, 3) => "shared object",
            (false, 4) => "core dump",
            _ => "file",
        };
        let machine = self.machine_name();
        // x86, ARM, AArch64, s390 are read with a vowel first.
        let article = if machine.starts_with(['x', 'A', 's']) {
            "an"
        } else {
            "a"
        };
        write!(
            f,
            "{article} {machine} ELF {what} (e_machine {}, not EM_BPF 247)",
            self.machine
        )
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
