// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * A helper and a map type that Linux 6.2 added (bpf_cgrp_storage_get,
 * BPF_MAP_TYPE_CGRP_STORAGE): Debian 6.1 lacks both, 6.12 has them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, 32); /* BPF_MAP_TYPE_CGRP_STORAGE, Linux 6.2 */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, long);
} cgrp_store SEC(".maps");

/* bpf_cgrp_storage_get, helper 210 (Linux 6.2); libbpf 1.1's headers lack it. */
static void *(*cgrp_storage_get)(void *map, struct cgroup *cgrp, void *value, __u64 flags) = (void *)210;

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_new, struct cgroup *cgrp, const char *path)
{
	long *v = cgrp_storage_get(&cgrp_store, cgrp, 0, 1);

	return v ? (int)*v : 0;
}

char LICENSE[] SEC("license") = "GPL";
