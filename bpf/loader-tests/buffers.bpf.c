// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: ring buffer and perf buffer producers for the readers' tests.
 * Each BPF_PROG_TEST_RUN of a producer (raw_tp, ctx ignored) emits `batch`
 * records (user space sets it, 1..MAX_BATCH) as fast as the program can,
 * numbered by a sequence that continues across runs:
 *
 *   ringbuf_produce -> ring (BPF_MAP_TYPE_RINGBUF, 256 KiB; resize it to overrun it)
 *   perf_produce    -> perf (BPF_MAP_TYPE_PERF_EVENT_ARRAY, one slot per possible CPU),
 *                      on the CPU the run executes on (BPF_F_TEST_RUN_ON_CPU picks it)
 *
 * Record (struct record, little-endian on x86):
 *   u64 seq;          0, 1, 2, ... per producer, counted across runs
 *   u32 payload_len;  bytes of payload: 8 * (seq % (MAX_WORDS + 1)), 0..120
 *   u32 cpu;          bpf_get_smp_processor_id() of the producer
 *   u64 payload[];    payload_len / 8 words, each equal to seq
 * so records are 16..136 bytes, varying, and a torn or misplaced copy shows.
 *
 * Globals (.bss), for exact loss accounting: ring_next_seq / perf_next_seq
 * (records attempted so far), ring_lost / perf_lost (outputs that failed:
 * no room, or no perf reader on that CPU). A reader must deliver every seq
 * below *_next_seq in order except exactly *_lost of them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define MAX_BATCH 1024
#define MAX_WORDS 15

const volatile u32 batch = 64;

struct record {
	u64 seq;
	u32 payload_len;
	u32 cpu;
	u64 payload[MAX_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct record);
} scratch SEC(".maps");

u64 ring_next_seq, ring_lost;
u64 perf_next_seq, perf_lost;

/* Builds record number seq in r; returns its size in bytes. */
static __always_inline u32 build(struct record *r, u64 seq)
{
	u32 words = seq % (MAX_WORDS + 1), w;

	r->seq = seq;
	r->payload_len = words * 8;
	r->cpu = bpf_get_smp_processor_id();
	for (w = 0; w < MAX_WORDS; w++) {
		if (w >= words)
			break;
		r->payload[w] = seq;
	}
	return 16 + words * 8;
}

/* Emits batch records from sequence *next_seq on, to the ring buffer or the
 * perf buffer, counting failed outputs in *lost. */
static __always_inline int produce(void *ctx, bool to_ring, u64 *next_seq, u64 *lost)
{
	u32 zero = 0, i, size;
	struct record *r = bpf_map_lookup_elem(&scratch, &zero);
	long err;

	if (!r)
		return 1;
	for (i = 0; i < MAX_BATCH; i++) {
		if (i >= batch)
			break;
		size = build(r, (*next_seq)++);
		if (to_ring)
			err = bpf_ringbuf_output(&ring, r, size, 0);
		else
			err = bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, r, size);
		if (err)
			(*lost)++;
	}
	return 0;
}

SEC("raw_tp")
int ringbuf_produce(void *ctx)
{
	return produce(ctx, true, &ring_next_seq, &ring_lost);
}

SEC("raw_tp")
int perf_produce(void *ctx)
{
	return produce(ctx, false, &perf_next_seq, &perf_lost);
}
