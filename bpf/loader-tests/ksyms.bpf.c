// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: `__ksym` externs that every kernel with BTF resolves.
 * BPF_PROG_TEST_RUN of `read_ksyms` (raw_tp) stores what the loader resolved
 * into `ksyms_seen` (.bss):
 *
 * extern                    kind                        expected
 * schedule                  typeless (void)             its /proc/kallsyms address (a function: listed
 *                                                       even without CONFIG_KALLSYMS_ALL)
 * corex_absent_ksym         typeless, __weak, absent    address 0
 * corex_absent_typed_ksym   typed, __weak, absent       address 0 (its use is guarded, never read)
 *
 * A typed ksym that exists is in ksyms_typed.bpf.c: the kernel resolves its
 * address through kallsyms, which lists variables only with
 * CONFIG_KALLSYMS_ALL.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern const void schedule __ksym;
extern const void corex_absent_ksym __ksym __weak;
extern const int corex_absent_typed_ksym __ksym __weak;

struct ksyms_seen {
	u64 schedule_addr;
	u64 absent_addr;
	u64 absent_typed_addr;
	s64 absent_typed_value; /* -1: not read (the guard held) */
} ksyms_seen;

SEC("raw_tp")
int read_ksyms(void *ctx)
{
	ksyms_seen.schedule_addr = (u64)&schedule;
	ksyms_seen.absent_addr = (u64)&corex_absent_ksym;
	ksyms_seen.absent_typed_addr = (u64)&corex_absent_typed_ksym;
	ksyms_seen.absent_typed_value = -1;
	if (&corex_absent_typed_ksym)
		ksyms_seen.absent_typed_value = corex_absent_typed_ksym;
	return 0;
}
