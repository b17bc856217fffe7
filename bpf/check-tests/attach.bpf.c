// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Attach targets, program, map and attach types and helpers that a kernel
 * may lack: functions for fentry/fexit/kprobe, tp_btf and raw tracepoints,
 * syscalls for ksyscall and syscall tracepoints, the ring buffer (5.8), and
 * targets no kernel has.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, struct filename *name)
{
	return BPF_CORE_READ(name, name) != 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_exit, int dfd, struct filename *name, long ret)
{
	return ret;
}

SEC("fentry/corex_no_such_function")
int BPF_PROG(missing_fentry, int a)
{
	return a;
}

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(nanosleep_probe, void *t)
{
	return t != 0;
}

SEC("kprobe/corex_no_such_function")
int BPF_KPROBE(missing_kprobe)
{
	return 0;
}

SEC("ksyscall/execve")
int BPF_KSYSCALL(execve_syscall, const char *filename)
{
	return filename != 0;
}

SEC("ksyscall/corex_nosys")
int BPF_KSYSCALL(missing_syscall, int unused)
{
	return unused;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return prev->pid;
}

SEC("tp_btf/corex_no_such_tracepoint")
int BPF_PROG(missing_tp_btf)
{
	return 0;
}

SEC("raw_tp/sched_process_exec")
int exec_raw(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_corex_nosys")
int missing_syscall_tp(void *ctx)
{
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int exec_ringbuf(void *ctx)
{
	long v = 1;

	bpf_ringbuf_output(&events, &v, sizeof(v), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
