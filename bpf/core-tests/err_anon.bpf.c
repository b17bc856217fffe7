// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A relocation whose local root type is anonymous: libbpf cannot search
 * candidates for it and fails, whatever the target.
 */
#include "common.h"

struct corex_holder {
	struct {
		int x;
		int y;
	} __attribute__((preserve_access_index)) anon;
};

SEC("tracepoint/corex/anon")
int anon_root(struct corex_holder *ctx)
{
	typeof(ctx->anon) *anon = (void *)ctx;

	return BPF_CORE_READ(anon, y);
}
