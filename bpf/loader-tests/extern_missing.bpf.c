// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: a strong (non-weak) extern that no kernel has. Loading must
 * fail before anything reaches the kernel, naming the extern:
 * `corex_no_such_symbol` (typeless __ksym: not in /proc/kallsyms).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern const void corex_no_such_symbol __ksym;

u64 missing_addr;

SEC("raw_tp")
int use_missing(void *ctx)
{
	missing_addr = (u64)&corex_no_such_symbol;
	return 0;
}
