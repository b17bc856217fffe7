// SPDX-License-Identifier: GPL-2.0
/* Every map type the loader plans: hash and array (plain, per-CPU, LRU),
 * an LPM trie, a ring buffer whose size libbpf rounds up, a perf event
 * array sized to the CPUs, a stack trace map, a cgroup array, a queue, a
 * stack, a bloom filter (map_extra), a map pinned by name, a NUMA node,
 * map-in-maps (array and hash of maps) with inner definitions and initial
 * values, and a program array initialised with programs.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__uint(key_size, 8);
	__uint(value_size, 16);
	__uint(numa_node, 0);
	__uint(map_flags, BPF_F_NUMA_NODE);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} percpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, __u32);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u64);
	__type(value, __u32);
} lru_percpu SEC(".maps");

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} trie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 3 * 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16);
	__type(value, __u32);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 16);
	__type(value, __u64);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__uint(map_extra, 3);
	__type(value, __u32);
} bloom SEC(".maps");

struct inner_def {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner_def inner_a SEC(".maps");
struct inner_def inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_def);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 8);
		__type(key, __u32);
		__type(value, __u64);
	});
} outer_hash SEC(".maps");

SEC("tp/sched/sched_switch")
int tail_a(void *ctx)
{
	return 1;
}

SEC("tp/sched/sched_switch")
int tail_b(void *ctx)
{
	return 2;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail_a, [3] = (void *)&tail_b },
};

SEC("tp/sched/sched_switch")
int use_maps(void *ctx)
{
	__u32 k = 0, v = 1;
	__u64 k64 = 0;
	struct lpm_key lk = {};
	void *m;

	bpf_map_lookup_elem(&hash, &k);
	bpf_map_lookup_elem(&pinned, &k);
	bpf_map_lookup_elem(&percpu_hash, &k64);
	bpf_map_lookup_elem(&percpu_array, &k);
	bpf_map_lookup_elem(&lru, &k64);
	bpf_map_lookup_elem(&lru_percpu, &k64);
	bpf_map_lookup_elem(&trie, &lk);
	bpf_ringbuf_output(&events, &v, sizeof(v), 0);
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &v, sizeof(v));
	bpf_get_stackid(ctx, &stacks, 0);
	bpf_current_task_under_cgroup(&cgroups, 0);
	bpf_map_push_elem(&queue, &v, 0);
	bpf_map_push_elem(&stack, &k64, 0);
	bpf_map_push_elem(&bloom, &v, 0);
	m = bpf_map_lookup_elem(&outer_array, &k);
	if (m)
		bpf_map_lookup_elem(m, &k);
	m = bpf_map_lookup_elem(&outer_hash, &k);
	if (m)
		bpf_map_lookup_elem(m, &k);
	bpf_tail_call(ctx, &jumps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
