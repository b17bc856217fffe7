//! `enum bpf_link_type`: link types, with the names bpftool prints.

use crate::kernel_enum::kernel_enum;

kernel_enum! {
    /// A link type (`enum bpf_link_type`), printed as bpftool prints it
    /// (`raw_tracepoint`, `perf_event`); an unknown number prints as `type N`.
    pub struct LinkType(u32): "enum bpf_link_type", unknown "type {}";
    UNSPEC = 0, "unspec", "BPF_LINK_TYPE_UNSPEC";
    RAW_TRACEPOINT = 1, "raw_tracepoint", "BPF_LINK_TYPE_RAW_TRACEPOINT";
    TRACING = 2, "tracing", "BPF_LINK_TYPE_TRACING";
    CGROUP = 3, "cgroup", "BPF_LINK_TYPE_CGROUP";
    ITER = 4, "iter", "BPF_LINK_TYPE_ITER";
    NETNS = 5, "netns", "BPF_LINK_TYPE_NETNS";
    XDP = 6, "xdp", "BPF_LINK_TYPE_XDP";
    PERF_EVENT = 7, "perf_event", "BPF_LINK_TYPE_PERF_EVENT";
    KPROBE_MULTI = 8, "kprobe_multi", "BPF_LINK_TYPE_KPROBE_MULTI";
    STRUCT_OPS = 9, "struct_ops", "BPF_LINK_TYPE_STRUCT_OPS";
    NETFILTER = 10, "netfilter", "BPF_LINK_TYPE_NETFILTER";
    TCX = 11, "tcx", "BPF_LINK_TYPE_TCX";
    UPROBE_MULTI = 12, "uprobe_multi", "BPF_LINK_TYPE_UPROBE_MULTI";
    NETKIT = 13, "netkit", "BPF_LINK_TYPE_NETKIT";
    SOCKMAP = 14, "sockmap", "BPF_LINK_TYPE_SOCKMAP";
}
