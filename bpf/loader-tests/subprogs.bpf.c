// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: BPF-to-BPF calls. Two programs in different sections call the
 * same `.text` functions: a static noinline one, a global one (which the
 * kernel verifies on its own) and a static one that calls another (a chain).
 * The loader must append each callee, once, to every program that reaches it,
 * fix the call offsets and carry func_info/line_info along.
 * BPF_PROG_TEST_RUN (raw_tp, ctx ignored) returns:
 *
 *   sum_squares   (raw_tp)          square(3) + global_cube(2) = 9 + 8 = 17
 *   sum_again     (raw_tp/sys_exit) square(4) + global_cube(3) + square_plus_one(3) = 16 + 27 + 10 = 53
 *
 * (libbpf 1.1 supports callees in `.text` only: a static function in a
 * program's section is refused at open, see static_in_section.bpf.c.)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Read through a global so the compiler cannot fold the calls away. */
volatile u32 three = 3;

static __noinline u32 square(u32 x)
{
	return x * x;
}

__noinline int global_cube(u32 x)
{
	return x * x * x;
}

static __noinline u32 square_plus_one(u32 x)
{
	return square(x) + 1;
}

SEC("raw_tp")
int sum_squares(void *ctx)
{
	return square(three) + global_cube(three - 1);
}

SEC("raw_tp/sys_exit")
int sum_again(void *ctx)
{
	return square(three + 1) + global_cube(three) + square_plus_one(three);
}
