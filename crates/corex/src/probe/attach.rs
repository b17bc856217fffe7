//! Attach kinds, each tried: a no-op program of the kind is loaded and,
//! where attaching cannot disturb anything, attached and detached at once.
//! kprobes and uprobes need their perf PMU; kprobe.multi is asked for a
//! function no kernel has, so the errno tells whether the kernel would
//! have looked it up (as libbpf's multi-link probes read their errno).

use std::ffi::CString;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use corex_btf::Kind;
use corex_sys::{Errno, LinkFd, LinkTarget, PerfEventFd, PerfEventKind, PerfEventOpen, ProgFd};
use corex_uapi::{AttachType, HelperId, ProgType};

use super::asm;
use super::programs::Attempt;
use super::{from_call, usual_cause, Availability, Cause, Missing};
use crate::Kernel;

/// The attach kinds `corex probe` lists, in order.
pub(super) const KINDS: [&str; 9] = [
    "tracepoint",
    "raw_tracepoint",
    "tp_btf",
    "fentry",
    "kprobe",
    "kprobe.multi",
    "uprobe",
    "perf_link",
    "bpf_cookie",
];

/// The tracepoint every probe of a tracepoint kind uses (every kernel has it).
const TRACEPOINT: (&str, &str) = ("sched", "sched_process_exec");

/// Functions an fentry probe may load against, the first vmlinux has.
const FENTRY_TARGETS: [&str; 3] = ["bpf_fentry_test1", "do_unlinkat", "vfs_read"];

/// Probes attach kind `kind` (one of [`KINDS`]).
pub(super) fn probe(kernel: &Kernel, kind: &str) -> Availability {
    match kind {
        "tracepoint" => tracepoint(kernel),
        "raw_tracepoint" => raw_tracepoint(),
        "tp_btf" => tp_btf(kernel),
        "fentry" => fentry(kernel),
        "kprobe" => pmu_presence("kprobe"),
        "kprobe.multi" => kprobe_multi(),
        "uprobe" => pmu_presence("uprobe"),
        "perf_link" => perf_link(),
        "bpf_cookie" => bpf_cookie(kernel.version_code()),
        _ => Availability::Missing(Missing {
            errno: None,
            cause: Cause::Unexpected {
                what: format!("no probe for attach kind {kind}"),
            },
        }),
    }
}

fn missing(errno: Option<Errno>, cause: Cause) -> Availability {
    Availability::Missing(Missing { errno, cause })
}

/// Loads `attempt`, or says what the kind requires.
fn load(
    attempt: &Attempt,
    cause: impl FnOnce(Option<Errno>) -> Cause,
) -> Result<ProgFd, Availability> {
    attempt
        .load(false)
        .0
        .map_err(|e| missing(e.errno(), cause(e.errno())))
}

/// Where tracefs is mounted (`/sys/kernel/tracing`, or under debugfs).
pub(crate) fn tracefs() -> Option<PathBuf> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.join("events").is_dir())
}

fn tracepoint(kernel: &Kernel) -> Availability {
    let Some(tracefs) = tracefs() else {
        return missing(None, Cause::NoTracefs);
    };
    let id_file = tracefs
        .join("events")
        .join(TRACEPOINT.0)
        .join(TRACEPOINT.1)
        .join("id");
    let Some(id) = std::fs::read_to_string(&id_file)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
    else {
        return missing(
            None,
            Cause::NoTarget {
                what: format!("{} cannot be read", id_file.display()),
            },
        );
    };
    let prog = match load(
        &Attempt::new(ProgType::TRACEPOINT, asm::return_zero()),
        usual_cause,
    ) {
        Ok(p) => p,
        Err(a) => return a,
    };
    let event = match PerfEventFd::open(&PerfEventOpen::new(PerfEventKind::Tracepoint { id }, 0)) {
        Ok(e) => e,
        Err(e) => return missing(e.errno(), usual_cause(e.errno())),
    };
    if kernel.features().has(corex_object::load::Feature::PerfLink) {
        let target = LinkTarget::PerfEvent {
            event: &event,
            cookie: 0,
        };
        from_call(LinkFd::create(&prog, target), usual_cause)
    } else {
        from_call(event.set_bpf(&prog), usual_cause)
    }
}

fn raw_tracepoint() -> Availability {
    let prog = match load(
        &Attempt::new(ProgType::RAW_TRACEPOINT, asm::return_zero()),
        usual_cause,
    ) {
        Ok(p) => p,
        Err(a) => return a,
    };
    let name = CString::new(TRACEPOINT.1).expect("no NUL");
    from_call(LinkFd::raw_tracepoint(&prog, Some(&name)), usual_cause)
}

/// The id of `name` of `kind` in vmlinux BTF, or why there is none.
fn btf_target(kernel: &Kernel, kind: Kind, names: &[&str]) -> Result<u32, Availability> {
    let btf = kernel.vmlinux_btf().map_err(|_| {
        missing(
            None,
            Cause::Requires {
                what: "vmlinux BTF",
            },
        )
    })?;
    names
        .iter()
        .find_map(|n| btf.find(kind, n))
        .map(|id| id.0)
        .ok_or_else(|| {
            missing(
                None,
                Cause::NoTarget {
                    what: format!("vmlinux BTF has none of {}", names.join(", ")),
                },
            )
        })
}

fn tp_btf(kernel: &Kernel) -> Availability {
    let typedef = format!("btf_trace_{}", TRACEPOINT.1);
    let id = match btf_target(kernel, Kind::Typedef, &[&typedef]) {
        Ok(id) => id,
        Err(a) => return a,
    };
    let mut attempt = Attempt::new(ProgType::TRACING, asm::return_zero());
    attempt.expected_attach_type = Some(AttachType::TRACE_RAW_TP);
    attempt.attach_btf_id = id;
    let prog = match load(&attempt, usual_cause) {
        Ok(p) => p,
        Err(a) => return a,
    };
    from_call(LinkFd::raw_tracepoint(&prog, None), usual_cause)
}

