// SPDX-License-Identifier: GPL-2.0
/* BTF kinds old kernels lack, for sanitizing: FUNC and FUNC_PROTO (global
 * and static functions), VAR and DATASEC, FLOAT, DECL_TAG, TYPE_TAG, and
 * (added by add_btf_kinds.py, as clang 14 cannot emit them) ENUM64 and a
 * signed ENUM.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))

struct sample {
	float ratio;
	double scale;
	int counted __tag("counter");
	char __user *where;
} __tag("sample");

struct sample last = {};
const volatile double threshold = 1.5;

static __noinline int helper(struct sample *s, int x) __tag("helper")
{
	return s->counted + x;
}

__noinline int global_fn(int x)
{
	return x + 1;
}

SEC("tp/sched/sched_switch")
int use_kinds(void *ctx)
{
	last.counted++;
	if (*(volatile __u64 *)&threshold == 0)
		return 1;
	return helper(&last, global_fn(2));
}

char LICENSE[] SEC("license") = "GPL";
