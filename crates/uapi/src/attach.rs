//! `enum bpf_attach_type`: attach types, with the names bpftool prints.

use crate::kernel_enum::kernel_enum;

kernel_enum! {
    /// An attach type (`enum bpf_attach_type`), printed as bpftool prints it
    /// (`trace_fentry`, `perf_event`); an unknown number prints as
    /// `attach_type N`.
    ///
    /// Value 0 is `BPF_CGROUP_INET_INGRESS`: the kernel also reads 0 as
    /// "no expected attach type" for program types that take none.
    pub struct AttachType(u32): "enum bpf_attach_type", unknown "attach_type {}";
    CGROUP_INET_INGRESS = 0, "cgroup_inet_ingress", "BPF_CGROUP_INET_INGRESS";
    CGROUP_INET_EGRESS = 1, "cgroup_inet_egress", "BPF_CGROUP_INET_EGRESS";
    CGROUP_INET_SOCK_CREATE = 2, "cgroup_inet_sock_create", "BPF_CGROUP_INET_SOCK_CREATE";
    CGROUP_SOCK_OPS = 3, "cgroup_sock_ops", "BPF_CGROUP_SOCK_OPS";
    SK_SKB_STREAM_PARSER = 4, "sk_skb_stream_parser", "BPF_SK_SKB_STREAM_PARSER";
    SK_SKB_STREAM_VERDICT = 5, "sk_skb_stream_verdict", "BPF_SK_SKB_STREAM_VERDICT";
    CGROUP_DEVICE = 6, "cgroup_device", "BPF_CGROUP_DEVICE";
    SK_MSG_VERDICT = 7, "sk_msg_verdict", "BPF_SK_MSG_VERDICT";
    CGROUP_INET4_BIND = 8, "cgroup_inet4_bind", "BPF_CGROUP_INET4_BIND";
    CGROUP_INET6_BIND = 9, "cgroup_inet6_bind", "BPF_CGROUP_INET6_BIND";
    CGROUP_INET4_CONNECT = 10, "cgroup_inet4_connect", "BPF_CGROUP_INET4_CONNECT";
    CGROUP_INET6_CONNECT = 11, "cgroup_inet6_connect", "BPF_CGROUP_INET6_CONNECT";
    CGROUP_INET4_POST_BIND = 12, "cgroup_inet4_post_bind", "BPF_CGROUP_INET4_POST_BIND";
    CGROUP_INET6_POST_BIND = 13, "cgroup_inet6_post_bind", "BPF_CGROUP_INET6_POST_BIND";
    CGROUP_UDP4_SENDMSG = 14, "cgroup_udp4_sendmsg", "BPF_CGROUP_UDP4_SENDMSG";
    CGROUP_UDP6_SENDMSG = 15, "cgroup_udp6_sendmsg", "BPF_CGROUP_UDP6_SENDMSG";
    LIRC_MODE2 = 16, "lirc_mode2", "BPF_LIRC_MODE2";
    FLOW_DISSECTOR = 17, "flow_dissector", "BPF_FLOW_DISSECTOR";
    CGROUP_SYSCTL = 18, "cgroup_sysctl", "BPF_CGROUP_SYSCTL";
    CGROUP_UDP4_RECVMSG = 19, "cgroup_udp4_recvmsg", "BPF_CGROUP_UDP4_RECVMSG";
    CGROUP_UDP6_RECVMSG = 20, "cgroup_udp6_recvmsg", "BPF_CGROUP_UDP6_RECVMSG";
    CGROUP_GETSOCKOPT = 21, "cgroup_getsockopt", "BPF_CGROUP_GETSOCKOPT";
    CGROUP_SETSOCKOPT = 22, "cgroup_setsockopt", "BPF_CGROUP_SETSOCKOPT";
    TRACE_RAW_TP = 23, "trace_raw_tp", "BPF_TRACE_RAW_TP";
    TRACE_FENTRY = 24, "trace_fentry", "BPF_TRACE_FENTRY";
    TRACE_FEXIT = 25, "trace_fexit", "BPF_TRACE_FEXIT";
    MODIFY_RETURN = 26, "modify_return", "BPF_MODIFY_RETURN";
    LSM_MAC = 27, "lsm_mac", "BPF_LSM_MAC";
    TRACE_ITER = 28, "trace_iter", "BPF_TRACE_ITER";
    CGROUP_INET4_GETPEERNAME = 29, "cgroup_inet4_getpeername", "BPF_CGROUP_INET4_GETPEERNAME";
    CGROUP_INET6_GETPEERNAME = 30, "cgroup_inet6_getpeername", "BPF_CGROUP_INET6_GETPEERNAME";
    CGROUP_INET4_GETSOCKNAME = 31, "cgroup_inet4_getsockname", "BPF_CGROUP_INET4_GETSOCKNAME";
    CGROUP_INET6_GETSOCKNAME = 32, "cgroup_inet6_getsockname", "BPF_CGROUP_INET6_GETSOCKNAME";
    XDP_DEVMAP = 33, "xdp_devmap", "BPF_XDP_DEVMAP";
    CGROUP_INET_SOCK_RELEASE = 34, "cgroup_inet_sock_release", "BPF_CGROUP_INET_SOCK_RELEASE";
    XDP_CPUMAP = 35, "xdp_cpumap", "BPF_XDP_CPUMAP";
    SK_LOOKUP = 36, "sk_lookup", "BPF_SK_LOOKUP";
    XDP = 37, "xdp", "BPF_XDP";
    SK_SKB_VERDICT = 38, "sk_skb_verdict", "BPF_SK_SKB_VERDICT";
    SK_REUSEPORT_SELECT = 39, "sk_reuseport_select", "BPF_SK_REUSEPORT_SELECT";
    SK_REUSEPORT_SELECT_OR_MIGRATE = 40, "sk_reuseport_select_or_migrate", "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE";
    PERF_EVENT = 41, "perf_event", "BPF_PERF_EVENT";
    TRACE_KPROBE_MULTI = 42, "trace_kprobe_multi", "BPF_TRACE_KPROBE_MULTI";
    LSM_CGROUP = 43, "lsm_cgroup", "BPF_LSM_CGROUP";
    STRUCT_OPS = 44, "struct_ops", "BPF_STRUCT_OPS";
    NETFILTER = 45, "netfilter", "BPF_NETFILTER";
    TCX_INGRESS = 46, "tcx_ingress", "BPF_TCX_INGRESS";
    TCX_EGRESS = 47, "tcx_egress", "BPF_TCX_EGRESS";
    TRACE_UPROBE_MULTI = 48, "trace_uprobe_multi", "BPF_TRACE_UPROBE_MULTI";
    CGROUP_UNIX_CONNECT = 49, "cgroup_unix_connect", "BPF_CGROUP_UNIX_CONNECT";
    CGROUP_UNIX_SENDMSG = 50, "cgroup_unix_sendmsg", "BPF_CGROUP_UNIX_SENDMSG";
    CGROUP_UNIX_RECVMSG = 51, "cgroup_unix_recvmsg", "BPF_CGROUP_UNIX_RECVMSG";
    CGROUP_UNIX_GETPEERNAME = 52, "cgroup_unix_getpeername", "BPF_CGROUP_UNIX_GETPEERNAME";
    CGROUP_UNIX_GETSOCKNAME = 53, "cgroup_unix_getsockname", "BPF_CGROUP_UNIX_GETSOCKNAME";
    NETKIT_PRIMARY = 54, "netkit_primary", "BPF_NETKIT_PRIMARY";
    NETKIT_PEER = 55, "netkit_peer", "BPF_NETKIT_PEER";
    TRACE_KPROBE_SESSION = 56, "trace_kprobe_session", "BPF_TRACE_KPROBE_SESSION";
    TRACE_UPROBE_SESSION = 57, "trace_uprobe_session", "BPF_TRACE_UPROBE_SESSION";
}
