//! `enum bpf_prog_type`: program types, with the names bpftool prints.

use crate::kernel_enum::kernel_enum;

kernel_enum! {
    /// A program type (`enum bpf_prog_type`), printed as bpftool prints it
    /// (`kprobe`, `tracepoint`); an unknown number prints as `type N`.
    pub struct ProgType(u32): "enum bpf_prog_type", unknown "type {}";
    UNSPEC = 0, "unspec", "BPF_PROG_TYPE_UNSPEC";
    SOCKET_FILTER = 1, "socket_filter", "BPF_PROG_TYPE_SOCKET_FILTER";
    KPROBE = 2, "kprobe", "BPF_PROG_TYPE_KPROBE";
    SCHED_CLS = 3, "sched_cls", "BPF_PROG_TYPE_SCHED_CLS";
    SCHED_ACT = 4, "sched_act", "BPF_PROG_TYPE_SCHED_ACT";
    TRACEPOINT = 5, "tracepoint", "BPF_PROG_TYPE_TRACEPOINT";
    XDP = 6, "xdp", "BPF_PROG_TYPE_XDP";
    PERF_EVENT = 7, "perf_event", "BPF_PROG_TYPE_PERF_EVENT";
    CGROUP_SKB = 8, "cgroup_skb", "BPF_PROG_TYPE_CGROUP_SKB";
    CGROUP_SOCK = 9, "cgroup_sock", "BPF_PROG_TYPE_CGROUP_SOCK";
    LWT_IN = 10, "lwt_in", "BPF_PROG_TYPE_LWT_IN";
    LWT_OUT = 11, "lwt_out", "BPF_PROG_TYPE_LWT_OUT";
    LWT_XMIT = 12, "lwt_xmit", "BPF_PROG_TYPE_LWT_XMIT";
    SOCK_OPS = 13, "sock_ops", "BPF_PROG_TYPE_SOCK_OPS";
    SK_SKB = 14, "sk_skb", "BPF_PROG_TYPE_SK_SKB";
    CGROUP_DEVICE = 15, "cgroup_device", "BPF_PROG_TYPE_CGROUP_DEVICE";
    SK_MSG = 16, "sk_msg", "BPF_PROG_TYPE_SK_MSG";
    RAW_TRACEPOINT = 17, "raw_tracepoint", "BPF_PROG_TYPE_RAW_TRACEPOINT";
    CGROUP_SOCK_ADDR = 18, "cgroup_sock_addr", "BPF_PROG_TYPE_CGROUP_SOCK_ADDR";
    LWT_SEG6LOCAL = 19, "lwt_seg6local", "BPF_PROG_TYPE_LWT_SEG6LOCAL";
    LIRC_MODE2 = 20, "lirc_mode2", "BPF_PROG_TYPE_LIRC_MODE2";
    SK_REUSEPORT = 21, "sk_reuseport", "BPF_PROG_TYPE_SK_REUSEPORT";
    FLOW_DISSECTOR = 22, "flow_dissector", "BPF_PROG_TYPE_FLOW_DISSECTOR";
    CGROUP_SYSCTL = 23, "cgroup_sysctl", "BPF_PROG_TYPE_CGROUP_SYSCTL";
    RAW_TRACEPOINT_WRITABLE = 24, "raw_tracepoint_writable", "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE";
    CGROUP_SOCKOPT = 25, "cgroup_sockopt", "BPF_PROG_TYPE_CGROUP_SOCKOPT";
    TRACING = 26, "tracing", "BPF_PROG_TYPE_TRACING";
    STRUCT_OPS = 27, "struct_ops", "BPF_PROG_TYPE_STRUCT_OPS";
    EXT = 28, "ext", "BPF_PROG_TYPE_EXT";
    LSM = 29, "lsm", "BPF_PROG_TYPE_LSM";
    SK_LOOKUP = 30, "sk_lookup", "BPF_PROG_TYPE_SK_LOOKUP";
    SYSCALL = 31, "syscall", "BPF_PROG_TYPE_SYSCALL";
    NETFILTER = 32, "netfilter", "BPF_PROG_TYPE_NETFILTER";
}
