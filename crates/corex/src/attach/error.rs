//! Why a program could not be attached: what the kernel lacks (decided from
//! probes and facts such as kallsyms and tracefs, not from an errno alone),
//! a target that does not exist, a target written wrongly, or a system call
//! that failed. The data stays typed; the sentence is made in `Display`.

use corex_btf::printable;
use corex_object::AttachKind;
use corex_sys::Errno;
use std::fmt;
use std::path::PathBuf;

/// Something the running kernel lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Missing {
    /// No kprobe PMU, no `kprobe_events`, and no `register_kprobe` in
    /// kallsyms.
    Kprobes,
    /// kprobes are built in, but neither the kprobe PMU nor tracefs
    /// `kprobe_events` is there.
    KprobeEvents,
    /// Neither the kprobe PMU nor `kprobe_events` is there, and kallsyms
    /// cannot be read to tell which option is off.
    KprobeInterface,
    /// No uprobe PMU and no `uprobe_events`.
    Uprobes,
    /// tracefs (tracepoint ids) is not mounted.
    Tracefs,
    /// The probe PMU is missing and tracefs, where the legacy probe
    /// interface lives, is not mounted.
    ProbePmuAndTracefs,
    /// `BPF_LINK_CREATE` does not know `BPF_TRACE_KPROBE_MULTI` (before
    /// Linux 5.18).
    KprobeMultiLink,
    /// kprobe.multi links exist but the fprobe mechanism behind them does
    /// not (EOPNOTSUPP, no `register_fprobe_ips` in kallsyms).
    Fprobe,
    /// The kernel refused a BPF trampoline (fentry, fexit, fmod_ret, lsm)
    /// with this errno.
    BpfTrampoline {
        /// The kind that needed it.
        kind: AttachKind,
        /// What the kernel said.
        errno: Errno,
    },
    /// A BPF cookie was asked for on a kernel without perf links (before
    /// Linux 5.15), where `PERF_EVENT_IOC_SET_BPF` cannot pass one.
    PerfLinkCookie,
    /// The BPF LSM is not among the active LSMs (`lsm=` boot parameter).
    BpfLsm,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Kprobes => f.write_str("this kernel has no kprobes (CONFIG_KPROBES is off)"),
            Missing::KprobeEvents => f.write_str(
                "this kernel has kprobes but no kprobe events: neither the kprobe PMU nor \
                 tracefs kprobe_events (CONFIG_KPROBE_EVENTS is off)",
            ),
            Missing::KprobeInterface => f.write_str(
                "this kernel has neither the kprobe PMU nor tracefs kprobe_events \
                 (CONFIG_KPROBES or CONFIG_KPROBE_EVENTS is off)",
            ),
            Missing::Uprobes => f.write_str(
                "this kernel has no uprobes: neither the uprobe PMU nor tracefs uprobe_events \
                 (CONFIG_UPROBES or CONFIG_UPROBE_EVENTS is off)",
            ),
            Missing::Tracefs => f.write_str(
                "tracefs, where tracepoint ids are found, is not mounted (mount -t tracefs \
                 nodev /sys/kernel/tracing)",
            ),
            Missing::ProbePmuAndTracefs => f.write_str(
                "this kernel has no probe PMU, and tracefs, where the older probe interface \
                 lives, is not mounted (mount -t tracefs nodev /sys/kernel/tracing)",
            ),
            Missing::KprobeMultiLink => f.write_str(
                "this kernel has no kprobe.multi links (BPF_TRACE_KPROBE_MULTI, Linux 5.18 and \
                 later)",
            ),
            Missing::Fprobe => f.write_str("this kernel has no fprobe (CONFIG_FPROBE is off)"),
            Missing::BpfTrampoline { kind, errno } => write!(
                f,
                "{kind} needs BPF trampolines, which this kernel refused: {}",
                errno
                    .name()
                    .map_or_else(|| errno.to_string(), str::to_owned)
            ),
            Missing::PerfLinkCookie => f.write_str(
                "a BPF cookie needs perf links (BPF_LINK_CREATE for perf events, Linux 5.15), \
                 which this kernel lacks",
            ),
            Missing::BpfLsm => f.write_str(
                "the BPF LSM is not active on this kernel (CONFIG_BPF_LSM and \"bpf\" in the \
                 lsm= boot parameter)",
            ),
        }
    }
}

/// An attach target that does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoTarget {
    /// No `events/CATEGORY/NAME` in tracefs.
    Tracepoint {
        /// `category/name`.
        name: String,
    },
    /// The kernel knows no raw tracepoint of this name.
    RawTracepoint {
        /// The name.
        name: String,
    },
    /// No kernel function of this name (kallsyms), or one that cannot be
    /// probed.
    KernelFunction {
        /// The name.
        name: String,
    },
    /// No syscall entry function for this syscall in kallsyms.
    Syscall {
        /// The syscall's name (`execve`).
        name: String,
    },
    /// No traceable kernel function matches the pattern.
    Pattern {
        /// The glob pattern.
        pattern: String,
    },
    /// No function symbol of this name in the binary's symbol tables.
    Symbol {
        /// The binary.
        binary: PathBuf,
        /// The symbol.
        symbol: String,
    },
    /// No binary or library of this name on the search path.
    Binary {
        /// The name as given.
        name: String,
    },
}

