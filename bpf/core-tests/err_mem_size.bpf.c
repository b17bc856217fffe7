// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Load size adjustment: an unsigned integer may shrink or grow (libbpf
 * rewrites the load's size), but not beyond 8 bytes. The `errors` synthetic
 * target makes `v` an unsigned __int128 ("invalid new mem size").
 */
#include "common.h"

struct corex_wide_mem {
	unsigned int v;
} __attribute__((preserve_access_index));

SEC("raw_tp/corex_mem_size")
int mem_size(u64 *ctx)
{
	struct corex_wide_mem *s = (void *)ctx[0];

	return s->v;
}
