// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A kprobe that reads its arguments from x86's struct pt_regs with CO-RE
 * (PT_REGS_PARM*_CORE for __TARGET_ARCH_x86): on an arm64 kernel, pt_regs
 * has no `di` or `si`, and `corex check` says the object was built for
 * another architecture.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

SEC("kprobe/do_unlinkat")
int unlink_probe(struct pt_regs *ctx)
{
	long dfd = PT_REGS_PARM1_CORE(ctx);
	long name = PT_REGS_PARM2_CORE(ctx);

	return dfd + name != 0;
}

char LICENSE[] SEC("license") = "GPL";
