// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The syscall tracepoint contexts: trace_event_raw_sys_enter (nested
 * trace_entry, args[6], the zero-length __data), syscall_trace_enter (`nr`,
 * the flexible `args[]`) and its `__syscall_nr` flavor; the tutorial's
 * ("seed") tcphdr against the kernel's (whose flag bitfields sit between
 * ack_seq and window), its `seque` flavor and the kernel's flag bitfields.
 */
#include "kernel_types.h"

SEC("tracepoint/raw_syscalls/sys_enter")
int raw_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(ctx, args[0]));
	KEEP(acc, BPF_CORE_READ(ctx, args[5]));
	KEEP(acc, ctx->id);
	KEEP(acc, ctx->ent.pid);
	KEEP(acc, ctx->ent.preempt_count);
	KEEP(acc, bpf_core_field_size(ctx->args));
	KEEP(acc, bpf_core_field_offset(ctx->__data));
	KEEP(acc, bpf_core_field_size(ctx->__data));
	return acc;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int sys_enter_nr(struct syscall_trace_enter *ctx)
{
	struct syscall_trace_enter___new *nctx = (void *)ctx;
	long acc = 0;

	if (bpf_core_field_exists(ctx->nr))
		KEEP(acc, ctx->nr);
	else if (bpf_core_field_exists(nctx->__syscall_nr))
		KEEP(acc, nctx->__syscall_nr);
	KEEP(acc, ctx->args[1]);
	KEEP(acc, BPF_CORE_READ(ctx, args[2]));
	KEEP(acc, bpf_core_field_offset(ctx->args));
	KEEP(acc, bpf_core_field_size(ctx->args));
	return acc;
}

SEC("tracepoint/net/tcp_seed")
int seed_tcphdr(void *ctx)
{
	struct tcphdr *th = ctx;
	struct tcphdr___seque *th2 = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(th, source));
	KEEP(acc, BPF_CORE_READ(th, dest));
	if (bpf_core_field_exists(th->seq))
		KEEP(acc, BPF_CORE_READ(th, seq));
	else
		KEEP(acc, BPF_CORE_READ(th2, seque));
	KEEP(acc, BPF_CORE_READ(th, ack_seq));
	KEEP(acc, BPF_CORE_READ(th2, ack_seq));
	KEEP(acc, BPF_CORE_READ(th, window));
	KEEP(acc, BPF_CORE_READ(th, urg_ptr));
	KEEP(acc, th->check);
	return acc;
}

SEC("tracepoint/net/tcp_flags")
int seed_tcp_flags(void *ctx)
{
	struct tcphdr___bits *th = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ_BITFIELD_PROBED(th, doff));
	KEEP(acc, BPF_CORE_READ_BITFIELD_PROBED(th, syn));
	KEEP(acc, BPF_CORE_READ_BITFIELD(th, cwr));
	KEEP(acc, bpf_core_field_exists(th->ece));
	return acc;
}
