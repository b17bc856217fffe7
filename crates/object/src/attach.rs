//! What a program's ELF section name says about it: program type, attach
//! type and attach target, decided by libbpf 1.1's section table and its
//! matching rules (`"type+"`: `type` alone or `type/extras`; `"type/"`:
//! `type/extras` only; otherwise an exact name).

use std::fmt;

use corex_uapi::{AttachType, ProgType};

/// How a program attaches, as the section name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttachKind {
    /// `tracepoint/CAT/NAME`, `tp/CAT/NAME`.
    Tracepoint,
    /// `raw_tracepoint/NAME`, `raw_tp/NAME`.
    RawTracepoint,
    /// `raw_tracepoint.w/NAME`, `raw_tp.w/NAME`.
    RawTracepointWritable,
    /// `tp_btf/NAME`: a BTF-typed raw tracepoint.
    TpBtf,
    /// `kprobe/FUNC[+OFF]`.
    Kprobe,
    /// `kretprobe/FUNC`.
    Kretprobe,
    /// `kprobe.multi/PATTERN`.
    KprobeMulti,
    /// `kretprobe.multi/PATTERN`.
    KretprobeMulti,
    /// `ksyscall/NAME`.
    Ksyscall,
    /// `kretsyscall/NAME`.
    Kretsyscall,
    /// `uprobe[.s]/PATH:FUNC`.
    Uprobe,
    /// `uretprobe[.s]/PATH:FUNC`.
    Uretprobe,
    /// `usdt/PATH:PROVIDER:NAME`.
    Usdt,
    /// `fentry[.s]/FUNC`.
    Fentry,
    /// `fexit[.s]/FUNC`.
    Fexit,
    /// `fmod_ret[.s]/FUNC`.
    FmodRet,
    /// `freplace/FUNC`.
    Freplace,
    /// `lsm[.s]/HOOK`, `lsm_cgroup/HOOK`.
    Lsm,
    /// `iter[.s]/TARGET`.
    Iter,
    /// `xdp` and its variants.
    Xdp,
    /// `tc`, `classifier`, `action`.
    Tc,
    /// `socket`.
    Socket,
    /// `cgroup/...`, `cgroup_skb/...`.
    Cgroup,
    /// `perf_event`.
    PerfEvent,
    /// `struct_ops/NAME`.
    StructOps,
    /// `syscall`.
    Syscall,
    /// Network hooks attached by other means (`sk_skb`, `sk_msg`, `lwt_*`, ...).
    Other,
}

impl AttachKind {
    /// A short lowercase name (`tracepoint`, `kprobe.multi`, ...).
    pub fn name(self) -> &'static str {
        use AttachKind::*;
        match self {
            Tracepoint => "tracepoint",
            RawTracepoint => "raw_tracepoint",
            RawTracepointWritable => "raw_tracepoint.w",
            TpBtf => "tp_btf",
            Kprobe => "kprobe",
            Kretprobe => "kretprobe",
            KprobeMulti => "kprobe.multi",
            KretprobeMulti => "kretprobe.multi",
            Ksyscall => "ksyscall",
            Kretsyscall => "kretsyscall",
            Uprobe => "uprobe",
            Uretprobe => "uretprobe",
            Usdt => "usdt",
            Fentry => "fentry",
            Fexit => "fexit",
            FmodRet => "fmod_ret",
            Freplace => "freplace",
            Lsm => "lsm",
            Iter => "iter",
            Xdp => "xdp",
            Tc => "tc",
            Socket => "socket",
            Cgroup => "cgroup",
            PerfEvent => "perf_event",
            StructOps => "struct_ops",
            Syscall => "syscall",
            Other => "other",
        }
    }
}

