// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * libbpf fails a relocation whose matching candidates put the field at the
 * same offset but compute different values ("relocation decision
 * ambiguity"): in the `dup` synthetic target the second `struct corex_amb2`
 * has a 4-byte `b` where the first has an 8-byte one.
 */
#include "common.h"

struct corex_amb2 {
	int a;
	long b;
} __attribute__((preserve_access_index));

SEC("tracepoint/corex/ambiguous_value")
int ambiguous_value(void *ctx)
{
	struct corex_amb2 *s = ctx;

	return bpf_core_field_offset(s->b) + bpf_core_field_size(s->b);
}
