//! Attaching loaded programs: every kind of section libbpf attaches by name
//! (tracepoints, raw tracepoints, tp_btf, fentry/fexit/fmod_ret/lsm,
//! kprobes and ksyscalls, kprobe.multi, uprobes), each returning a [`Link`]
//! that detaches on drop and can be pinned.
//!
//! Each kind has an explicit function (`attach_tracepoint`,
//! `attach_kprobe`, ...) for programs without a section that says where they
//! go; [`AttachTarget::from_attach_point`] reads the section, and [`attach`]
//! dispatches. When the kernel lacks what a kind needs, the error says what
//! ([`Missing`]), decided from what the kernel shows (PMUs in sysfs, tracefs,
//! kallsyms, a probe call), not from an errno alone.
//!
//! ```no_run
//! # fn demo(prog: &corex_sys::ProgFd) -> Result<(), corex::attach::AttachError> {
//! use corex::attach::{attach_tracepoint, TracepointOptions};
//! let link = attach_tracepoint(prog, "syscalls", "sys_enter_execve", &TracepointOptions::default())?;
//! // ... the program runs on every execve until `link` is dropped.
//! # drop(link); Ok(()) }
//! ```

mod binary;
mod elf_symbols;
mod error;
mod features;
mod kprobe;
mod kprobe_multi;
mod ksyscall;
mod link;
mod perf_event;
mod probe;
mod program;
mod raw_tracepoint;
pub(crate) mod tracefs;
mod tracepoint;
mod tracing;
mod uprobe;

pub use binary::{parse_ld_cache, resolve_binary};
pub use elf_symbols::{function_file_offset, SymbolError};
pub use error::{AttachError, Missing, NoTarget, Result};
pub use kprobe::{attach_kprobe, KprobeOptions};
pub use kprobe_multi::{
    attach_kprobe_multi, glob_match, matching_functions, KprobeMultiOptions, KprobeMultiTarget,
};
pub use ksyscall::{attach_ksyscall, find_syscall_entry, syscall_entry, SyscallEntry};
pub use link::Link;
pub use probe::ProbeMethod;
pub use raw_tracepoint::attach_raw_tracepoint;
pub use tracefs::{corex_probes, PROBE_GROUP};
pub use tracepoint::{attach_tracepoint, TracepointOptions};
pub use tracing::{attach_tracing, tracing_kind, TracingOptions};
pub use uprobe::{attach_uprobe, UprobeOptions};

use corex_btf::printable;

/// Whether the running kernel's kallsyms has a symbol `name`; `None` when
/// kallsyms cannot be read.
pub(crate) fn kernel_symbol(name: &str) -> Option<bool> {
    let table = crate::Kernel::running().ok()?.kallsyms().ok()?;
    Some(!table.addresses(name).is_empty())
}
use corex_object::{AttachKind, AttachPoint};
use corex_sys::ProgFd;
use corex_uapi::AttachType;
use std::fmt;

/// Where a program attaches, as its section says or as given explicitly.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttachTarget {
    /// `tracepoint/CATEGORY/NAME`.
    Tracepoint {
        /// `syscalls`.
        category: String,
        /// `sys_enter_execve`.
        name: String,
    },
    /// `raw_tracepoint/NAME`, `raw_tp/NAME` (and `.w` writable forms).
    RawTracepoint {
        /// `sys_enter`.
        name: String,
        /// A writable raw tracepoint.
        writable: bool,
    },
    /// tp_btf, fentry, fexit, fmod_ret, lsm: the target was chosen at load
    /// (its BTF id); `name` says which, for messages.
    Tracing {
        /// The program's expected attach type.
        attach_type: AttachType,
        /// The target's name.
        name: String,
    },
    /// `kprobe/FUNC[+OFFSET]`, `kretprobe/FUNC`.
    Kprobe {
        /// The function.
        function: String,
        /// Bytes into it.
        offset: u64,
        /// A return probe.
        retprobe: bool,
    },
    /// `ksyscall/NAME`, `kretsyscall/NAME`.
    Ksyscall {
        /// The syscall (`execve`).
        syscall: String,
        /// A return probe.
        retprobe: bool,
    },
    /// `kprobe.multi/PATTERN`, `kretprobe.multi/PATTERN`.
    KprobeMulti {
        /// A glob pattern or a function name.
        pattern: String,
        /// Return probes.
        retprobe: bool,
    },
    /// `uprobe/BINARY:FUNC[+OFFSET]`, `uretprobe/BINARY:FUNC`.
    Uprobe {
        /// A path, a library's name or an executable's name.
        binary: String,
        /// The function (`None`: `offset` is a file offset).
        function: Option<String>,
        /// Bytes into the function or file.
        offset: u64,
        /// A return probe.
        retprobe: bool,
    },
}

