// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * An access string libbpf cannot parse against the local BTF: element 1 of
 * a zero-length array that is not the last member (so not flexible) is out
 * of bounds. libbpf fails whatever the target ("parsing ... failed").
 */
#include "common.h"

struct corex_zero_mid {
	int a;
	int z[0];
	int b;
} __attribute__((preserve_access_index));

SEC("tracepoint/corex/parse")
int parse_failure(void *ctx)
{
	struct corex_zero_mid *s = ctx;

	return BPF_CORE_READ(s, z[1]);
}
