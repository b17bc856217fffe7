// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: a kernel module's split BTF. `dummy_stats` is an fentry
 * program on dummy_get_stats64, a function of the dummy module (drivers/net/
 * dummy.ko): its attach_btf_id is a type id of the module's BTF, passed with
 * the module BTF object's fd. Its CO-RE relocations read struct veth_rq, a
 * type only the veth module (drivers/net/veth.ko) defines: its size, the
 * offset of xdp_rxq and whether page_pool exists (Linux 6.2 on) come from
 * veth's BTF. Reading /proc/net/dev runs dummy_get_stats64 for dummy0; each
 * run stores what it saw in module_seen (.bss) and prints it (bpf_printk),
 * where `corex run` shows it and the kernel matrix compares it with the
 * module's BTF (xtask/src/modules.rs). Needs both modules inserted and BPF
 * trampolines; elsewhere the load must say which target is missing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* Only the members read, as veth defines them (essential name veth_rq). */
struct veth_rq___corex {
	struct xdp_rxq_info xdp_rxq;
	struct page_pool *page_pool;
} __attribute__((preserve_access_index));

struct module_seen {
	u64 runs;
	u32 rq_size;
	u32 xdp_rxq_offset;
	u32 has_page_pool;
	u32 pad;
} module_seen;

SEC("fentry/dummy_get_stats64")
int BPF_PROG(dummy_stats, struct net_device *dev, struct rtnl_link_stats64 *stats)
{
	u32 size = bpf_core_type_size(struct veth_rq___corex);
	u32 offset = bpf_core_field_offset(struct veth_rq___corex, xdp_rxq);
	u32 page_pool = bpf_core_field_exists(struct veth_rq___corex, page_pool);

	module_seen.rq_size = size;
	module_seen.xdp_rxq_offset = offset;
	module_seen.has_page_pool = page_pool;
	__sync_fetch_and_add(&module_seen.runs, 1);
	bpf_printk("corex module_btf: veth_rq size %u xdp_rxq %u page_pool %u", size, offset,
		   page_pool);
	return 0;
}