/// Options every kind may use; each kind ignores what it has no use for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachOptions {
    /// `bpf_get_attach_cookie()` (one for every function of a kprobe.multi
    /// pattern).
    pub cookie: u64,
    /// Uprobes: only this process.
    pub pid: Option<u32>,
    /// kprobes and uprobes: PMU or tracefs.
    pub method: ProbeMethod,
}

/// Parses a number as C's `%li` does: decimal, `0x` hex or `0` octal.
fn parse_c_number(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u64::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse().ok()
    }
}

/// `NAME[+OFFSET]`.
fn split_offset(text: &str) -> Option<(&str, u64)> {
    match text.split_once('+') {
        Some((name, offset)) => Some((name, parse_c_number(offset)?)),
        None => Some((text, 0)),
    }
}

impl AttachTarget {
    /// The target a section names (see `corex_object::attach_point`).
    /// Sections without a target (`SEC("kprobe")`) and kinds corex does not
    /// attach by section are errors that say so.
    pub fn from_attach_point(point: &AttachPoint) -> Result<AttachTarget> {
        let kind = point.kind;
        let bad = |target: &str, why: &str| AttachError::BadTarget {
            kind,
            target: target.to_owned(),
            why: why.to_owned(),
        };
        let Some(target) = point.target.as_deref().filter(|t| !t.is_empty()) else {
            return Err(AttachError::Untargeted { kind });
        };
        use AttachKind as K;
        let retprobe = matches!(
            kind,
            K::Kretprobe | K::Kretsyscall | K::KretprobeMulti | K::Uretprobe
        );
        Ok(match kind {
            K::Tracepoint => {
                let (category, name) = target
                    .split_once('/')
                    .ok_or_else(|| bad(target, "a tracepoint is CATEGORY/NAME"))?;
                AttachTarget::Tracepoint {
                    category: category.to_owned(),
                    name: name.to_owned(),
                }
            }
            K::RawTracepoint | K::RawTracepointWritable => AttachTarget::RawTracepoint {
                name: target.to_owned(),
                writable: kind == K::RawTracepointWritable,
            },
            K::TpBtf | K::Fentry | K::Fexit | K::FmodRet | K::Lsm => {
                let attach_type = point
                    .attach_type
                    .filter(|t| tracing_kind(*t).is_some())
                    .ok_or_else(|| bad(target, "corex does not attach this tracing section"))?;
                AttachTarget::Tracing {
                    attach_type,
                    name: target.to_owned(),
                }
            }
            K::Kprobe | K::Kretprobe => {
                let (function, offset) = split_offset(target)
                    .ok_or_else(|| bad(target, "a kprobe is FUNCTION[+OFFSET]"))?;
                AttachTarget::Kprobe {
                    function: function.to_owned(),
                    offset,
                    retprobe,
                }
            }
            K::Ksyscall | K::Kretsyscall => AttachTarget::Ksyscall {
                syscall: target.to_owned(),
                retprobe,
            },
            K::KprobeMulti | K::KretprobeMulti => AttachTarget::KprobeMulti {
                pattern: target.to_owned(),
                retprobe,
            },
            K::Uprobe | K::Uretprobe => {
                let (binary, function) = target
                    .split_once(':')
                    .filter(|(b, f)| !b.is_empty() && !f.is_empty())
                    .ok_or_else(|| bad(target, "a uprobe is BINARY:FUNCTION[+OFFSET]"))?;
                let (function, offset) = split_offset(function)
                    .ok_or_else(|| bad(target, "a uprobe is BINARY:FUNCTION[+OFFSET]"))?;
                AttachTarget::Uprobe {
                    binary: binary.to_owned(),
                    function: Some(function.to_owned()),
                    offset,
                    retprobe,
                }
            }
            _ => {
                return Err(bad(
                    target,
                    "corex does not attach this kind of program by its section",
                ))
            }
        })
    }

