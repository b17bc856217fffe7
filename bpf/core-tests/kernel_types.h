/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Minimal local definitions of kernel types, as a CO-RE program writes them:
 * only the members it uses, in any order, with preserve_access_index so that
 * every access becomes a relocation. Flavors (`name___flavor`) describe other
 * kernels' layouts of the same type.
 */
#ifndef COREX_CORE_TESTS_KERNEL_TYPES_H
#define COREX_CORE_TESTS_KERNEL_TYPES_H

#include "common.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	unsigned int val;
} kuid_t;

struct cred {
	kuid_t uid;
	kuid_t euid;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long total_vm;
};

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
};

/* Before 5.14 the task state was `long state`. */
struct task_struct___old {
	long state;
};

/* Not a member of any kernel's task_struct. */
struct task_struct___nope {
	int corex_no_such_member;
};

struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/*
 * Never matches a kernel built with gcc: type_matches compares the names of
 * integer types too, and gcc calls `unsigned short` `short unsigned int`.
 */
struct trace_entry___tm {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* Matches every kernel: pointers to structs of the same name. */
struct list_head___tm {
	struct list_head___tm *next, *prev;
};

/* The raw syscall tracepoint context (tp/raw_syscalls/sys_enter). */
struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
	char __data[0];
};

/* The per-syscall tracepoint context; the kernel names the number `nr`... */
struct syscall_trace_enter {
	struct trace_entry ent;
	int nr;
	unsigned long args[];
};

/* ...and tracefs shows it as `__syscall_nr`; some kernels' BTF may too. */
struct syscall_trace_enter___new {
	int __syscall_nr;
};

/* The tutorial's ("seed") TCP header: kernel 5.3's view, without bitfields. */
struct tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

/* The seed's hypothetical 5.4 layout: `seq` renamed to `seque`. */
struct tcphdr___seque {
	__be32 seque;
	__be32 ack_seq;
};

/* The flag bitfields, as the kernel declares them (little endian). */
struct tcphdr___bits {
	__u16 res1 : 4, doff : 4, fin : 1, syn : 1, rst : 1, psh : 1, ack : 1, urg : 1, ece : 1,
		cwr : 1;
};

/* type_matches flavor of the seed's header. */
struct tcphdr___tm {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

#pragma clang attribute pop

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
	COREX_PIDTYPE_NOPE, /* no kernel has it */
};

/* type_matches flavor: same size, every enumerator present. */
enum pid_type___tm {
	PIDTYPE_PID___tm,
	PIDTYPE_TGID___tm,
};

/* Signed in the kernel (BTF kflag set by pahole); DEAD is -4 or -5. */
enum perf_event_state {
	PERF_EVENT_STATE_DEAD = -4,
	PERF_EVENT_STATE_OFF = -1,
	PERF_EVENT_STATE_ACTIVE = 1,
};

/*
 * An ENUM64 in the kernel (values near 2^64). clang 14 cannot express such
 * values, so the local side is a plain 32-bit enum.
 */
enum perf_callchain_context {
	PERF_CONTEXT_HV = 1,
	PERF_CONTEXT_USER = 2,
};

#endif
