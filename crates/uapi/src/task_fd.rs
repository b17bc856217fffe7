//! `enum bpf_task_fd_type`: what `BPF_TASK_FD_QUERY` found behind an fd.

use crate::kernel_enum::kernel_enum;

kernel_enum! {
    /// The kind of attachment behind a task's fd (`enum bpf_task_fd_type`),
    /// printed as bpftool's `perf` command prints it.
    pub struct TaskFdType(u32): "enum bpf_task_fd_type", unknown "type {}";
    RAW_TRACEPOINT = 0, "raw_tracepoint", "BPF_FD_TYPE_RAW_TRACEPOINT";
    TRACEPOINT = 1, "tracepoint", "BPF_FD_TYPE_TRACEPOINT";
    KPROBE = 2, "kprobe", "BPF_FD_TYPE_KPROBE";
    KRETPROBE = 3, "kretprobe", "BPF_FD_TYPE_KRETPROBE";
    UPROBE = 4, "uprobe", "BPF_FD_TYPE_UPROBE";
    URETPROBE = 5, "uretprobe", "BPF_FD_TYPE_URETPROBE";
}

kernel_enum! {
    /// A statistic `BPF_ENABLE_STATS` turns on (`enum bpf_stats_type`).
    pub struct StatsType(u32): "enum bpf_stats_type", unknown "stats type {}";
    RUN_TIME = 0, "run_time", "BPF_STATS_RUN_TIME";
}