impl fmt::Display for AttachKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A program's type and attach point, read from its section name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachPoint {
    /// How it attaches.
    pub kind: AttachKind,
    /// The program type (printed as bpftool names it: `tracepoint`, `tracing`, ...).
    pub prog_type: ProgType,
    /// The expected attach type, when there is one.
    pub attach_type: Option<AttachType>,
    /// What follows the section's `type/` prefix: `sched/sched_switch`,
    /// `do_unlinkat+16`, a glob pattern... `None` for a bare `type`.
    pub target: Option<String>,
    /// Sleepable (`.s` sections, `syscall`).
    pub sleepable: bool,
    /// libbpf drops the expected attach type on kernels that do not take
    /// one (`SEC_EXP_ATTACH_OPT`).
    pub attach_type_optional: bool,
    /// The attach target is a kernel BTF type resolved at load time
    /// (`SEC_ATTACH_BTF`: tp_btf, fentry, fexit, fmod_ret, lsm, iter, freplace).
    pub attach_btf: bool,
    /// An XDP program that handles multi-buffer packets (`SEC_XDP_FRAGS`).
    pub xdp_frags: bool,
}

struct SecDef {
    sec: &'static str,
    prog_type: ProgType,
    attach_type: Option<AttachType>,
    kind: AttachKind,
    sleepable: bool,
    attach_type_optional: bool,
    attach_btf: bool,
    xdp_frags: bool,
}

const fn def(
    sec: &'static str,
    prog_type: ProgType,
    attach_type: Option<AttachType>,
    kind: AttachKind,
) -> SecDef {
    SecDef {
        sec,
        prog_type,
        attach_type,
        kind,
        sleepable: false,
        attach_type_optional: false,
        attach_btf: false,
        xdp_frags: false,
    }
}

const fn sleepable(mut d: SecDef) -> SecDef {
    d.sleepable = true;
    d
}

/// libbpf's `SEC_ATTACHABLE_OPT`.
const fn optional(mut d: SecDef) -> SecDef {
    d.attach_type_optional = true;
    d
}

/// libbpf's `SEC_ATTACH_BTF`.
const fn btf(mut d: SecDef) -> SecDef {
    d.attach_btf = true;
    d
}

/// libbpf's `SEC_XDP_FRAGS`.
const fn frags(mut d: SecDef) -> SecDef {
    d.xdp_frags = true;
    d
}

use AttachKind as K;
use AttachType as A;
use ProgType as P;

