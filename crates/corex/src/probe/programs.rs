//! Program types and helpers, probed as libbpf 1.1 probes them
//! (`libbpf_probe_bpf_prog_type`, `libbpf_probe_bpf_helper`): the smallest
//! valid program of each type is loaded with the attributes its type
//! needs; for a helper, a program that calls it is loaded with a verifier
//! log, and only the verifier's "this helper does not exist / is not for
//! this program type" counts as missing.

use corex_object::Insn;
use corex_sys::{Errno, ProgFd, ProgLoad, VerifierLog};
use corex_uapi::{AttachType, HelperId, ProgType};

use super::{asm, usual_cause, Availability, Cause, Missing};

/// One probe program to load.
#[derive(Clone, Debug)]
pub(super) struct Attempt {
    pub prog_type: ProgType,
    pub insns: Vec<Insn>,
    pub expected_attach_type: Option<AttachType>,
    pub attach_btf_id: u32,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub name: &'static str,
}

impl Attempt {
    /// `insns` as a program of `prog_type`, nothing else set.
    pub fn new(prog_type: ProgType, insns: Vec<Insn>) -> Attempt {
        Attempt {
            prog_type,
            insns,
            expected_attach_type: None,
            attach_btf_id: 0,
            kern_version: 0,
            prog_flags: 0,
            name: "",
        }
    }

    /// Loads it; with `log`, the verifier's log comes back too.
    pub fn load(&self, log: bool) -> (Result<ProgFd, corex_sys::Error>, String) {
        let bytes = asm::bytes(&self.insns);
        let mut buf = vec![0u8; if log { 4096 } else { 0 }];
        let mut load = ProgLoad::new(self.prog_type, &bytes, c"GPL");
        load.expected_attach_type = self.expected_attach_type;
        load.attach_btf_id = self.attach_btf_id;
        load.kern_version = self.kern_version;
        load.prog_flags = self.prog_flags;
        load.name = self.name;
        if log {
            load.log = Some(VerifierLog::new(&mut buf, 1));
        }
        let result = ProgFd::load(&mut load);
        let text = load.log.map(|l| l.text()).unwrap_or_default();
        (result, text)
    }
}

