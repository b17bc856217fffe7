// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A load's 16-bit offset cannot hold the target offset: the `errors`
 * synthetic target moves `x` to byte 40000 ("value too big"). The same
 * offset as an ALU immediate (first relocation) is fine.
 */
#include "common.h"

struct corex_big {
	int x;
} __attribute__((preserve_access_index));

SEC("raw_tp/corex_offset_range")
int offset_range(u64 *ctx)
{
	struct corex_big *s = (void *)ctx[0];

	return bpf_core_field_offset(s->x) + s->x;
}