/// libbpf 1.1's `section_defs`, in its order (the first match wins).
const SECTION_DEFS: &[SecDef] = &[
    def("socket", P::SOCKET_FILTER, None, K::Socket),
    def(
        "sk_reuseport/migrate",
        P::SK_REUSEPORT,
        Some(A::SK_REUSEPORT_SELECT_OR_MIGRATE),
        K::Other,
    ),
    def(
        "sk_reuseport",
        P::SK_REUSEPORT,
        Some(A::SK_REUSEPORT_SELECT),
        K::Other,
    ),
    def("kprobe+", P::KPROBE, None, K::Kprobe),
    def("uprobe+", P::KPROBE, None, K::Uprobe),
    sleepable(def("uprobe.s+", P::KPROBE, None, K::Uprobe)),
    def("kretprobe+", P::KPROBE, None, K::Kretprobe),
    def("uretprobe+", P::KPROBE, None, K::Uretprobe),
    sleepable(def("uretprobe.s+", P::KPROBE, None, K::Uretprobe)),
    def(
        "kprobe.multi+",
        P::KPROBE,
        Some(A::TRACE_KPROBE_MULTI),
        K::KprobeMulti,
    ),
    def(
        "kretprobe.multi+",
        P::KPROBE,
        Some(A::TRACE_KPROBE_MULTI),
        K::KretprobeMulti,
    ),
    def("ksyscall+", P::KPROBE, None, K::Ksyscall),
    def("kretsyscall+", P::KPROBE, None, K::Kretsyscall),
    def("usdt+", P::KPROBE, None, K::Usdt),
    def("tc", P::SCHED_CLS, None, K::Tc),
    def("classifier", P::SCHED_CLS, None, K::Tc),
    def("action", P::SCHED_ACT, None, K::Tc),
    def("tracepoint+", P::TRACEPOINT, None, K::Tracepoint),
    def("tp+", P::TRACEPOINT, None, K::Tracepoint),
    def("raw_tracepoint+", P::RAW_TRACEPOINT, None, K::RawTracepoint),
    def("raw_tp+", P::RAW_TRACEPOINT, None, K::RawTracepoint),
    def(
        "raw_tracepoint.w+",
        P::RAW_TRACEPOINT_WRITABLE,
        None,
        K::RawTracepointWritable,
    ),
    def(
        "raw_tp.w+",
        P::RAW_TRACEPOINT_WRITABLE,
        None,
        K::RawTracepointWritable,
    ),
    btf(def("tp_btf+", P::TRACING, Some(A::TRACE_RAW_TP), K::TpBtf)),
    btf(def("fentry+", P::TRACING, Some(A::TRACE_FENTRY), K::Fentry)),
    btf(def(
        "fmod_ret+",
        P::TRACING,
        Some(A::MODIFY_RETURN),
        K::FmodRet,
    )),
    btf(def("fexit+", P::TRACING, Some(A::TRACE_FEXIT), K::Fexit)),
    btf(sleepable(def(
        "fentry.s+",
        P::TRACING,
        Some(A::TRACE_FENTRY),
        K::Fentry,
    ))),
    btf(sleepable(def(
        "fmod_ret.s+",
        P::TRACING,
        Some(A::MODIFY_RETURN),
        K::FmodRet,
    ))),
    btf(sleepable(def(
        "fexit.s+",
        P::TRACING,
        Some(A::TRACE_FEXIT),
        K::Fexit,
    ))),
    btf(def("freplace+", P::EXT, None, K::Freplace)),
    btf(def("lsm+", P::LSM, Some(A::LSM_MAC), K::Lsm)),
    btf(sleepable(def("lsm.s+", P::LSM, Some(A::LSM_MAC), K::Lsm))),
    btf(def("lsm_cgroup+", P::LSM, Some(A::LSM_CGROUP), K::Lsm)),
    btf(def("iter+", P::TRACING, Some(A::TRACE_ITER), K::Iter)),
    btf(sleepable(def(
        "iter.s+",
        P::TRACING,
        Some(A::TRACE_ITER),
        K::Iter,
    ))),
    sleepable(def("syscall", P::SYSCALL, None, K::Syscall)),
    frags(def("xdp.frags/devmap", P::XDP, Some(A::XDP_DEVMAP), K::Xdp)),
    def("xdp/devmap", P::XDP, Some(A::XDP_DEVMAP), K::Xdp),
    frags(def("xdp.frags/cpumap", P::XDP, Some(A::XDP_CPUMAP), K::Xdp)),
    def("xdp/cpumap", P::XDP, Some(A::XDP_CPUMAP), K::Xdp),
    frags(def("xdp.frags", P::XDP, Some(A::XDP), K::Xdp)),
    optional(def("xdp", P::XDP, Some(A::XDP), K::Xdp)),
    def("perf_event", P::PERF_EVENT, None, K::PerfEvent),
    def("lwt_in", P::LWT_IN, None, K::Other),
    def("lwt_out", P::LWT_OUT, None, K::Other),
    def("lwt_xmit", P::LWT_XMIT, None, K::Other),
    def("lwt_seg6local", P::LWT_SEG6LOCAL, None, K::Other),
    optional(def(
        "sockops",
        P::SOCK_OPS,
        Some(A::CGROUP_SOCK_OPS),
        K::Cgroup,
    )),
    optional(def(
        "sk_skb/stream_parser",
        P::SK_SKB,
        Some(A::SK_SKB_STREAM_PARSER),
        K::Other,
    )),
    optional(def(
        "sk_skb/stream_verdict",
        P::SK_SKB,
        Some(A::SK_SKB_STREAM_VERDICT),
        K::Other,
    )),
    def("sk_skb", P::SK_SKB, None, K::Other),
    optional(def("sk_msg", P::SK_MSG, Some(A::SK_MSG_VERDICT), K::Other)),
    optional(def(
        "lirc_mode2",
        P::LIRC_MODE2,
        Some(A::LIRC_MODE2),
        K::Other,
    )),
    optional(def(
        "flow_dissector",
        P::FLOW_DISSECTOR,
        Some(A::FLOW_DISSECTOR),
        K::Other,
    )),
    optional(def(
        "cgroup_skb/ingress",
        P::CGROUP_SKB,
        Some(A::CGROUP_INET_INGRESS),
        K::Cgroup,
    )),
    optional(def(
        "cgroup_skb/egress",
        P::CGROUP_SKB,
        Some(A::CGROUP_INET_EGRESS),
        K::Cgroup,
    )),
    def("cgroup/skb", P::CGROUP_SKB, None, K::Cgroup),
    def(
        "cgroup/sock_create",
        P::CGROUP_SOCK,
        Some(A::CGROUP_INET_SOCK_CREATE),
        K::Cgroup,
    ),
    def(
        "cgroup/sock_release",
        P::CGROUP_SOCK,
        Some(A::CGROUP_INET_SOCK_RELEASE),
        K::Cgroup,
    ),
    optional(def(
        "cgroup/sock",
        P::CGROUP_SOCK,
        Some(A::CGROUP_INET_SOCK_CREATE),
        K::Cgroup,
    )),
    def(
        "cgroup/post_bind4",
        P::CGROUP_SOCK,
        Some(A::CGROUP_INET4_POST_BIND),
        K::Cgroup,
    ),
    def(
        "cgroup/post_bind6",
        P::CGROUP_SOCK,
        Some(A::CGROUP_INET6_POST_BIND),
        K::Cgroup,
    ),
    def(
        "cgroup/bind4",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET4_BIND),
        K::Cgroup,
    ),
    def(
        "cgroup/bind6",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET6_BIND),
        K::Cgroup,
    ),
    def(
        "cgroup/connect4",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET4_CONNECT),
        K::Cgroup,
    ),
    def(
        "cgroup/connect6",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET6_CONNECT),
        K::Cgroup,
    ),
    def(
        "cgroup/sendmsg4",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_UDP4_SENDMSG),
        K::Cgroup,
    ),
    def(
        "cgroup/sendmsg6",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_UDP6_SENDMSG),
        K::Cgroup,
    ),
    def(
        "cgroup/recvmsg4",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_UDP4_RECVMSG),
        K::Cgroup,
    ),
    def(
        "cgroup/recvmsg6",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_UDP6_RECVMSG),
        K::Cgroup,
    ),
    def(
        "cgroup/getpeername4",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET4_GETPEERNAME),
        K::Cgroup,
    ),
    def(
        "cgroup/getpeername6",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET6_GETPEERNAME),
        K::Cgroup,
    ),
    def(
        "cgroup/getsockname4",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET4_GETSOCKNAME),
        K::Cgroup,
    ),
    def(
        "cgroup/getsockname6",
        P::CGROUP_SOCK_ADDR,
        Some(A::CGROUP_INET6_GETSOCKNAME),
        K::Cgroup,
    ),
    def(
        "cgroup/sysctl",
        P::CGROUP_SYSCTL,
        Some(A::CGROUP_SYSCTL),
        K::Cgroup,
    ),
    def(
        "cgroup/getsockopt",
        P::CGROUP_SOCKOPT,
        Some(A::CGROUP_GETSOCKOPT),
        K::Cgroup,
    ),
    def(
        "cgroup/setsockopt",
        P::CGROUP_SOCKOPT,
        Some(A::CGROUP_SETSOCKOPT),
        K::Cgroup,
    ),
    optional(def(
        "cgroup/dev",
        P::CGROUP_DEVICE,
        Some(A::CGROUP_DEVICE),
        K::Cgroup,
    )),
    def("struct_ops+", P::STRUCT_OPS, None, K::StructOps),
    def("sk_lookup", P::SK_LOOKUP, Some(A::SK_LOOKUP), K::Other),
];