impl fmt::Display for NoTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoTarget::Tracepoint { name } => write!(
                f,
                "this kernel has no tracepoint {} (no events/{}/id in tracefs)",
                printable(name),
                printable(name)
            ),
            NoTarget::RawTracepoint { name } => {
                write!(f, "this kernel has no raw tracepoint {}", printable(name))
            }
            NoTarget::KernelFunction { name } => write!(
                f,
                "this kernel has no function {} that can be probed",
                printable(name)
            ),
            NoTarget::Syscall { name } => write!(
                f,
                "this kernel has no entry function for the syscall {} in kallsyms",
                printable(name)
            ),
            NoTarget::Pattern { pattern } => write!(
                f,
                "no traceable kernel function matches {} (available_filter_functions)",
                printable(pattern)
            ),
            NoTarget::Symbol { binary, symbol } => write!(
                f,
                "{} has no function symbol {} in .symtab or .dynsym",
                printable(binary.as_os_str().as_encoded_bytes()),
                printable(symbol)
            ),
            NoTarget::Binary { name } => write!(
                f,
                "no binary or library named {} (searched ld.so.cache, the standard library \
                 directories, LD_LIBRARY_PATH and PATH)",
                printable(name)
            ),
        }
    }
}

/// Why a program could not be attached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// The kernel lacks what this kind of attachment needs.
    #[error("cannot attach {kind}: {missing}")]
    Unsupported {
        /// What was being attached.
        kind: AttachKind,
        /// What the kernel lacks.
        missing: Missing,
        /// The failed call that showed it, if one did.
        #[source]
        source: Option<corex_sys::Error>,
    },
    /// The attach target does not exist.
    #[error("cannot attach {kind}: {target}")]
    NoTarget {
        /// What was being attached.
        kind: AttachKind,
        /// The target that is not there.
        target: NoTarget,
    },
    /// The section names the kind but no target (`SEC("kprobe")`,
    /// `SEC("raw_tp")`): the program must be attached explicitly.
    #[error("the section names no {kind} target: attach the program explicitly")]
    Untargeted {
        /// The kind the section names.
        kind: AttachKind,
    },
    /// The target is written in a way corex cannot use.
    #[error("cannot attach {kind} to {}: {why}", printable(target))]
    BadTarget {
        /// What was being attached.
        kind: AttachKind,
        /// The target as written.
        target: String,
        /// What is wrong with it.
        why: String,
    },
    /// A system call failed for another reason.
    #[error("cannot attach {kind} to {}: {source}", printable(target))]
    Kernel {
        /// What was being attached.
        kind: AttachKind,
        /// The target.
        target: String,
        /// The failed call.
        #[source]
        source: corex_sys::Error,
    },
    /// A file (tracefs, kallsyms, a binary, ld.so.cache) could not be read
    /// or written.
    #[error("cannot attach {kind}: {}: {source}", printable(path.as_os_str().as_encoded_bytes()))]
    File {
        /// What was being attached.
        kind: AttachKind,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A binary to probe is not an ELF file corex can read.
    #[error("cannot attach {kind}: {}: {why}", printable(path.as_os_str().as_encoded_bytes()))]
    Elf {
        /// What was being attached.
        kind: AttachKind,
        /// The binary.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The link cannot do what was asked (pin a link that has no BPF link,
    /// update a perf event attachment...).
    #[error("{kind} link: {why}")]
    Link {
        /// The link's kind.
        kind: AttachKind,
        /// Why not.
        why: &'static str,
        /// The failed call, if one failed.
        #[source]
        source: Option<corex_sys::Error>,
    },
}

impl AttachError {
    /// What the kernel lacks, when that is why the attach failed.
    pub fn missing(&self) -> Option<Missing> {
        match self {
            AttachError::Unsupported { missing, .. } => Some(*missing),
            _ => None,
        }
    }

    /// Whether the kernel lacks the feature (as opposed to a bad or absent
    /// target, or another failure).
    pub fn is_unsupported(&self) -> bool {
        matches!(self, AttachError::Unsupported { .. })
    }

    /// The attach kind the error is about.
    pub fn kind(&self) -> AttachKind {
        match self {
            AttachError::Unsupported { kind, .. }
            | AttachError::NoTarget { kind, .. }
            | AttachError::Untargeted { kind }
            | AttachError::BadTarget { kind, .. }
            | AttachError::Kernel { kind, .. }
            | AttachError::File { kind, .. }
            | AttachError::Elf { kind, .. }
            | AttachError::Link { kind, .. } => *kind,
        }
    }
}

/// The attach result.
pub type Result<T, E = AttachError> = std::result::Result<T, E>;
