// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A GCC 12 bug, kept as a libbpf failure: after a few other loads,
 * `prev->real_parent->tgid` gets two records, but GCC attaches the second
 * (tgid, offset 16) to the first load (real_parent, offset 40). libbpf
 * checks the instruction's offset against the local spec and refuses
 * ("unexpected insn #N (LDX/ST/STX) value: got ..., exp 16 -> ..."): the
 * first record already patched the instruction.
 */
#include "gcc_common.h"

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
} PAI;

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int prio;
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	unsigned long long start_time;
} PAI;

SEC("raw_tp/sched_switch")
int gcc_misplaced(u64 *ctx)
{
	struct task_struct *prev = (void *)ctx[1];
	long acc = 0;

	KEEP(acc, prev->pid);
	KEEP(acc, prev->tgid);
	KEEP(acc, prev->flags);
	KEEP(acc, prev->start_time);
	KEEP(acc, prev->comm[0]);
	KEEP(acc, prev->real_parent->tgid);
	KEEP(acc, prev->mm->arg_end);
	return acc;
}
