// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's lab, portable: one execve probe per program kind, each printing
 * the exec'd filename with bpf_printk. Built against the vmlinux.h that corex
 * generated (../include/vmlinux.h); the register names of pt_regs come from
 * bpf_tracing.h for the __TARGET_ARCH_* that ../build.sh sets from the host.
 *
 * program            section                              how it finds the filename
 * tp_execve_noncore  tracepoint/syscalls/sys_enter_execve the seed's hand-written context struct (fixed offsets, no CO-RE)
 * tp_execve_core     tracepoint/syscalls/sys_enter_execve trace_event_raw_sys_enter, BPF_CORE_READ
 * raw_tp_sys_enter   raw_tracepoint/sys_enter             pt_regs through CO-RE, filtered by execve_nr (set by user space)
 * kprobe_execve_noncore ksyscall/execve                   pt_regs at compile-time offsets, wrapper or not
 * kprobe_execve_core ksyscall/execve                      BPF_KSYSCALL: CO-RE pt_regs reads, wrapper or not
 * fentry_bprm_execve fentry/bprm_execve                   typed argument: bprm->filename
 * tp_btf_sys_enter   tp_btf/sys_enter                     typed pt_regs, filtered by execve_nr
 * kprobe_multi_bprm_execve kprobe.multi/bprm_execve       first argument through CO-RE
 *
 * One object: the lab shows the kinds side by side, and a loader picks the
 * programs the running kernel can attach (e.g. `corex run lab.bpf.o -p NAME`).
 * Programs this kernel cannot attach (kprobes, fentry) still compile and are
 * part of the object.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define ARGSIZE 256

char LICENSE[] SEC("license") = "GPL";

/*
 * Copies the filename at src with read (bpf_probe_read_user_str or
 * bpf_probe_read_kernel_str) and prints it as "PROG: execve filename=...".
 */
#define print_filename(prog, read, src)                                   \
	({                                                                \
		u8 buf[ARGSIZE];                                          \
		read(buf, sizeof(buf), src);                              \
		bpf_printk(#prog ": execve filename=%s", buf);            \
	})

/*
 * The execve syscall number of the traced architecture, for the programs that
 * see every syscall (raw_tracepoint/sys_enter, tp_btf/sys_enter). User space
 * sets it before load (on x86_64 it is 59, on arm64 221); the default matches
 * no syscall, so an unset value prints nothing rather than the wrong syscall.
 */
const volatile long execve_nr = -1;

/* Set by the kernel's configuration (libbpf's virtual .kconfig externs). */
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

/*
 * The seed's non-CO-RE context: the layout of the sys_enter_execve
 * tracepoint's format file, written by hand. It is declared after vmlinux.h's
 * `preserve_access_index` pragma ends, so its offsets are fixed at compile
 * time and the object carries no relocation for them.
 */
struct trace_sys_enter_execve {
	short common_type;
	char common_flags;
	char common_preempt_count;
	int common_pid;

	s32 syscall_nr;        /* offset=8,  size=4 */
	u32 pad;               /* offset=12, size=4 (pad) */
	const u8 *filename;    /* offset=16, size=8 */
	const u8 *const *argv; /* offset=24, size=8 */
	const u8 *const *envp; /* offset=32, size=8 */
};

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_execve_noncore(struct trace_sys_enter_execve *ctx)
{
	print_filename(tp_execve_noncore, bpf_probe_read_user_str, ctx->filename);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_execve_core(struct trace_event_raw_sys_enter *ctx)
{
	const char *filename = (const char *)BPF_CORE_READ(ctx, args[0]);

	print_filename(tp_execve_core, bpf_core_read_user_str, filename);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int raw_tp_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	/* TP_PROTO(struct pt_regs *regs, long id) */
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	const char *filename;

	if ((long)ctx->args[1] != execve_nr)
		return 0;
	filename = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
	print_filename(raw_tp_sys_enter, bpf_probe_read_user_str, filename);
	return 0;
}

/*
 * Reads one register of a struct pt_regs at its compile-time offset: no CO-RE
 * relocation, so it is only right on the architecture the object was built for
 * (offsetof is a constant; a member access would carry a relocation through
 * vmlinux.h's preserve_access_index).
 */
static __always_inline unsigned long noncore_reg(const void *regs, unsigned long offset)
{
	unsigned long value = 0;

	bpf_probe_read_kernel(&value, sizeof(value), regs + offset);
	return value;
}

SEC("ksyscall/execve")
int kprobe_execve_noncore(struct pt_regs *ctx)
{
	/*
	 * With CONFIG_ARCH_HAS_SYSCALL_WRAPPER the probed function (e.g.
	 * __x64_sys_execve) takes the user's registers as its first argument;
	 * without it, the probe's own registers hold the syscall arguments.
	 */
	const void *regs = ctx;
	const char *filename;

	if (LINUX_HAS_SYSCALL_WRAPPER)
		regs = (const void *)noncore_reg(ctx, __builtin_offsetof(struct pt_regs, __PT_PARM1_REG));
	filename = (const char *)noncore_reg(regs, __builtin_offsetof(struct pt_regs, __PT_PARM1_REG));
	print_filename(kprobe_execve_noncore, bpf_probe_read_user_str, filename);
	return 0;
}

SEC("ksyscall/execve")
int BPF_KSYSCALL(kprobe_execve_core, const char *filename)
{
	print_filename(kprobe_execve_core, bpf_probe_read_user_str, filename);
	return 0;
}

/*
 * bprm_execve() runs once per execve/execveat, with bprm->filename set, in
 * every kernel from 5.9 on (its other parameters changed in 6.x; the first is
 * always the linux_binprm). The syscall entry's name is architecture-specific,
 * this function's is not.
 */
SEC("fentry/bprm_execve")
int BPF_PROG(fentry_bprm_execve, struct linux_binprm *bprm)
{
	print_filename(fentry_bprm_execve, bpf_probe_read_kernel_str, bprm->filename);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(tp_btf_sys_enter, struct pt_regs *regs, long id)
{
	const char *filename;

	if (id != execve_nr)
		return 0;
	/* A typed pointer: the verifier lets the program load from it directly. */
	filename = (const char *)PT_REGS_PARM1_SYSCALL(regs);
	print_filename(tp_btf_sys_enter, bpf_probe_read_user_str, filename);
	return 0;
}

SEC("kprobe.multi/bprm_execve")
int kprobe_multi_bprm_execve(struct pt_regs *ctx)
{
	struct linux_binprm *bprm = (struct linux_binprm *)PT_REGS_PARM1_CORE(ctx);
	const char *filename = BPF_CORE_READ(bprm, filename);

	print_filename(kprobe_multi_bprm_execve, bpf_probe_read_kernel_str, filename);
	return 0;
}
