//! The library's errors: what failed, on which object, map or program, and
//! the real cause (the kernel's errno and what it means, the verifier's
//! log, the plan's reason). Data stays typed; words are made in `Display`,
//! with every name from an object or the system escaped for the terminal.

use std::fmt;
use std::path::PathBuf;

use corex_btf::printable;
use corex_object::load::{MapProblem, PlanError};
use corex_sys::Capability;

use crate::load::LoadReport;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An object file could not be read.
    #[error("{}: {source}", printable(path.as_os_str().as_encoded_bytes()))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a BPF object corex can read.
    #[error("{}: {source}", printable(object))]
    Parse {
        /// The object's file or name.
        object: String,
        /// What is wrong, with the offset or section.
        source: corex_object::Error,
    },
    /// The object cannot be loaded as configured, found before anything
    /// reached the kernel (a bad section, relocation, map definition,
    /// extern, CO-RE relocation; a name or value given to a setter).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// An input read from the system (vmlinux BTF, module BTF, the kernel
    /// configuration, kallsyms) is not available.
    #[error("{input} is not available: {why}")]
    Kernel {
        /// Which input.
        input: &'static str,
        /// Why, naming the file.
        why: String,
    },
    /// A system call that is not part of loading an object failed.
    #[error("{what}: {source}")]
    System {
        /// What corex was doing.
        what: &'static str,
        /// The call, errno and meaning.
        source: Box<corex_sys::Error>,
    },
    /// The process lacks the capabilities BPF needs.
    #[error("{}", PermissionSentence(missing))]
    NotPermitted {
        /// The capabilities missing (CAP_BPF, CAP_PERFMON; CAP_SYS_ADMIN
        /// stands for both).
        missing: Vec<Capability>,
    },
    /// A map could not be created, reused, filled, frozen, pinned or mapped.
    #[error("{}: map '{}': {step}: {source}", printable(object), printable(map))]
    Map {
        /// The object's file or name.
        object: String,
        /// The map.
        map: String,
        /// What corex was doing with it.
        step: MapStep,
        /// The call, errno and meaning.
        source: Box<corex_sys::Error>,
    },
    /// A map pinned by name cannot be reused.
    #[error("{}: map '{}': {problem}", printable(object), printable(map))]
    PinnedMap {
        /// The object's file or name.
        object: String,
        /// The map.
        map: String,
        /// Why (the pin path and the attribute that differs).
        problem: MapProblem,
    },
    /// A program could not be loaded (the verifier refused it, or the
    /// kernel refused its attributes).
    #[error(
        "{}: program '{}' (section '{}'): {source}{}",
        printable(object),
        printable(program),
        printable(section),
        LogTail(log.as_deref())
    )]
    Program {
        /// The object's file or name.
        object: String,
        /// The program.
        program: String,
        /// Its section.
        section: String,
        /// The call, errno and meaning.
        source: Box<corex_sys::Error>,
        /// The verifier's log, with poisoned CO-RE relocations and missing
        /// maps rewritten into what they came from.
        log: Option<String>,
    },
    /// The kernel refused, with EPERM, a program that needs BPF trampolines
    /// (fentry, fexit, fmod_ret, lsm, freplace) although corex has the
    /// capabilities: the kernel does not allow trampolines.
    #[error(
        "{}: program '{}' (section '{}'): {kind} needs BPF trampolines, which this kernel \
         refused: EPERM",
        printable(object),
        printable(program),
        printable(section)
    )]
    TrampolinesRefused {
        /// The object's file or name.
        object: String,
        /// The program.
        program: String,
        /// Its section.
        section: String,
        /// Its attach kind (`fentry`...).
        kind: &'static str,
    },
    /// A loaded program could not be bound to a map or put in a program
    /// array.
    #[error(
        "{}: program '{}': {what}: {source}",
        printable(object),
        printable(program)
    )]
    ProgramSetup {
        /// The object's file or name.
        object: String,
        /// The program.
        program: String,
        /// What corex was doing.
        what: String,
        /// The call, errno and meaning.
        source: Box<corex_sys::Error>,
    },
    /// Loading stopped; everything made before was released (and pins made
    /// by this load removed). [`Error::load_report`] says what had been made.
    #[error("{}", .0.cause)]
    Load(Box<LoadFailure>),
    /// No map or program of that name in a loaded object.
    #[error("{}: no {kind} called '{}'", printable(object), printable(name))]
    NotFound {
        /// The object's file or name.
        object: String,
        /// `map`, `program` or `global variable`.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A global variable of a loaded object cannot be read or written.
    #[error("{}: global variable '{}': {why}", printable(object), printable(name))]
    Global {
        /// The object's file or name.
        object: String,
        /// The variable.
        name: String,
        /// Why.
        why: GlobalProblem,
    },
}

/// The result of this crate's calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed load: the cause, and what had been made before it.
#[derive(Debug)]
pub struct LoadFailure {
    /// Why loading stopped.
    pub cause: Error,
    /// What each map and program came to before everything was released.
    pub report: LoadReport,
}

