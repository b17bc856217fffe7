// SPDX-License-Identifier: GPL-2.0
/* Every extern kind: virtual LINUX_* kconfig values, CONFIG_* of every
 * type (bool, tristate, char, integers, a string) and weak ones the
 * kernel lacks; typed ksyms (per-CPU kernel variables, found by BTF id),
 * typeless ksyms (kallsyms addresses), kfuncs in vmlinux and in a module,
 * weak ones of each kind left at zero when absent.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern __u32 LINUX_KERNEL_VERSION __kconfig;
extern _Bool LINUX_HAS_BPF_COOKIE __kconfig;
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern __u64 LINUX_NOT_A_THING __kconfig __weak;
extern _Bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_NF_CONNTRACK __kconfig;
extern char CONFIG_LOCALVERSION_CHAR __kconfig __weak;
extern int CONFIG_HZ __kconfig;
extern __s8 CONFIG_SMALL_SIGNED __kconfig __weak;
extern __u64 CONFIG_PHYSICAL_START __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern __u32 CONFIG_NOT_IN_THIS_KERNEL __kconfig __weak;

struct rq {
	int cpu;
};
struct task_struct {
	int pid;
};
struct nf_conn {
	int status;
};

extern const struct rq runqueues __ksym;
extern const int bpf_prog_active __ksym;
extern const int no_such_percpu_var __ksym __weak;
extern const void fake_typeless_symbol __ksym;
extern const void missing_typeless_symbol __ksym __weak;

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern void bpf_ct_release(struct nf_conn *ct) __ksym __weak;
extern void no_such_kfunc(void) __ksym __weak;

SEC("tp_btf/sched_switch")
int use_externs(__u64 *ctx)
{
	struct task_struct *t = (void *)ctx[1];
	__u64 sum = LINUX_KERNEL_VERSION + LINUX_HAS_BPF_COOKIE + LINUX_HAS_SYSCALL_WRAPPER;
	const struct rq *rq;
	const int *active;

	sum += LINUX_NOT_A_THING + CONFIG_BPF_SYSCALL + CONFIG_NF_CONNTRACK;
	sum += CONFIG_LOCALVERSION_CHAR + CONFIG_HZ + CONFIG_SMALL_SIGNED;
	sum += CONFIG_PHYSICAL_START + CONFIG_DEFAULT_HOSTNAME[0] + CONFIG_NOT_IN_THIS_KERNEL;
	rq = bpf_per_cpu_ptr(&runqueues, 0);
	if (rq)
		sum += rq->cpu;
	active = bpf_this_cpu_ptr(&bpf_prog_active);
	sum += *active;
	if (&no_such_percpu_var)
		sum += 1;
	sum += (__u64)&fake_typeless_symbol + (__u64)&missing_typeless_symbol;
	if (bpf_task_acquire) {
		t = bpf_task_acquire(t);
		if (t)
			bpf_task_release(t);
	}
	if (bpf_ct_release)
		bpf_ct_release(0);
	if (no_such_kfunc)
		no_such_kfunc();
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
