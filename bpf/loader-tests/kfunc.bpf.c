// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: kfunc calls (BTF function ids resolved in vmlinux BTF).
 * bpf_task_acquire/bpf_task_release exist from Linux 6.2 on (on 6.1 the load
 * must fail, saying the kfunc is missing). `task_newtask` (tp_btf) runs on
 * every fork; for forks made by the process whose tgid user space sets in
 * parent_tgid, it takes a reference to the new task through the kfunc, reads
 * its pid and drops the reference. The test attaches it, forks a child and
 * reads kfunc_seen (.bss): acquired >= 1, last_pid == the child's pid.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

const volatile u32 parent_tgid = 0;

struct kfunc_seen {
	u64 acquired;
	u32 last_pid;
	u32 pad;
} kfunc_seen;

SEC("tp_btf/task_newtask")
int BPF_PROG(task_newtask, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *acquired;

	if (bpf_get_current_pid_tgid() >> 32 != parent_tgid)
		return 0;
	acquired = bpf_task_acquire(task);
	if (!acquired)
		return 0;
	kfunc_seen.last_pid = acquired->pid;
	__sync_fetch_and_add(&kfunc_seen.acquired, 1);
	bpf_task_release(acquired);
	return 0;
}
