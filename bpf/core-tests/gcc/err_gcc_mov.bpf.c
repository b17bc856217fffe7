// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A GCC 12 bug, kept as a libbpf failure: BPF_CORE_READ on a type without
 * the preserve_access_index attribute, from a pointer that stays live, gets
 * its record on the `r3 = r1` register move that precedes the `r3 += 8`
 * computing the address. libbpf cannot patch an ALU instruction with a
 * register source ("failed to patch insn #N: -22").
 */
#include "gcc_common.h"

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
};

SEC("raw_tp/sched_switch")
int gcc_mov(u64 *ctx)
{
	struct task_struct *task = (void *)ctx[1];
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(task, real_parent));
	KEEP(acc, task);
	return acc;
}
