// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: an object libbpf 1.1 refuses at open. `twice` is a static
 * function placed in a program's section (not `.text`), called from that
 * section's program; libbpf: "sec 'raw_tp/sys_exit': program 'twice' is static
 * and not supported". A loader that agrees with libbpf refuses it too, with a
 * message naming the function and the section.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

volatile u32 seven = 7;

static __noinline __attribute__((section("raw_tp/sys_exit"))) u32 twice(u32 x)
{
	return 2 * x;
}

SEC("raw_tp/sys_exit")
int calls_static_in_section(void *ctx)
{
	return twice(seven);
}