/// fentry: EPERM where the kernel refuses BPF trampolines (at load or at
/// attach), ENOTSUPP where the architecture has none.
fn fentry(kernel: &Kernel) -> Availability {
    let trampolines = |errno: Option<Errno>| match errno {
        Some(Errno::EPERM) => Cause::TrampolinesRefused { tried: "fentry" },
        Some(Errno::ENOTSUPP | Errno::EOPNOTSUPP) => Cause::NotBuiltIn {
            config: Some("BPF trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)"),
        },
        e => usual_cause(e),
    };
    let id = match btf_target(kernel, Kind::Func, &FENTRY_TARGETS) {
        Ok(id) => id,
        Err(a) => return a,
    };
    let mut attempt = Attempt::new(ProgType::TRACING, asm::return_zero());
    attempt.expected_attach_type = Some(AttachType::TRACE_FENTRY);
    attempt.attach_btf_id = id;
    let prog = match load(&attempt, trampolines) {
        Ok(p) => p,
        Err(a) => return a,
    };
    from_call(LinkFd::raw_tracepoint(&prog, None), trampolines)
}

fn pmu_dir(pmu: &str) -> PathBuf {
    Path::new("/sys/bus/event_source/devices").join(pmu)
}

/// The type number of perf PMU `pmu` (`kprobe`, `uprobe`), if it exists.
fn pmu_type(pmu: &str) -> Option<u32> {
    std::fs::read_to_string(pmu_dir(pmu).join("type"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The kprobe PMU's type number, if this kernel has kprobes.
pub(super) fn kprobe_pmu() -> Option<u32> {
    pmu_type("kprobe")
}

/// Opens (and closes) a kprobe on `function` for this process, as libbpf
/// does to detect syscall wrappers.
pub(super) fn open_kprobe(pmu: u32, function: &str) -> corex_sys::Result<PerfEventFd> {
    let name = CString::new(function).expect("function names have no NUL");
    let kind = PerfEventKind::Probe {
        pmu_type: pmu,
        config: 0,
        target: Some(&name),
        offset: 0,
    };
    let mut open = PerfEventOpen::new(kind, -1);
    open.pid = std::process::id() as i32;
    PerfEventFd::open(&open)
}

fn pmu_presence(pmu: &'static str) -> Availability {
    match pmu_type(pmu) {
        Some(_) => Availability::Supported,
        None => missing(None, Cause::NoPmu { pmu }),
    }
}

/// kprobe.multi: a link asked for a function no kernel has. ENOENT or
/// ESRCH means the kernel looked the name up (it has kprobe.multi);
/// EOPNOTSUPP that it was built without fprobe; EINVAL that it does not
/// know this link type.
fn kprobe_multi() -> Availability {
    let mut attempt = Attempt::new(ProgType::KPROBE, asm::return_zero());
    attempt.expected_attach_type = Some(AttachType::TRACE_KPROBE_MULTI);
    let prog = match load(&attempt, usual_cause) {
        Ok(p) => p,
        Err(a) => return a,
    };
    let symbols = [c"corex_probe_no_such_function"];
    let target = LinkTarget::KprobeMulti {
        symbols: &symbols,
        addresses: &[],
        cookies: &[],
        retprobe: false,
    };
    match LinkFd::create(&prog, target) {
        Ok(_) => Availability::Supported,
        Err(e) => match e.errno() {
            Some(Errno::ENOENT | Errno::ESRCH) => Availability::Supported,
            Some(Errno::EOPNOTSUPP | Errno::ENOTSUPP) => missing(
                e.errno(),
                Cause::NotBuiltIn {
                    config: Some("fprobe (CONFIG_FPROBE)"),
                },
            ),
            errno => missing(errno, usual_cause(errno)),
        },
    }
}

/// libbpf's `probe_perf_link`: a perf link to something that is not a
/// perf event gives EBADF where perf links exist, EINVAL where not.
pub(super) fn perf_link() -> Availability {
    let prog = match load(
        &Attempt::new(ProgType::TRACEPOINT, asm::return_zero()),
        usual_cause,
    ) {
        Ok(p) => p,
        Err(a) => return a,
    };
    let not_an_event = match std::fs::File::open("/dev/null") {
        Ok(f) => f,
        Err(e) => {
            return missing(
                None,
                Cause::Unexpected {
                    what: format!("/dev/null: {e}"),
                },
            )
        }
    };
    let target = LinkTarget::Fd {
        target: not_an_event.as_fd(),
        attach_type: AttachType::PERF_EVENT,
        flags: 0,
    };
    match LinkFd::create(&prog, target) {
        Err(e) if e.errno() == Some(Errno::EBADF) => Availability::Supported,
        Err(e) => missing(e.errno(), usual_cause(e.errno())),
        Ok(_) => missing(
            None,
            Cause::Unexpected {
                what: "a perf link to /dev/null was made".into(),
            },
        ),
    }
}

/// libbpf's `probe_kern_bpf_cookie`: a kprobe program calling
/// `bpf_get_attach_cookie`.
pub(super) fn bpf_cookie(kern_version: u32) -> Availability {
    let mut attempt = Attempt::new(
        ProgType::KPROBE,
        asm::call_then_exit(HelperId::GET_ATTACH_COOKIE.0),
    );
    attempt.kern_version = kern_version;
    from_call(attempt.load(false).0, usual_cause)
}
