//! What a check finds, as data (ids, names, offsets), with the sentence a
//! person reads made by `Display`.

use std::fmt;

use super::kernel::Arch;
use crate::attach::AttachKind;

/// A CO-RE relocation that is poisoned or fails on a kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unresolved {
    /// The function holding the instruction: the program, or a subprogram it calls.
    pub function: String,
    /// The record's ELF section.
    pub section: String,
    /// Position among the section's records (libbpf's `relo #N`, as `corex reloc` gives it).
    pub index: usize,
    /// Instruction index relative to `function` (as `corex reloc` gives it).
    pub insn: usize,
    /// libbpf's name of the relocation kind.
    pub kind: &'static str,
    /// The local spec as libbpf prints it.
    pub local: String,
    /// The instruction was poisoned (`false`: the relocation fails, and
    /// libbpf refuses the whole object).
    pub poisoned: bool,
    /// The instruction lies on a path the verifier follows.
    pub reachable: bool,
    /// Why, in the engine's words.
    pub explanation: String,
}

impl Unresolved {
    /// Whether it makes the program fail: a failed relocation, or a
    /// poisoned instruction the verifier reaches.
    pub fn is_fatal(&self) -> bool {
        !self.poisoned || self.reachable
    }
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "relo #{} ({} insn #{}) <{}> {}: {}",
            self.index, self.function, self.insn, self.kind, self.local, self.explanation
        )?;
        match (self.poisoned, self.reachable) {
            (false, _) => f.write_str(" (libbpf fails the load)"),
            (true, true) => f.write_str(" (poisoned and reachable: the verifier rejects it)"),
            (true, false) => f.write_str(" (poisoned, on a dead path: harmless)"),
        }
    }
}

/// Something other than a relocation that decides whether a program loads
/// and attaches on a kernel, or that cannot be told from its BTF.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The function, tracepoint or syscall the program attaches to is not there.
    MissingTarget {
        /// How the program attaches.
        kind: AttachKind,
        /// The attach target as the section names it.
        target: String,
        /// The names looked up in the kernel's BTF (or files, for tracefs).
        looked_for: Vec<String>,
    },
    /// The program reads more context words than the traced function passes.
    ArgCount {
        /// How the program attaches.
        kind: AttachKind,
        /// The traced function or tracepoint.
        function: String,
        /// Context words the program reads.
        reads: usize,
        /// Context words the kernel provides.
        has: usize,
    },
    /// The program reads an argument as a pointer to another type than the
    /// kernel's prototype passes: the prototype changed.
    ArgType {
        /// How the program attaches.
        kind: AttachKind,
        /// The traced function or tracepoint.
        function: String,
        /// The argument's position (from 0).
        arg: usize,
        /// What the program reads it as, e.g. `struct filename`.
        local: String,
        /// What the kernel passes, e.g. `const char *`.
        kernel: String,
    },
    /// The kernel has no such program type.
    ProgType {
        /// The missing enumerator of `enum bpf_prog_type`.
        enumerator: String,
    },
    /// The kernel has no such attach type.
    AttachType {
        /// The missing enumerator of `enum bpf_attach_type`.
        enumerator: String,
    },
    /// The kernel has no such map type (every program of the object fails:
    /// libbpf creates the maps first).
    MapType {
        /// The map.
        map: String,
        /// Its type.
        map_type: corex_uapi::MapType,
    },
    /// A helper the program calls on a reachable path is not in the kernel.
    Helper {
        /// The helper.
        id: corex_uapi::HelperId,
        /// The function making the call.
        function: String,
        /// The calling instruction, relative to `function`.
        insn: usize,
    },
    /// The object reads `struct pt_regs` of another architecture.
    ArchMismatch {
        /// The architecture of the object's `struct pt_regs`.
        object: Arch,
        /// The kernel's.
        kernel: Arch,
    },
    /// A hand-written tracepoint context struct disagrees with the running
    /// kernel's tracefs format.
    ContextLayout {
        /// The tracepoint (`syscalls/sys_enter_execve`).
        tracepoint: String,
        /// The program's struct, e.g. `struct trace_sys_enter_execve`.
        context: String,
        /// The member of the struct.
        member: String,
        /// Its offset and size in the struct.
        local: (u32, u32),
        /// The tracefs field it was matched with, if any, with its offset and size.
        field: Option<(String, u32, u32)>,
    },
    /// Something the kernel's BTF does not tell (not a failure).
    CannotTell {
        /// What, in words.
        what: String,
    },
}

impl Problem {
    /// Whether it makes the program fail.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Problem::CannotTell { .. })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingTarget {
                kind,
                target,
                looked_for,
            } => write!(
                f,
                "{kind} target {target} does not exist on this kernel (looked for {})",
                looked_for.join(", ")
            ),
            Problem::ArgCount {
                kind,
                function,
                reads,
                has,
            } => write!(
                f,
                "the {kind} program reads {reads} argument words, but {function} passes {has} on this kernel: its prototype changed"
            ),
            Problem::ArgType {
                kind,
                function,
                arg,
                local,
                kernel,
            } => write!(
                f,
                "the {kind} program reads argument #{arg} of {function} as {local} *, but this kernel passes {kernel}: its prototype changed"
            ),
            Problem::ProgType { enumerator } => {
                write!(f, "the kernel has no program type {enumerator}")
            }
            Problem::AttachType { enumerator } => {
                write!(f, "the kernel has no attach type {enumerator}")
            }
            Problem::MapType { map, map_type } => write!(
                f,
                "map {map}: the kernel has no map type {} ({})",
                map_type.c_name().unwrap_or("of that number"),
                map_type.value()
            ),
            Problem::Helper { id, function, insn } => write!(
                f,
                "the kernel has no helper {id} (#{}), called by {function} at insn #{insn}",
                id.value()
            ),
            Problem::ArchMismatch { object, kernel } => write!(
                f,
                "the object reads {object}'s struct pt_regs, but the kernel is {kernel}: it was built for another architecture"
            ),
            Problem::ContextLayout {
                tracepoint,
                context,
                member,
                local,
                field,
            } => {
                write!(
                    f,
                    "{context}.{member} is at offset {} (size {}), but tracefs's {tracepoint} ",
                    local.0, local.1
                )?;
                match field {
                    Some((name, off, size)) => {
                        write!(f, "has {name} at offset {off} (size {size})")
                    }
                    None => f.write_str("has no field there"),
                }
            }
            Problem::CannotTell { what } => write!(f, "cannot tell {what}"),
        }
    }
}
