// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: CO-RE relocations that no kernel satisfies. Both programs read
 * task_struct's `corex_no_such_field`, which no kernel has, so libbpf (and
 * corex) poison the relocated instruction (call 0xbad2310):
 *
 * - poison_reachable reads it unconditionally: the verifier reaches the
 *   poisoned call and rejects the program ("call unknown#195896080", which a
 *   loader reports as the failed relocation: <byte_off> struct
 *   task_struct___corex.corex_no_such_field, no such field in the kernel);
 * - poison_guarded reads it only if bpf_core_field_exists() says it exists,
 *   which relocates to 0: the poisoned instruction is dead code, the program
 *   loads, and BPF_PROG_TEST_RUN returns 2 (the "field absent" branch).
 *
 * Load them one at a time (libbpf: bpf_program__set_autoload).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct___corex {
	int corex_no_such_field;
	int pid;
} __attribute__((preserve_access_index));

u64 poison_seen;

SEC("raw_tp")
int poison_reachable(void *ctx)
{
	struct task_struct___corex *task = (void *)bpf_get_current_task();

	poison_seen = BPF_CORE_READ(task, corex_no_such_field);
	return 1;
}

SEC("raw_tp")
int poison_guarded(void *ctx)
{
	struct task_struct___corex *task = (void *)bpf_get_current_task();

	if (bpf_core_field_exists(task->corex_no_such_field)) {
		poison_seen = BPF_CORE_READ(task, corex_no_such_field);
		return 1;
	}
	poison_seen = BPF_CORE_READ(task, pid); /* a field that exists: relocated normally */
	return 2;
}
