// SPDX-License-Identifier: GPL-2.0
/*
 * Broken on purpose: the kernel matrix's proof that it can fail (xtask,
 * `cargo xtask kernels --self-test-broken-object`). Not a project program.
 *
 * At every successful exec it reads the exec'ing task's pid the pre-CO-RE way:
 * at the offset task_struct.pid has in ../include/vmlinux.h (the kernel that
 * header came from, Linux 6.18.44-fc-v657), fixed at compile time.
 * __builtin_offsetof is a constant expression: clang emits no CO-RE relocation
 * for it, so no loader can move the read (`corex reloc` lists none). It prints
 * "hardcoded_pid: exec pid=N" with bpf_printk; the trace line's own header
 * carries the real pid. On the header's kernel the two agree; on any kernel
 * whose task_struct differs before `pid` (Debian's 5.10, 6.1 and 6.12) N is
 * whatever lies at that offset there. It loads everywhere: the verifier cannot
 * know the offset is wrong.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/sched/sched_process_exec")
int exec_pid_fixed_offset(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	int pid = -1;

	bpf_probe_read_kernel(&pid, sizeof(pid),
			      (char *)task + __builtin_offsetof(struct task_struct, pid));
	bpf_printk("hardcoded_pid: exec pid=%d", pid);
	return 0;
}
