// SPDX-License-Identifier: GPL-2.0
/* Subprogram linking: .text functions called from several programs
 * (each appended once per program, transitively), a global function, a
 * hidden global function (libbpf makes its BTF FUNC static), callbacks
 * (ld_imm64 of a function's address), CO-RE, maps and global data used
 * inside subprograms, and a program in a '?' section.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

__u64 total = 0;
const volatile __u32 factor = 3;

static __noinline __u64 leaf(__u64 x)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	return x * factor + BPF_CORE_READ(t, tgid);
}

static __noinline __u64 middle_a(__u64 x)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		*v += x;
	return leaf(x + 1);
}

static __noinline __u64 middle_c(__u64 x)
{
	total += x;
	return leaf(x) + leaf(x + 2);
}

__noinline int global_helper(int x)
{
	return x * 2 + 1;
}

__attribute__((visibility("hidden"))) __noinline int hidden_helper(int x)
{
	return x - 7;
}

static int loop_body(__u32 index, void *ctx)
{
	__u64 *sum = ctx;

	*sum += middle_c(index);
	return 0;
}

static __u64 each_count(void *map, __u32 *key, __u64 *value, void *ctx)
{
	*(__u64 *)ctx += *value;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int first(void *ctx)
{
	return middle_a(1) + global_helper(2);
}

SEC("raw_tp/sched_switch")
int second(void *ctx)
{
	return middle_c(5) + hidden_helper(4);
}

SEC("tp/sched/sched_process_exit")
int callbacks(void *ctx)
{
	__u64 sum = 0;

	bpf_loop(4, loop_body, &sum, 0);
	bpf_for_each_map_elem(&counts, each_count, &sum, 0);
	return sum;
}

SEC("?tp/sched/sched_process_fork")
int optional(void *ctx)
{
	return leaf(9);
}

char LICENSE[] SEC("license") = "GPL";