    /// The attach kind.
    pub fn kind(&self) -> AttachKind {
        use AttachKind as K;
        let pick = |retprobe: bool, ret: K, entry: K| if retprobe { ret } else { entry };
        match self {
            AttachTarget::Tracepoint { .. } => K::Tracepoint,
            AttachTarget::RawTracepoint { writable: true, .. } => K::RawTracepointWritable,
            AttachTarget::RawTracepoint { .. } => K::RawTracepoint,
            AttachTarget::Tracing { attach_type, .. } => {
                tracing_kind(*attach_type).unwrap_or(K::Fentry)
            }
            AttachTarget::Kprobe { retprobe, .. } => pick(*retprobe, K::Kretprobe, K::Kprobe),
            AttachTarget::Ksyscall { retprobe, .. } => pick(*retprobe, K::Kretsyscall, K::Ksyscall),
            AttachTarget::KprobeMulti { retprobe, .. } => {
                pick(*retprobe, K::KretprobeMulti, K::KprobeMulti)
            }
            AttachTarget::Uprobe { retprobe, .. } => pick(*retprobe, K::Uretprobe, K::Uprobe),
        }
    }
}

impl fmt::Display for AttachTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            AttachTarget::Tracepoint { category, name } => {
                write!(f, "{kind} {}/{}", printable(category), printable(name))
            }
            AttachTarget::RawTracepoint { name, .. } | AttachTarget::Tracing { name, .. } => {
                write!(f, "{kind} {}", printable(name))
            }
            AttachTarget::Kprobe {
                function, offset, ..
            } => match offset {
                0 => write!(f, "{kind} {}", printable(function)),
                off => write!(f, "{kind} {}+{off:#x}", printable(function)),
            },
            AttachTarget::Ksyscall { syscall, .. } => write!(f, "{kind} {}", printable(syscall)),
            AttachTarget::KprobeMulti { pattern, .. } => {
                write!(f, "{kind} {}", printable(pattern))
            }
            AttachTarget::Uprobe {
                binary,
                function,
                offset,
                ..
            } => {
                write!(f, "{kind} {}:", printable(binary))?;
                match function {
                    Some(func) if *offset == 0 => write!(f, "{}", printable(func)),
                    Some(func) => write!(f, "{}+{offset:#x}", printable(func)),
                    None => write!(f, "{offset:#x}"),
                }
            }
        }
    }
}

