// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Reachability of poisoned instructions. Every program reads a field that
 * no kernel has (`corex_missing` of a flavor of task_struct): guarded by
 * bpf_core_field_exists (libbpf patches the check to 0, the verifier prunes
 * the branch: the load is dead), unguarded (the verifier reaches the poison
 * and rejects the program), guarded in the caller of a subprogram that reads
 * it, guarded inside a subprogram, guarded by a type or enumerator check.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___check {
	int corex_missing;
	int pid;
} __attribute__((preserve_access_index));

struct corex_missing_type {
	int value;
} __attribute__((preserve_access_index));

enum corex_check_enum___x { COREX_NO_SUCH_VALUE = 7 };

static __always_inline struct task_struct___check *current_task(void)
{
	return (void *)bpf_get_current_task();
}

SEC("tracepoint/syscalls/sys_enter_execve")
int guarded(void *ctx)
{
	struct task_struct___check *t = current_task();
	int v = 0;

	if (bpf_core_field_exists(t->corex_missing))
		v = BPF_CORE_READ(t, corex_missing);
	return v + BPF_CORE_READ(t, pid);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int unguarded(void *ctx)
{
	struct task_struct___check *t = current_task();

	return BPF_CORE_READ(t, corex_missing);
}

static __noinline int read_missing(struct task_struct___check *t)
{
	return BPF_CORE_READ(t, corex_missing);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int guard_in_caller(void *ctx)
{
	struct task_struct___check *t = current_task();

	if (!bpf_core_field_exists(t->corex_missing))
		return 0;
	return read_missing(t);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int unguarded_call(void *ctx)
{
	return read_missing(current_task());
}

static __noinline int read_if_there(struct task_struct___check *t)
{
	if (bpf_core_field_exists(t->corex_missing))
		return BPF_CORE_READ(t, corex_missing);
	return -1;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int guard_in_callee(void *ctx)
{
	return read_if_there(current_task());
}

SEC("tracepoint/syscalls/sys_enter_execve")
int guard_type(void *ctx)
{
	struct corex_missing_type *m = (void *)bpf_get_current_task();

	if (bpf_core_type_exists(struct corex_missing_type))
		return BPF_CORE_READ(m, value);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int guard_enum(void *ctx)
{
	if (bpf_core_enum_value_exists(enum corex_check_enum___x, COREX_NO_SUCH_VALUE))
		return bpf_core_enum_value(enum corex_check_enum___x, COREX_NO_SUCH_VALUE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
