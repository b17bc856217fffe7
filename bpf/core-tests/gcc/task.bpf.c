// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * GCC 12's CO-RE on kernel types: local definitions with GCC's
 * preserve_access_index attribute (GCC ignores clang's attribute pragma),
 * the task->real_parent->tgid chain in a noinline .text subprogram,
 * comm[], cred->uid.val (typedef of an anonymous struct), a flavor for the
 * pre-5.14 `state`, a member no kernel has, direct loads and stores, and a
 * global variable (ld_imm64 to .bss).
 */
#include "gcc_common.h"

typedef struct {
	unsigned int val;
} PAI kuid_t;

struct cred {
	kuid_t uid;
	kuid_t euid;
} PAI;

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
	const struct cred *cred;
	unsigned long long start_time;
} PAI;

struct task_struct___old {
	long state;
} PAI;

struct task_struct___nope {
	int corex_no_such_member;
} PAI;

long exec_count;

/*
 * One relocated load, kept apart from its neighbours: GCC 12 attaches a
 * record to the wrong instruction when it schedules several accesses
 * together (err_gcc_misplaced.bpf.c). BPF_CORE_READ is of no use either: on
 * a type with the attribute GCC 12 emits no record at all for
 * __builtin_preserve_access_index(&p->f), and on one without it the record
 * lands on a register move (err_gcc_mov.bpf.c).
 */
#define APART(x)                                \
	({                                      \
		__typeof__((x) + 0) __v = (x);  \
		asm volatile("" : "+r"(__v));   \
		__v;                            \
	})

static __attribute__((noinline)) long parent_tgid(struct task_struct *task)
{
	struct task_struct *parent = APART(task->real_parent);

	return parent->tgid;
}

SEC("raw_tp/sched_process_exec")
int gcc_exec_parent(u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	struct task_struct *leader = APART(task->group_leader);
	const struct cred *cred = APART(task->cred);
	struct mm_struct *mm = APART(task->mm);
	long acc = 0;

	KEEP(acc, APART(leader->comm[3]));
	KEEP(acc, APART(cred->uid.val));
	KEEP(acc, APART(mm->arg_start));
	KEEP(acc, APART(((struct task_struct___old *)task)->state));
	KEEP(acc, APART(((struct task_struct___nope *)task)->corex_no_such_member));
	KEEP(acc, parent_tgid(task));
	exec_count += acc;
	return acc;
}

/* Direct loads (LDX with relocated offsets) and stores (ST, STX). */
SEC("raw_tp/sched_switch")
int gcc_switch_direct(u64 *ctx)
{
	struct task_struct *prev = (void *)ctx[1];
	long acc = 0;

	KEEP(acc, APART(prev->pid));
	KEEP(acc, APART(prev->tgid));
	KEEP(acc, APART(prev->flags));
	KEEP(acc, APART(prev->start_time));
	KEEP(acc, APART(prev->comm[0]));
	prev->prio = 120;
	asm volatile("" ::: "memory");
	prev->comm[15] = acc;
	return acc;
}
