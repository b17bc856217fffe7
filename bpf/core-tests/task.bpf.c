// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Field relocations on the kernel's task_struct, cred and mm_struct: the
 * task->real_parent->tgid chain, arrays, typedef'd anonymous structs
 * (cred->uid.val), the 5.14 `state` -> `__state` rename handled with a
 * flavor and bpf_core_field_exists, a member no kernel has, direct loads,
 * and two programs sharing one section.
 */
#include "kernel_types.h"

SEC("tracepoint/sched/sched_process_exec")
int exec_parent(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(task, real_parent, tgid));
	KEEP(acc, BPF_CORE_READ(task, real_parent, real_parent, pid));
	KEEP(acc, BPF_CORE_READ(task, group_leader, comm[3]));
	KEEP(acc, BPF_CORE_READ(task, cred, uid.val));
	KEEP(acc, BPF_CORE_READ(task, mm, arg_start));
	return acc;
}

/* Same section as exec_parent: relocation indices run across both. */
SEC("tracepoint/sched/sched_process_exec")
int exec_state(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct___old *old = (void *)task;
	struct task_struct___nope *nope = (void *)task;
	long acc = 0;

	if (bpf_core_field_exists(task->__state))
		KEEP(acc, BPF_CORE_READ(task, __state));
	else
		KEEP(acc, BPF_CORE_READ(old, state));
	if (bpf_core_field_exists(nope->corex_no_such_member))
		KEEP(acc, BPF_CORE_READ(nope, corex_no_such_member));
	KEEP(acc, bpf_core_field_size(task->comm));
	KEEP(acc, bpf_core_field_offset(task->start_time));
	KEEP(acc, corex_field_signed(task->prio));
	KEEP(acc, corex_field_signed(task->flags));
	return acc;
}

/* tp_btf-style direct loads: relocated LDX offsets. */
SEC("raw_tp/sched_switch")
int switch_direct(u64 *ctx)
{
	struct task_struct *prev = (void *)ctx[1];
	long acc = 0;

	KEEP(acc, prev->pid);
	KEEP(acc, prev->tgid);
	KEEP(acc, prev->flags);
	KEEP(acc, prev->start_time);
	KEEP(acc, prev->comm[0]);
	KEEP(acc, prev->real_parent);
	return acc;
}
