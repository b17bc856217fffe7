// SPDX-License-Identifier: GPL-2.0
/* Program types, attach types and flags from section names: optional
 * expected attach types (xdp, sk_msg, cgroup/sock), XDP frags, sleepable
 * programs, BTF attach targets in vmlinux (tp_btf typedef, fentry/fexit
 * function, lsm and iter hooks) and in a module (fentry on nf_conntrack),
 * kprobes with kern_version from the 'version' section, and helpers
 * libbpf replaces on kernels without bpf_probe_read_kernel.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("sk_msg")
int msg(struct sk_msg_md *ctx)
{
	return SK_PASS;
}

SEC("cgroup/sock")
int sock(struct bpf_sock *ctx)
{
	return 1;
}

SEC("fentry.s/do_exit")
int fentry_sleepable(void *ctx)
{
	return 0;
}

SEC("fexit/do_exit")
int fexit_exit(void *ctx)
{
	return 0;
}

SEC("lsm/file_open")
int lsm_open(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int btf_switch(void *ctx)
{
	return 0;
}

SEC("iter/task")
int iter_task(void *ctx)
{
	return 0;
}

SEC("fentry/nf_conntrack_in")
int module_fentry(void *ctx)
{
	return 0;
}

SEC("kprobe/do_exit")
int probe_exit(void *ctx)
{
	char buf[8];
	const char *p = (const char *)ctx;

	bpf_probe_read_kernel(buf, sizeof(buf), p);
	bpf_probe_read_user_str(buf, sizeof(buf), p);
	bpf_probe_read_kernel_str(buf, sizeof(buf), p);
	return bpf_probe_read_user(buf, sizeof(buf), p);
}

SEC("syscall")
int sys(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 VERSION SEC("version") = 0x050a00;
