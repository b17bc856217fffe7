// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: the pinned map of pinned.bpf.o (`corex_pinned`, HASH, u32 ->
 * u64, 8 entries) declared with a 4-byte value. With pinned.bpf.o's map
 * pinned, loading this object must fail before any program loads, naming the
 * map, the pin path and the mismatch (value size 8 pinned, 4 here).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} corex_pinned SEC(".maps");

SEC("raw_tp")
int touch_pinned(void *ctx)
{
	u32 key = 0, one = 1;

	bpf_map_update_elem(&corex_pinned, &key, &one, BPF_ANY);
	return 0;
}
