//! What a program's ELF section name says about it: program type, attach
//! type and attach target, decided by libbpf 1.1's section table and its
//! matching rules (`"type+"`: `type` alone or `type/extras`; `"type/"`:
//! `type/extras` only; otherwise an exact name).

use std::fmt;

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
    /// The program type, as bpftool names it (`tracepoint`, `tracing`, `kprobe`, ...).
    pub prog_type: &'static str,
    /// The expected attach type, as bpftool names it, when there is one.
    pub attach_type: Option<&'static str>,
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
    prog_type: &'static str,
    attach_type: Option<&'static str>,
    kind: AttachKind,
    sleepable: bool,
    attach_type_optional: bool,
    attach_btf: bool,
    xdp_frags: bool,
}

const fn def(
    sec: &'static str,
    prog_type: &'static str,
    attach_type: Option<&'static str>,
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

/// libbpf 1.1's `section_defs`, in its order (the first match wins).
const SECTION_DEFS: &[SecDef] = &[
    def("socket", "socket_filter", None, K::Socket),
    def(
        "sk_reuseport/migrate",
        "sk_reuseport",
        Some("sk_reuseport_select_or_migrate"),
        K::Other,
    ),
    def(
        "sk_reuseport",
        "sk_reuseport",
        Some("sk_reuseport_select"),
        K::Other,
    ),
    def("kprobe+", "kprobe", None, K::Kprobe),
    def("uprobe+", "kprobe", None, K::Uprobe),
    sleepable(def("uprobe.s+", "kprobe", None, K::Uprobe)),
    def("kretprobe+", "kprobe", None, K::Kretprobe),
    def("uretprobe+", "kprobe", None, K::Uretprobe),
    sleepable(def("uretprobe.s+", "kprobe", None, K::Uretprobe)),
    def(
        "kprobe.multi+",
        "kprobe",
        Some("trace_kprobe_multi"),
        K::KprobeMulti,
    ),
    def(
        "kretprobe.multi+",
        "kprobe",
        Some("trace_kprobe_multi"),
        K::KretprobeMulti,
    ),
    def("ksyscall+", "kprobe", None, K::Ksyscall),
    def("kretsyscall+", "kprobe", None, K::Kretsyscall),
    def("usdt+", "kprobe", None, K::Usdt),
    def("tc", "sched_cls", None, K::Tc),
    def("classifier", "sched_cls", None, K::Tc),
    def("action", "sched_act", None, K::Tc),
    def("tracepoint+", "tracepoint", None, K::Tracepoint),
    def("tp+", "tracepoint", None, K::Tracepoint),
    def("raw_tracepoint+", "raw_tracepoint", None, K::RawTracepoint),
    def("raw_tp+", "raw_tracepoint", None, K::RawTracepoint),
    def(
        "raw_tracepoint.w+",
        "raw_tracepoint_writable",
        None,
        K::RawTracepointWritable,
    ),
    def(
        "raw_tp.w+",
        "raw_tracepoint_writable",
        None,
        K::RawTracepointWritable,
    ),
    btf(def("tp_btf+", "tracing", Some("trace_raw_tp"), K::TpBtf)),
    btf(def("fentry+", "tracing", Some("trace_fentry"), K::Fentry)),
    btf(def(
        "fmod_ret+",
        "tracing",
        Some("modify_return"),
        K::FmodRet,
    )),
    btf(def("fexit+", "tracing", Some("trace_fexit"), K::Fexit)),
    btf(sleepable(def(
        "fentry.s+",
        "tracing",
        Some("trace_fentry"),
        K::Fentry,
    ))),
    btf(sleepable(def(
        "fmod_ret.s+",
        "tracing",
        Some("modify_return"),
        K::FmodRet,
    ))),
    btf(sleepable(def(
        "fexit.s+",
        "tracing",
        Some("trace_fexit"),
        K::Fexit,
    ))),
    btf(def("freplace+", "ext", None, K::Freplace)),
    btf(def("lsm+", "lsm", Some("lsm_mac"), K::Lsm)),
    btf(sleepable(def("lsm.s+", "lsm", Some("lsm_mac"), K::Lsm))),
    btf(def("lsm_cgroup+", "lsm", Some("lsm_cgroup"), K::Lsm)),
    btf(def("iter+", "tracing", Some("trace_iter"), K::Iter)),
    btf(sleepable(def(
        "iter.s+",
        "tracing",
        Some("trace_iter"),
        K::Iter,
    ))),
    sleepable(def("syscall", "syscall", None, K::Syscall)),
    frags(def("xdp.frags/devmap", "xdp", Some("xdp_devmap"), K::Xdp)),
    def("xdp/devmap", "xdp", Some("xdp_devmap"), K::Xdp),
    frags(def("xdp.frags/cpumap", "xdp", Some("xdp_cpumap"), K::Xdp)),
    def("xdp/cpumap", "xdp", Some("xdp_cpumap"), K::Xdp),
    frags(def("xdp.frags", "xdp", Some("xdp"), K::Xdp)),
    optional(def("xdp", "xdp", Some("xdp"), K::Xdp)),
    def("perf_event", "perf_event", None, K::PerfEvent),
    def("lwt_in", "lwt_in", None, K::Other),
    def("lwt_out", "lwt_out", None, K::Other),
    def("lwt_xmit", "lwt_xmit", None, K::Other),
    def("lwt_seg6local", "lwt_seg6local", None, K::Other),
    optional(def(
        "sockops",
        "sock_ops",
        Some("cgroup_sock_ops"),
        K::Cgroup,
    )),
    optional(def(
        "sk_skb/stream_parser",
        "sk_skb",
        Some("sk_skb_stream_parser"),
        K::Other,
    )),
    optional(def(
        "sk_skb/stream_verdict",
        "sk_skb",
        Some("sk_skb_stream_verdict"),
        K::Other,
    )),
    def("sk_skb", "sk_skb", None, K::Other),
    optional(def("sk_msg", "sk_msg", Some("sk_msg_verdict"), K::Other)),
    optional(def(
        "lirc_mode2",
        "lirc_mode2",
        Some("lirc_mode2"),
        K::Other,
    )),
    optional(def(
        "flow_dissector",
        "flow_dissector",
        Some("flow_dissector"),
        K::Other,
    )),
    optional(def(
        "cgroup_skb/ingress",
        "cgroup_skb",
        Some("cgroup_inet_ingress"),
        K::Cgroup,
    )),
    optional(def(
        "cgroup_skb/egress",
        "cgroup_skb",
        Some("cgroup_inet_egress"),
        K::Cgroup,
    )),
    def("cgroup/skb", "cgroup_skb", None, K::Cgroup),
    def(
        "cgroup/sock_create",
        "cgroup_sock",
        Some("cgroup_inet_sock_create"),
        K::Cgroup,
    ),
    def(
        "cgroup/sock_release",
        "cgroup_sock",
        Some("cgroup_inet_sock_release"),
        K::Cgroup,
    ),
    optional(def(
        "cgroup/sock",
        "cgroup_sock",
        Some("cgroup_inet_sock_create"),
        K::Cgroup,
    )),
    def(
        "cgroup/post_bind4",
        "cgroup_sock",
        Some("cgroup_inet4_post_bind"),
        K::Cgroup,
    ),
    def(
        "cgroup/post_bind6",
        "cgroup_sock",
        Some("cgroup_inet6_post_bind"),
        K::Cgroup,
    ),
    def(
        "cgroup/bind4",
        "cgroup_sock_addr",
        Some("cgroup_inet4_bind"),
        K::Cgroup,
    ),
    def(
        "cgroup/bind6",
        "cgroup_sock_addr",
        Some("cgroup_inet6_bind"),
        K::Cgroup,
    ),
    def(
        "cgroup/connect4",
        "cgroup_sock_addr",
        Some("cgroup_inet4_connect"),
        K::Cgroup,
    ),
    def(
        "cgroup/connect6",
        "cgroup_sock_addr",
        Some("cgroup_inet6_connect"),
        K::Cgroup,
    ),
    def(
        "cgroup/sendmsg4",
        "cgroup_sock_addr",
        Some("cgroup_udp4_sendmsg"),
        K::Cgroup,
    ),
    def(
        "cgroup/sendmsg6",
        "cgroup_sock_addr",
        Some("cgroup_udp6_sendmsg"),
        K::Cgroup,
    ),
    def(
        "cgroup/recvmsg4",
        "cgroup_sock_addr",
        Some("cgroup_udp4_recvmsg"),
        K::Cgroup,
    ),
    def(
        "cgroup/recvmsg6",
        "cgroup_sock_addr",
        Some("cgroup_udp6_recvmsg"),
        K::Cgroup,
    ),
    def(
        "cgroup/getpeername4",
        "cgroup_sock_addr",
        Some("cgroup_inet4_getpeername"),
        K::Cgroup,
    ),
    def(
        "cgroup/getpeername6",
        "cgroup_sock_addr",
        Some("cgroup_inet6_getpeername"),
        K::Cgroup,
    ),
    def(
        "cgroup/getsockname4",
        "cgroup_sock_addr",
        Some("cgroup_inet4_getsockname"),
        K::Cgroup,
    ),
    def(
        "cgroup/getsockname6",
        "cgroup_sock_addr",
        Some("cgroup_inet6_getsockname"),
        K::Cgroup,
    ),
    def(
        "cgroup/sysctl",
        "cgroup_sysctl",
        Some("cgroup_sysctl"),
        K::Cgroup,
    ),
    def(
        "cgroup/getsockopt",
        "cgroup_sockopt",
        Some("cgroup_getsockopt"),
        K::Cgroup,
    ),
    def(
        "cgroup/setsockopt",
        "cgroup_sockopt",
        Some("cgroup_setsockopt"),
        K::Cgroup,
    ),
    optional(def(
        "cgroup/dev",
        "cgroup_device",
        Some("cgroup_device"),
        K::Cgroup,
    )),
    def("struct_ops+", "struct_ops", None, K::StructOps),
    def("sk_lookup", "sk_lookup", Some("sk_lookup"), K::Other),
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
        assert_eq!(attach_point("tp_btf/x").unwrap().prog_type, "tracing");
    }
}
