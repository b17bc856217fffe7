// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: a map pinned by name (LIBBPF_PIN_BY_NAME): the first load
 * creates `corex_pinned` and pins it as PIN_DIR/corex_pinned; a second load
 * of this object reuses the pinned map (same type, key, value, max_entries,
 * flags). pinned_incompatible.bpf.o declares the same name with another value
 * size: its load must refuse the pinned map and say why. `bump_pinned`
 * (raw_tp, BPF_PROG_TEST_RUN) adds 1 at key 0, so two loads that share the
 * map count together.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} corex_pinned SEC(".maps");

SEC("raw_tp")
int bump_pinned(void *ctx)
{
	u32 key = 0;
	u64 one = 1, *value = bpf_map_lookup_elem(&corex_pinned, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	else
		bpf_map_update_elem(&corex_pinned, &key, &one, BPF_NOEXIST);
	return 0;
}