/// Whether `name` matches a section pattern, by libbpf's `sec_def_matches`.
/// Returns the attach target (what follows `type/`) on a match.
fn matches<'n>(pattern: &str, name: &'n str) -> Option<Option<&'n str>> {
    if let Some(prefix) = pattern.strip_suffix('+') {
        let rest = name.strip_prefix(prefix)?;
        return match rest.strip_prefix('/') {
            Some(target) => Some(Some(target)),
            None if rest.is_empty() => Some(None),
            None => None,
        };
    }
    if pattern.ends_with('/') {
        return name.strip_prefix(pattern).map(Some);
    }
    (name == pattern).then_some(None)
}

/// The program type and attach point libbpf derives from a section name,
/// or `None` when libbpf does not recognise it. A leading `?` (libbpf's
/// "do not load by default" marker) is ignored here.
pub fn attach_point(section: &str) -> Option<AttachPoint> {
    let name = section.strip_prefix('?').unwrap_or(section);
    SECTION_DEFS.iter().find_map(|d| {
        let target = matches(d.sec, name)?;
        Some(AttachPoint {
            kind: d.kind,
            prog_type: d.prog_type,
            attach_type: d.attach_type,
            target: target.map(str::to_owned),
            sleepable: d.sleepable,
            attach_type_optional: d.attach_type_optional,
            attach_btf: d.attach_btf,
            xdp_frags: d.xdp_frags,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_target(sec: &str) -> Option<(AttachKind, Option<String>)> {
        attach_point(sec).map(|a| (a.kind, a.target))
    }

    #[test]
    fn libbpf_section_names() {
        let t = |s: &str| Some(s.to_owned());
        assert_eq!(
            kind_target("tracepoint/sched/sched_switch"),
            Some((K::Tracepoint, t("sched/sched_switch")))
        );
        assert_eq!(
            kind_target("tp/syscalls/sys_enter_execve"),
            Some((K::Tracepoint, t("syscalls/sys_enter_execve")))
        );
        assert_eq!(
            kind_target("raw_tp/sched_switch"),
            Some((K::RawTracepoint, t("sched_switch")))
        );
        assert_eq!(
            kind_target("raw_tracepoint.w/x"),
            Some((K::RawTracepointWritable, t("x")))
        );
        assert_eq!(
            kind_target("tp_btf/sched_switch"),
            Some((K::TpBtf, t("sched_switch")))
        );
        assert_eq!(
            kind_target("kprobe/do_unlinkat+4"),
            Some((K::Kprobe, t("do_unlinkat+4")))
        );
        assert_eq!(
            kind_target("kretprobe/do_unlinkat"),
            Some((K::Kretprobe, t("do_unlinkat")))
        );
        assert_eq!(
            kind_target("kprobe.multi/tcp_*"),
            Some((K::KprobeMulti, t("tcp_*")))
        );
        assert_eq!(
            kind_target("kretprobe.multi/tcp_*"),
            Some((K::KretprobeMulti, t("tcp_*")))
        );
        assert_eq!(
            kind_target("fentry/do_exit"),
            Some((K::Fentry, t("do_exit")))
        );
        assert_eq!(kind_target("fexit/do_exit"), Some((K::Fexit, t("do_exit"))));
        assert_eq!(
            kind_target("uprobe//bin/bash:readline"),
            Some((K::Uprobe, t("/bin/bash:readline")))
        );
        assert_eq!(kind_target("xdp"), Some((K::Xdp, None)));
        assert_eq!(kind_target("tc"), Some((K::Tc, None)));
        assert_eq!(kind_target("socket"), Some((K::Socket, None)));
        assert_eq!(kind_target("kprobe"), Some((K::Kprobe, None)));
        assert_eq!(kind_target("?tp_btf/x"), Some((K::TpBtf, t("x"))));
        assert!(attach_point("fentry.s/f").unwrap().sleepable);
        // "type+" needs a '/' separator; exact names must be exact.
        assert_eq!(kind_target("kprobex"), None);
        assert_eq!(kind_target("xdp_foo"), None);
        assert_eq!(kind_target(".text"), None);
        assert_eq!(attach_point("tp_btf/x").unwrap().prog_type, P::TRACING);
        assert_eq!(
            attach_point("tp_btf/x").unwrap().attach_type,
            Some(A::TRACE_RAW_TP)
        );
    }
}