/// Attaches `prog` to `target`.
pub fn attach(prog: &ProgFd, target: &AttachTarget, options: &AttachOptions) -> Result<Link> {
    match target {
        AttachTarget::Tracepoint { category, name } => attach_tracepoint(
            prog,
            category,
            name,
            &TracepointOptions {
                cookie: options.cookie,
            },
        ),
        AttachTarget::RawTracepoint { name, .. } => {
            raw_tracepoint::attach_raw(prog, target.kind(), name)
        }
        AttachTarget::Tracing { attach_type, name } => attach_tracing(
            prog,
            *attach_type,
            name,
            &TracingOptions {
                cookie: options.cookie,
            },
        ),
        AttachTarget::Kprobe {
            function,
            offset,
            retprobe,
        } => attach_kprobe(
            prog,
            function,
            &KprobeOptions {
                offset: *offset,
                retprobe: *retprobe,
                cookie: options.cookie,
                method: options.method,
            },
        ),
        AttachTarget::Ksyscall { syscall, retprobe } => attach_ksyscall(
            prog,
            syscall,
            &KprobeOptions {
                retprobe: *retprobe,
                cookie: options.cookie,
                method: options.method,
                ..KprobeOptions::default()
            },
        ),
        AttachTarget::KprobeMulti { pattern, retprobe } => attach_kprobe_multi(
            prog,
            KprobeMultiTarget::Pattern(pattern),
            &KprobeMultiOptions {
                retprobe: *retprobe,
                cookies: if options.cookie == 0 {
                    Vec::new()
                } else {
                    vec![options.cookie]
                },
            },
        ),
        AttachTarget::Uprobe {
            binary,
            function,
            offset,
            retprobe,
        } => attach_uprobe(
            prog,
            binary,
            &UprobeOptions {
                function: function.clone(),
                offset: *offset,
                retprobe: *retprobe,
                pid: options.pid,
                cookie: options.cookie,
                method: options.method,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corex_object::attach_point;

    fn target(section: &str) -> Result<AttachTarget> {
        AttachTarget::from_attach_point(&attach_point(section).unwrap())
    }

    #[test]
    fn sections_name_their_targets() {
        assert_eq!(
            target("tracepoint/syscalls/sys_enter_execve").unwrap(),
            AttachTarget::Tracepoint {
                category: "syscalls".into(),
                name: "sys_enter_execve".into()
            }
        );
        assert_eq!(
            target("kprobe/do_unlinkat+0x10").unwrap(),
            AttachTarget::Kprobe {
                function: "do_unlinkat".into(),
                offset: 16,
                retprobe: false
            }
        );
        assert_eq!(
            target("kretsyscall/execve").unwrap(),
            AttachTarget::Ksyscall {
                syscall: "execve".into(),
                retprobe: true
            }
        );
        assert_eq!(
            target("uretprobe/libc.so.6:malloc").unwrap(),
            AttachTarget::Uprobe {
                binary: "libc.so.6".into(),
                function: Some("malloc".into()),
                offset: 0,
                retprobe: true
            }
        );
        assert_eq!(
            target("tp_btf/sched_switch").unwrap(),
            AttachTarget::Tracing {
                attach_type: AttachType::TRACE_RAW_TP,
                name: "sched_switch".into()
            }
        );
        assert_eq!(target("fexit/do_exit").unwrap().kind(), AttachKind::Fexit);
        assert_eq!(
            target("raw_tp.w/x").unwrap().to_string(),
            "raw_tracepoint.w x"
        );
        assert_eq!(
            target("uprobe//bin/bash:readline+8").unwrap().to_string(),
            "uprobe /bin/bash:readline+0x8"
        );
    }

    #[test]
    fn sections_without_usable_targets_say_why() {
        let err = target("kprobe").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the section names no kprobe target: attach the program explicitly"
        );
        let err = target("tracepoint/no_category").unwrap_err();
        assert!(err.to_string().contains("CATEGORY/NAME"), "{err}");
        let err = target("uprobe/binary_without_function").unwrap_err();
        assert!(err.to_string().contains("BINARY:FUNCTION"), "{err}");
        let err = target("kprobe/f+zz").unwrap_err();
        assert!(err.to_string().contains("FUNCTION[+OFFSET]"), "{err}");
        let err = target("iter/task").unwrap_err();
        assert!(err.to_string().contains("does not attach"), "{err}");
    }

    #[test]
    fn c_numbers() {
        assert_eq!(parse_c_number("16"), Some(16));
        assert_eq!(parse_c_number("0x10"), Some(16));
        assert_eq!(parse_c_number("020"), Some(16));
        assert_eq!(parse_c_number("0"), Some(0));
        assert_eq!(parse_c_number("x"), None);
    }
}
