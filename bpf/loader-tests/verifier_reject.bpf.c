// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: a program the verifier rejects, for the verifier-log path. It
 * dereferences a hash map lookup's result without checking it for NULL (a
 * hash, not an array: 6.12+ verifiers drop the NULL case of an array lookup
 * with a constant in-range key); every kernel refuses it with a log ending in
 *   R0 invalid mem access 'map_value_or_null'
 * The loader must report the rejection with that log, leave nothing loaded,
 * and (when the log does not fit the first buffer) grow the buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} values SEC(".maps");

SEC("raw_tp")
int unchecked_lookup(void *ctx)
{
	u32 key = 0;
	u64 *value = bpf_map_lookup_elem(&values, &key);

	return *value; /* no NULL check: rejected */
}
