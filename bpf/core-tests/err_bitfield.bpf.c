// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A bitfield that no load of at most 8 bytes covers: the `errors`
 * synthetic target puts the 10-bit `f` at bit 60 of a 64-bit unit.
 */
#include "common.h"

struct corex_bits {
	unsigned long long f : 10;
} __attribute__((preserve_access_index));

SEC("tracepoint/corex/bitfield")
int bitfield_span(void *ctx)
{
	struct corex_bits *s = ctx;

	return BPF_CORE_READ_BITFIELD_PROBED(s, f);
}