/// What libbpf's `probe_prog_load` expects of a program type: the load
/// succeeds, or (for types that need a real attach target) fails with this
/// errno and log message.
struct Expectation {
    attempt: Attempt,
    refusal: Option<(Errno, &'static str)>,
    /// For types loaded with a BPF trampoline's attach type: its kind.
    trampoline: Option<&'static str>,
}

/// libbpf's attributes for probing `prog_type`; `None` for types libbpf
/// does not probe.
fn expectation(prog_type: ProgType, kern_version: u32) -> Option<Expectation> {
    let mut attempt = Attempt::new(prog_type, asm::return_zero());
    let mut refusal = None;
    let mut trampoline = None;
    let expected = match prog_type {
        ProgType::CGROUP_SOCK_ADDR => Some(AttachType::CGROUP_INET4_CONNECT),
        ProgType::CGROUP_SOCKOPT => Some(AttachType::CGROUP_GETSOCKOPT),
        ProgType::SK_LOOKUP => Some(AttachType::SK_LOOKUP),
        ProgType::LIRC_MODE2 => Some(AttachType::LIRC_MODE2),
        ProgType::NETFILTER => Some(AttachType::NETFILTER),
        ProgType::TRACING => {
            attempt.attach_btf_id = 1;
            refusal = Some((Errno::EINVAL, "attach_btf_id 1 is not a function"));
            trampoline = Some("fentry");
            Some(AttachType::TRACE_FENTRY)
        }
        ProgType::LSM => {
            attempt.attach_btf_id = 1;
            refusal = Some((Errno::EINVAL, "attach_btf_id 1 is not a function"));
            trampoline = Some("fmod_ret");
            Some(AttachType::MODIFY_RETURN)
        }
        ProgType::EXT => {
            attempt.attach_btf_id = 1;
            refusal = Some((Errno::EINVAL, "Cannot replace kernel functions"));
            trampoline = Some("freplace");
            None
        }
        ProgType::STRUCT_OPS => {
            refusal = Some((Errno::ENOTSUPP, ""));
            None
        }
        ProgType::SYSCALL => {
            attempt.prog_flags = corex_uapi::flags::prog::SLEEPABLE;
            None
        }
        ProgType::KPROBE => {
            attempt.kern_version = kern_version;
            None
        }
        ProgType::UNSPEC => return None,
        t if !t.is_known() => return None,
        _ => None,
    };
    attempt.expected_attach_type = expected;
    Some(Expectation {
        attempt,
        refusal,
        trampoline,
    })
}

/// Every program type this crate knows, probed.
pub(super) fn probe_types(kern_version: u32) -> Vec<(ProgType, Availability)> {
    ProgType::KNOWN
        .iter()
        .filter_map(|&t| Some((t, probe_type(expectation(t, kern_version)?))))
        .collect()
}

fn probe_type(exp: Expectation) -> Availability {
    let (result, log) = exp.attempt.load(exp.refusal.is_some());
    let Some((errno, message)) = exp.refusal else {
        return super::from_call(result, usual_cause);
    };
    match result {
        Err(e) if e.errno() == Some(errno) && log.contains(message) => Availability::Supported,
        Err(e) => Availability::Missing(Missing {
            errno: e.errno(),
            cause: match (e.errno(), exp.trampoline) {
                (Some(Errno::EPERM), Some(tried)) => Cause::TrampolinesRefused { tried },
                (errno, _) => usual_cause(errno),
            },
        }),
        Ok(_) => Availability::Missing(Missing {
            errno: None,
            cause: Cause::Unexpected {
                what: "a program without a valid attach target loaded".into(),
            },
        }),
    }
}

/// The helpers a tracer calls (execsnoop and the seed's lab among them).
pub(crate) const TRACER_HELPERS: [HelperId; 22] = [
    HelperId::MAP_LOOKUP_ELEM,
    HelperId::MAP_UPDATE_ELEM,
    HelperId::MAP_DELETE_ELEM,
    HelperId::KTIME_GET_NS,
    HelperId::TRACE_PRINTK,
    HelperId::GET_CURRENT_PID_TGID,
    HelperId::GET_CURRENT_UID_GID,
    HelperId::GET_CURRENT_COMM,
    HelperId::PERF_EVENT_OUTPUT,
    HelperId::GET_STACKID,
    HelperId::GET_CURRENT_TASK,
    HelperId::CURRENT_TASK_UNDER_CGROUP,
    HelperId::GET_CURRENT_CGROUP_ID,
    HelperId::PROBE_READ_USER,
    HelperId::PROBE_READ_KERNEL,
    HelperId::PROBE_READ_USER_STR,
    HelperId::PROBE_READ_KERNEL_STR,
    HelperId::RINGBUF_OUTPUT,
    HelperId::RINGBUF_RESERVE,
    HelperId::RINGBUF_SUBMIT,
    HelperId::GET_CURRENT_TASK_BTF,
    HelperId::GET_ATTACH_COOKIE,
];

/// The program types a tracer's helpers are probed for.
pub(crate) const TRACER_PROGRAM_TYPES: [ProgType; 3] = [
    ProgType::TRACEPOINT,
    ProgType::RAW_TRACEPOINT,
    ProgType::KPROBE,
];

/// Whether `helper` can be called from programs of `prog_type`
/// (`libbpf_probe_bpf_helper`, with the newer verifier's wording too).
pub(super) fn probe_helper(
    prog_type: ProgType,
    helper: HelperId,
    kern_version: u32,
) -> Availability {
    let Some(mut exp) = expectation(prog_type, kern_version) else {
        return Availability::Missing(Missing {
            errno: None,
            cause: Cause::Unexpected {
                what: format!("corex does not probe helpers for {prog_type} programs"),
            },
        });
    };
    exp.attempt.insns = asm::call_then_exit(helper.0);
    let (result, log) = exp.attempt.load(true);
    if result.is_ok() {
        return Availability::Supported;
    }
    let line = |needle: &str| {
        log.lines()
            .find(|l| l.contains(needle))
            .map(|l| l.trim().to_owned())
    };
    let errno = result.err().and_then(|e| e.errno());
    if let Some(verifier) = line("invalid func ") {
        return Availability::Missing(Missing {
            errno,
            cause: Cause::HelperUnknown { verifier },
        });
    }
    if let Some(verifier) = line("unknown func ").or_else(|| line("cannot use helper ")) {
        return Availability::Missing(Missing {
            errno,
            cause: Cause::HelperNotAllowed { verifier },
        });
    }
    if log.is_empty() && errno.is_some_and(|e| e != Errno::EACCES && e != Errno::EINVAL) {
        // The program type itself was refused (no verifier log at all).
        return Availability::Missing(Missing {
            errno,
            cause: usual_cause(errno),
        });
    }
    // Any other verifier complaint (arguments, return value) means it
    // knows the helper and allows it here.
    Availability::Supported
}
