// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: one map of every type the loader must create, all used by one
 * program that BPF_PROG_TEST_RUN runs once (ctx: 2 u64 args, as sys_enter).
 * After the run, user space checks each map through the kernel:
 *
 * map                 type                 after one run of exercise_maps
 * hash_map            HASH                 key 1 -> 0x1111
 * array_map           ARRAY                index 1 -> 0x2222
 * percpu_hash_map     PERCPU_HASH          key 1 -> 0x3333 on the CPU that ran it
 * percpu_array_map    PERCPU_ARRAY         index 1 -> 0x4444 on the CPU that ran it
 * lru_hash_map        LRU_HASH             key 1 -> 0x5555
 * lru_percpu_hash_map LRU_PERCPU_HASH      key 1 -> 0x6666 on the CPU that ran it
 * ringbuf_map         RINGBUF (64 KiB)     one 8-byte record 0x7777
 * perf_map            PERF_EVENT_ARRAY     no max_entries: the loader sizes it to the possible CPUs;
 *                                          results.perf_ret is the output's return (-ENOENT without a reader)
 * stack_map           STACK_TRACE          results.stack_id: bpf_get_stackid's return
 * prog_array          PROG_ARRAY           initial value: slot 1 = tail_target (.maps initializer);
 *                                          the run ends with a tail call into it: results.tail_called == 0xaaaa
 * cgroup_map          CGROUP_ARRAY         results.under_cgroup: bpf_current_task_under_cgroup(slot 0)
 *                                          (-EAGAIN while the slot is empty; 0/1 once user space fills it)
 * inner_a, inner_b    ARRAY (inner maps)   inner_a[0] -> 0x8888, inner_b[1] -> 0x9999 (through outer_array)
 * outer_array         ARRAY_OF_MAPS        initial values: [0] = inner_a, [2] = inner_b; [1] empty
 * inner_h             HASH (inner map)     key 7 -> 0xbbbb (through outer_hash)
 * outer_hash          HASH_OF_MAPS         initial value: key 5 = inner_h
 * outer_template      HASH_OF_MAPS         inner map given only as a type (a template); no values
 * results             (.bss)               what the run saw, see struct results
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define DEFINE_MAP(name, map_type, entries, key_t, value_t) \
	struct {                                              \
		__uint(type, map_type);                       \
		__uint(max_entries, entries);                 \
		__type(key, key_t);                           \
		__type(value, value_t);                       \
	} name SEC(".maps")

DEFINE_MAP(hash_map, BPF_MAP_TYPE_HASH, 16, u32, u64);
DEFINE_MAP(array_map, BPF_MAP_TYPE_ARRAY, 4, u32, u64);
DEFINE_MAP(percpu_hash_map, BPF_MAP_TYPE_PERCPU_HASH, 16, u32, u64);
DEFINE_MAP(percpu_array_map, BPF_MAP_TYPE_PERCPU_ARRAY, 4, u32, u64);
DEFINE_MAP(lru_hash_map, BPF_MAP_TYPE_LRU_HASH, 16, u32, u64);
DEFINE_MAP(lru_percpu_hash_map, BPF_MAP_TYPE_LRU_PERCPU_HASH, 16, u32, u64);
DEFINE_MAP(cgroup_map, BPF_MAP_TYPE_CGROUP_ARRAY, 1, u32, u32);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} ringbuf_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 128);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stack_map SEC(".maps");

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, u32);
	__array(values, struct inner_array);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct inner_hash {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} inner_h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, u32);
	__array(values, struct inner_hash);
} outer_hash SEC(".maps") = {
	.values = { [5] = &inner_h },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 2);
		__type(key, u32);
		__type(value, u32);
	});
} outer_template SEC(".maps");

int tail_target(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(u32));
	__array(values, int(void *));
} prog_array SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

struct results {
	s64 perf_ret;
	s64 stack_id;
	s64 under_cgroup;
	s64 ringbuf_ret;
	u64 inner_found; /* bit 0: outer_array[0], bit 1: outer_array[2], bit 2: outer_hash[5], bit 3: outer_array[1] (must stay 0) */
	u64 tail_called;
	u64 runs;
} results;

static __always_inline void put(void *map, u32 key, u64 value)
{
	bpf_map_update_elem(map, &key, &value, BPF_ANY);
}

/* Looks up outer[key]; if it holds an inner map, sets found_bit in
 * results.inner_found and writes inner[inner_key] = value. */
static __always_inline void touch_inner(void *outer, u32 key, u64 found_bit, u32 inner_key, u64 value)
{
	void *inner = bpf_map_lookup_elem(outer, &key);

	if (inner) {
		results.inner_found |= found_bit;
		put(inner, inner_key, value);
	}
}

SEC("raw_tp")
int tail_target(void *ctx)
{
	results.tail_called = 0xaaaa;
	return 0;
}

SEC("raw_tp")
int exercise_maps(void *ctx)
{
	u64 value = 0x7777;

	results.runs++;
	put(&hash_map, 1, 0x1111);
	put(&array_map, 1, 0x2222);
	put(&percpu_hash_map, 1, 0x3333);
	put(&percpu_array_map, 1, 0x4444);
	put(&lru_hash_map, 1, 0x5555);
	put(&lru_percpu_hash_map, 1, 0x6666);
	results.ringbuf_ret = bpf_ringbuf_output(&ringbuf_map, &value, sizeof(value), 0);
	results.perf_ret = bpf_perf_event_output(ctx, &perf_map, BPF_F_CURRENT_CPU, &value, sizeof(value));
	results.stack_id = bpf_get_stackid(ctx, &stack_map, 0);
	results.under_cgroup = bpf_current_task_under_cgroup(&cgroup_map, 0);

	results.inner_found = 0;
	touch_inner(&outer_array, 0, 1, 0, 0x8888);
	touch_inner(&outer_array, 2, 2, 1, 0x9999);
	touch_inner(&outer_hash, 5, 4, 7, 0xbbbb);
	touch_inner(&outer_array, 1, 8, 0, 0); /* empty slot: bit 3 must stay clear */

	bpf_tail_call(ctx, &prog_array, 1);
	return 1; /* reached only when the tail call fails */
}
