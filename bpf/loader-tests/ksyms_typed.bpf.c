// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: a typed `__ksym`, the per-CPU variable process_counts
 * (kernel/fork.c), found as a VAR in vmlinux BTF. The loader passes its BTF
 * id; the kernel then looks its address up in kallsyms, which lists variables
 * only with CONFIG_KALLSYMS_ALL. Two ways to fail, each the loader must name:
 * - no per-CPU VARs in the kernel's BTF (Debian's 5.10): libbpf refuses,
 *   "extern (var ksym) 'process_counts': not found in kernel BTF";
 * - no CONFIG_KALLSYMS_ALL (the development VM's 6.18): the kernel refuses,
 *   "ldimm64 failed to find the address for kernel symbol 'process_counts'"
 *   (ENOENT).
 * Debian's 6.1 and 6.12 load it.
 *
 * BPF_PROG_TEST_RUN of `read_typed_ksym` (raw_tp) stores into typed_seen
 * (.bss): cpu0_found == 1 (bpf_per_cpu_ptr(&process_counts, 0) non-NULL),
 * cpu0 and this_cpu: the fork counts it points at.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern const unsigned long process_counts __ksym;

struct typed_seen {
	u64 cpu0_found;
	u64 cpu0;
	u64 this_cpu;
} typed_seen;

SEC("raw_tp")
int read_typed_ksym(void *ctx)
{
	const unsigned long *count = bpf_per_cpu_ptr(&process_counts, 0);

	if (count) {
		typed_seen.cpu0_found = 1;
		typed_seen.cpu0 = *count;
	}
	count = bpf_this_cpu_ptr(&process_counts);
	typed_seen.this_cpu = *count;
	return 0;
}
