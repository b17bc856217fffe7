// SPDX-License-Identifier: GPL-2.0
/* CO-RE against types only modules define (veth, loop, nf_conntrack):
 * libbpf finds no candidate in vmlinux and looks in the module BTFs; a
 * type no BTF has gives 0 for field_exists and a poisoned load.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct veth_priv {
	long dropped;
} __attribute__((preserve_access_index));

struct loop_device {
	long long lo_sizelimit;
	int lo_number;
} __attribute__((preserve_access_index));

struct nf_conntrack_net {
	unsigned int users6;
} __attribute__((preserve_access_index));

struct corex_nowhere {
	int x;
} __attribute__((preserve_access_index));

SEC("kprobe/veth_xmit")
int module_types(void *ctx)
{
	struct veth_priv *v = (void *)bpf_get_current_task();
	struct loop_device *l = (void *)v;
	struct nf_conntrack_net *n = (void *)v;
	struct corex_nowhere *w = (void *)v;
	long sum = BPF_CORE_READ(v, dropped) + BPF_CORE_READ(l, lo_sizelimit);

	sum += BPF_CORE_READ(l, lo_number) + BPF_CORE_READ(n, users6);
	if (bpf_core_field_exists(w->x))
		sum += BPF_CORE_READ(w, x);
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
