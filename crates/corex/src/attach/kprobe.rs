//! `kprobe/FUNC[+OFFSET]`, `kretprobe/FUNC`: a kprobe perf event on a kernel
//! function (PMU, or a tracefs `kprobe_events` line removed on detach), with
//! the program run on it. When the kernel has no kprobes at all, kallsyms
//! tells which build option is off.

use super::error::{AttachError, Missing, NoTarget, Result};
use super::features::ProbeKind;
use super::link::Link;
use super::perf_event::attach_to_event;
use super::probe::{open_probe, ProbeFailure, ProbeMethod, ProbeRequest};
use corex_object::AttachKind;
use corex_sys::ProgFd;
use std::ffi::CString;

/// How to attach a kprobe, kretprobe, ksyscall or kretsyscall program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KprobeOptions {
    /// Bytes into the function (kprobes only; 0: its entry).
    pub offset: u64,
    /// A return probe (kretprobe, kretsyscall).
    pub retprobe: bool,
    /// The value `bpf_get_attach_cookie()` returns in the program.
    pub cookie: u64,
    /// PMU or tracefs.
    pub method: ProbeMethod,
}

/// Attaches `prog` (a kprobe program) to kernel function `function`, at
/// `options.offset`, or to its return with `options.retprobe`.
pub fn attach_kprobe(prog: &ProgFd, function: &str, options: &KprobeOptions) -> Result<Link> {
    let kind = if options.retprobe {
        AttachKind::Kretprobe
    } else {
        AttachKind::Kprobe
    };
    attach_kernel_probe(prog, kind, function, options)
}

/// Whether `name` can be a kernel symbol in a probe: no whitespace, NUL or
/// characters the tracefs probe syntax gives a meaning to.
fn is_symbol_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$'))
}

/// Attaches a kernel probe of `kind` (kprobe, kretprobe, ksyscall,
/// kretsyscall) on `function`.
pub(crate) fn attach_kernel_probe(
    prog: &ProgFd,
    kind: AttachKind,
    function: &str,
    options: &KprobeOptions,
) -> Result<Link> {
    let target = if options.offset == 0 {
        function.to_owned()
    } else {
        format!("{function}+{:#x}", options.offset)
    };
    let bad = |why: &str| AttachError::BadTarget {
        kind,
        target: target.clone(),
        why: why.into(),
    };
    if !is_symbol_name(function) {
        return Err(bad("not a kernel function name"));
    }
    if options.retprobe && options.offset != 0 {
        return Err(bad("a return probe takes no offset"));
    }
    let c_function = CString::new(function).map_err(|_| bad("has a NUL byte"))?;
    let tracefs_definition = if options.retprobe {
        function.to_owned()
    } else {
        format!("{function}+{}", options.offset)
    };
    let request = ProbeRequest {
        kind: ProbeKind::Kprobe,
        retprobe: options.retprobe,
        pmu_target: &c_function,
        offset: options.offset,
        tracefs_definition,
        label: function,
        pid: -1,
        method: options.method,
    };
    let (event, probe) = open_probe(&request).map_err(|failure| match failure {
        ProbeFailure::NoMechanism { no_tracefs } => AttachError::Unsupported {
            kind,
            missing: kprobes_missing(no_tracefs, &super::kernel_symbol),
            source: None,
        },
        ProbeFailure::Open(source) => {
            no_such_function(kind, function).unwrap_or(AttachError::Kernel {
                kind,
                target: target.clone(),
                source,
            })
        }
        ProbeFailure::Tracefs { path, error } => {
            no_such_function(kind, function).unwrap_or(AttachError::File {
                kind,
                path,
                source: error,
            })
        }
    })?;
    attach_to_event(prog, kind, &target, event, probe, options.cookie)
}

/// A "no such function" error when kallsyms is readable and lacks
/// `function`.
fn no_such_function(kind: AttachKind, function: &str) -> Option<AttachError> {
    (super::kernel_symbol(function) == Some(false)).then(|| AttachError::NoTarget {
        kind,
        target: NoTarget::KernelFunction {
            name: function.to_owned(),
        },
    })
}

/// What the kernel lacks when it has neither the kprobe PMU nor
/// `kprobe_events`: kprobes themselves (no `register_kprobe` in kallsyms,
/// which `symbol` answers, `None` when unreadable), the probe events, or
/// tracefs to reach them.
pub(crate) fn kprobes_missing(no_tracefs: bool, symbol: &dyn Fn(&str) -> Option<bool>) -> Missing {
    match symbol("register_kprobe") {
        Some(false) => Missing::Kprobes,
        _ if no_tracefs => Missing::ProbePmuAndTracefs,
        Some(true) => Missing::KprobeEvents,
        None => Missing::KprobeInterface,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_missing_is_decided_from_kallsyms() {
        let without = |_: &str| Some(false);
        let with = |name: &str| Some(name == "register_kprobe");
        let unreadable = |_: &str| None;
        assert_eq!(kprobes_missing(false, &without), Missing::Kprobes);
        assert_eq!(kprobes_missing(true, &without), Missing::Kprobes);
        assert_eq!(kprobes_missing(false, &with), Missing::KprobeEvents);
        assert_eq!(kprobes_missing(true, &with), Missing::ProbePmuAndTracefs);
        assert_eq!(
            kprobes_missing(false, &unreadable),
            Missing::KprobeInterface
        );
        assert_eq!(
            Missing::Kprobes.to_string(),
            "this kernel has no kprobes (CONFIG_KPROBES is off)"
        );
    }

    #[test]
    fn function_names_are_checked() {
        assert!(is_symbol_name("do_sys_openat2"));
        assert!(is_symbol_name("tcp_v4_connect.cold"));
        assert!(!is_symbol_name("a b"));
        assert!(!is_symbol_name("x:y"));
        assert!(!is_symbol_name(""));
    }
}
