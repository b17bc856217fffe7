// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * libbpf fails a relocation whose matching candidates disagree on the
 * field's bit offset ("field offset ambiguity"). The `dup` synthetic target
 * has two `struct corex_amb`: `a` at the same offset in both, `b` not.
 * libbpf stops at the first failed relocation, so it is the last one here.
 */
#include "common.h"

struct corex_amb {
	int a;
	int b;
} __attribute__((preserve_access_index));

SEC("tracepoint/corex/ambiguous_offset")
int ambiguous_offset(void *ctx)
{
	struct corex_amb *s = ctx;

	return BPF_CORE_READ(s, a) + BPF_CORE_READ(s, b);
}
