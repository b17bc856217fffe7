// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Candidate search by essential name: libbpf strips the last `___flavor`
 * (an `X___Y` where X and Y are not underscores) from both the local and
 * the target names, and compares what is left. So `corex_flv___a___b`
 * looks for targets whose essential name is `corex_flv___a` (e.g.
 * `corex_flv___a___z`, but not `corex_flv___a`, whose essential name is
 * `corex_flv`); four underscores or nothing after the three are no flavor.
 * Also type relocations through typedefs: of a struct-typed alias and of a
 * function pointer (compatible when the arity matches).
 */
#include "common.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct corex_flv___a___b {
	int x;
};

struct corex_flv____odd {
	int x;
};

struct corex_flv___ {
	int x;
};

struct corex_flv___9 {
	int x;
};

struct corex_flv_x___1 {
	int x;
};

#pragma clang attribute pop

typedef int (*corex_cb_t)(int a, long b);

typedef unsigned int corex_u32_t;

SEC("tracepoint/corex/flavors")
int flavors(void *ctx)
{
	struct corex_flv___a___b *ab = ctx;
	struct corex_flv____odd *odd = ctx;
	struct corex_flv___ *trailing = ctx;
	struct corex_flv_x___1 *x1 = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(ab, x));
	KEEP(acc, BPF_CORE_READ(odd, x));
	KEEP(acc, BPF_CORE_READ(trailing, x));
	KEEP(acc, BPF_CORE_READ(x1, x));
	KEEP(acc, bpf_core_type_exists(struct corex_flv___a___b));
	return acc;
}

SEC("tracepoint/corex/typedefs")
int typedefs(void *ctx)
{
	long acc = 0;

	KEEP(acc, bpf_core_type_exists(corex_cb_t));
	KEEP(acc, bpf_core_type_size(corex_cb_t));
	KEEP(acc, bpf_core_type_exists(corex_u32_t));
	KEEP(acc, bpf_core_type_size(corex_u32_t));
	return acc;
}

/*
 * Last, as libbpf stops there: `corex_flv___9` has every `corex_flv*`
 * whose essential name is `corex_flv` as a candidate; their sizes differ
 * (relocation decision ambiguity), and so do their `x` offsets.
 */
SEC("tracepoint/corex/flavor_ambiguity")
int flavor_ambiguity(void *ctx)
{
	struct corex_flv___9 *nine = ctx;

	return bpf_core_type_size(struct corex_flv___9) + BPF_CORE_READ(nine, x);
}