impl Error {
    /// For a failed load: what each map and program came to before the
    /// failure (all of it released since).
    pub fn load_report(&self) -> Option<&LoadReport> {
        match self {
            Error::Load(f) => Some(&f.report),
            _ => None,
        }
    }

    /// The error behind a failed load (itself otherwise).
    pub fn cause(&self) -> &Error {
        match self {
            Error::Load(f) => f.cause.cause(),
            e => e,
        }
    }

    /// The kernel's errno, when a system call failed.
    pub fn errno(&self) -> Option<corex_sys::Errno> {
        match self.cause() {
            Error::System { source, .. }
            | Error::Map { source, .. }
            | Error::Program { source, .. }
            | Error::ProgramSetup { source, .. } => source.errno(),
            Error::TrampolinesRefused { .. } => Some(corex_sys::Errno::EPERM),
            _ => None,
        }
    }

    /// The verifier's log, when a program was refused.
    pub fn verifier_log(&self) -> Option<&str> {
        match self.cause() {
            Error::Program { log, .. } => log.as_deref(),
            _ => None,
        }
    }
}

/// What corex was doing with a map when the kernel refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapStep {
    /// Creating it (`BPF_MAP_CREATE`), after a retry without BTF types if
    /// it had some.
    Create,
    /// Creating the inner map template of a map-in-map.
    CreateInner,
    /// Opening the map pinned at this path.
    OpenPinned(String),
    /// Writing its initial contents (global data, `.kconfig`).
    SetInitialValue,
    /// Making it read-only for user space (`.rodata`, `.kconfig`).
    Freeze,
    /// Setting slot `slot` to the map or program `to`.
    SetSlot {
        /// The key.
        slot: u32,
        /// What goes there.
        to: String,
    },
    /// Pinning it at this path.
    Pin(String),
    /// Mapping its memory (mmap-able global data).
    Mmap,
    /// Reading or writing a value after load.
    Access,
}

impl fmt::Display for MapStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapStep::Create => f.write_str("cannot be created"),
            MapStep::CreateInner => f.write_str("its inner map cannot be created"),
            MapStep::OpenPinned(path) => {
                write!(
                    f,
                    "the map pinned at '{}' cannot be opened",
                    printable(path)
                )
            }
            MapStep::SetInitialValue => f.write_str("its initial contents cannot be written"),
            MapStep::Freeze => f.write_str("it cannot be frozen"),
            MapStep::SetSlot { slot, to } => {
                write!(f, "slot {slot} cannot be set to '{}'", printable(to))
            }
            MapStep::Pin(path) => write!(f, "it cannot be pinned at '{}'", printable(path)),
            MapStep::Mmap => f.write_str("its memory cannot be mapped"),
            MapStep::Access => f.write_str("cannot be read or written"),
        }
    }
}

/// Why a loaded object's global variable cannot be read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GlobalProblem {
    /// The value has the wrong size.
    Size {
        /// The variable's size.
        expected: u32,
        /// The value's.
        given: usize,
    },
    /// It lives in a read-only section (`.rodata*`), frozen at load: set it
    /// before loading.
    ReadOnly {
        /// The section.
        section: String,
    },
    /// Its section's map was not created.
    NotCreated {
        /// The section.
        section: String,
    },
}

impl fmt::Display for GlobalProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlobalProblem::Size { expected, given } => {
                write!(f, "it has {expected} bytes, the value {given}")
            }
            GlobalProblem::ReadOnly { section } => write!(
                f,
                "it is in '{}', which is read-only once loaded; set it before loading",
                printable(section)
            ),
            GlobalProblem::NotCreated { section } => {
                write!(f, "the map of '{}' was not created", printable(section))
            }
        }
    }
}

/// The one sentence an unprivileged user gets.
struct PermissionSentence<'a>(&'a [Capability]);

impl fmt::Display for PermissionSentence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|c| c.name()).collect();
        let needed = match names.as_slice() {
            [] => "CAP_BPF and CAP_PERFMON".to_owned(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        };
        write!(
            f,
            "loading BPF programs needs {needed} (or CAP_SYS_ADMIN, which Linux before 5.8 \
             requires): run as root or grant the capabilities"
        )
    }
}

/// How many lines of a log an error shows.
const LOG_LINES_SHOWN: usize = 40;

/// The end of a verifier or BTF log, as an error shows it.
struct LogTail<'a>(Option<&'a str>);

impl fmt::Display for LogTail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(log) = self.0.filter(|l| !l.trim().is_empty()) else {
            return Ok(());
        };
        let lines: Vec<&str> = log.trim_end().lines().collect();
        let skip = lines.len().saturating_sub(LOG_LINES_SHOWN);
        if skip > 0 {
            write!(
                f,
                "\nlog (last {LOG_LINES_SHOWN} of {} lines):",
                lines.len()
            )?;
        } else {
            f.write_str("\nlog:")?;
        }
        for line in &lines[skip..] {
            write!(f, "\n  {}", printable(line))?;
        }
        Ok(())
    }
}
