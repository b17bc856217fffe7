// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Tracepoint programs that declare their context by hand, without CO-RE
 * (the tutorial's non-CO-RE execve tracer): `corex check --live` compares
 * the struct with the running kernel's tracefs format file. The first
 * struct is the tutorial's (right on x86-64 kernels); the second forgets the
 * padding after the syscall number, so every later field is 4 bytes early.
 */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define ARGSIZE 64

struct trace_sys_enter_execve {
	short common_type;
	char common_flags;
	char common_preempt_count;
	int common_pid;

	s32 syscall_nr;        // offset=8,  size=4
	u32 pad;               // offset=12, size=4 (pad)
	const u8 *filename;    // offset=16, size=8
	const u8 *const *argv; // offset=24, size=8
	const u8 *const *envp; // offset=32, size=8
};

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_execve_tp_non_core(struct trace_sys_enter_execve *ctx)
{
	const char *filename_ptr = (const char *)(ctx->filename);
	u8 buf[ARGSIZE];

	bpf_probe_read_user_str(buf, sizeof(buf), filename_ptr);
	bpf_printk("execve: %s\n", buf);
	return 0;
}

struct trace_sys_enter_execve_wrong {
	short common_type;
	char common_flags;
	char common_preempt_count;
	int common_pid;

	s32 syscall_nr;
	const u8 *filename __attribute__((aligned(4)));
	const u8 *const *argv __attribute__((aligned(4)));
	const u8 *const *envp __attribute__((aligned(4)));
} __attribute__((packed));

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_execve_wrong_ctx(struct trace_sys_enter_execve_wrong *ctx)
{
	const char *filename_ptr = (const char *)(ctx->filename);
	u8 buf[ARGSIZE];

	bpf_probe_read_user_str(buf, sizeof(buf), filename_ptr);
	bpf_printk("execve: %s\n", buf);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
