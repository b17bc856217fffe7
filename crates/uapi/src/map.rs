//! `enum bpf_map_type`: map types, with the names bpftool prints.

use crate::kernel_enum::kernel_enum;

kernel_enum! {
    /// A map type (`enum bpf_map_type`), printed as bpftool prints it (`hash`,
    /// `ringbuf`); an unknown number prints as `type N`, as bpftool does.
    ///
    /// `BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED` and its per-CPU twin are the
    /// kernel's aliases of [`MapType::CGROUP_STORAGE`] and
    /// [`MapType::PERCPU_CGROUP_STORAGE`].
    pub struct MapType(u32): "enum bpf_map_type", unknown "type {}";
    UNSPEC = 0, "unspec", "BPF_MAP_TYPE_UNSPEC";
    HASH = 1, "hash", "BPF_MAP_TYPE_HASH";
    ARRAY = 2, "array", "BPF_MAP_TYPE_ARRAY";
    PROG_ARRAY = 3, "prog_array", "BPF_MAP_TYPE_PROG_ARRAY";
    PERF_EVENT_ARRAY = 4, "perf_event_array", "BPF_MAP_TYPE_PERF_EVENT_ARRAY";
    PERCPU_HASH = 5, "percpu_hash", "BPF_MAP_TYPE_PERCPU_HASH";
    PERCPU_ARRAY = 6, "percpu_array", "BPF_MAP_TYPE_PERCPU_ARRAY";
    STACK_TRACE = 7, "stack_trace", "BPF_MAP_TYPE_STACK_TRACE";
    CGROUP_ARRAY = 8, "cgroup_array", "BPF_MAP_TYPE_CGROUP_ARRAY";
    LRU_HASH = 9, "lru_hash", "BPF_MAP_TYPE_LRU_HASH";
    LRU_PERCPU_HASH = 10, "lru_percpu_hash", "BPF_MAP_TYPE_LRU_PERCPU_HASH";
    LPM_TRIE = 11, "lpm_trie", "BPF_MAP_TYPE_LPM_TRIE";
    ARRAY_OF_MAPS = 12, "array_of_maps", "BPF_MAP_TYPE_ARRAY_OF_MAPS";
    HASH_OF_MAPS = 13, "hash_of_maps", "BPF_MAP_TYPE_HASH_OF_MAPS";
    DEVMAP = 14, "devmap", "BPF_MAP_TYPE_DEVMAP";
    SOCKMAP = 15, "sockmap", "BPF_MAP_TYPE_SOCKMAP";
    CPUMAP = 16, "cpumap", "BPF_MAP_TYPE_CPUMAP";
    XSKMAP = 17, "xskmap", "BPF_MAP_TYPE_XSKMAP";
    SOCKHASH = 18, "sockhash", "BPF_MAP_TYPE_SOCKHASH";
    CGROUP_STORAGE = 19, "cgroup_storage", "BPF_MAP_TYPE_CGROUP_STORAGE";
    REUSEPORT_SOCKARRAY = 20, "reuseport_sockarray", "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY";
    PERCPU_CGROUP_STORAGE = 21, "percpu_cgroup_storage", "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE";
    QUEUE = 22, "queue", "BPF_MAP_TYPE_QUEUE";
    STACK = 23, "stack", "BPF_MAP_TYPE_STACK";
    SK_STORAGE = 24, "sk_storage", "BPF_MAP_TYPE_SK_STORAGE";
    DEVMAP_HASH = 25, "devmap_hash", "BPF_MAP_TYPE_DEVMAP_HASH";
    STRUCT_OPS = 26, "struct_ops", "BPF_MAP_TYPE_STRUCT_OPS";
    RINGBUF = 27, "ringbuf", "BPF_MAP_TYPE_RINGBUF";
    INODE_STORAGE = 28, "inode_storage", "BPF_MAP_TYPE_INODE_STORAGE";
    TASK_STORAGE = 29, "task_storage", "BPF_MAP_TYPE_TASK_STORAGE";
    BLOOM_FILTER = 30, "bloom_filter", "BPF_MAP_TYPE_BLOOM_FILTER";
    USER_RINGBUF = 31, "user_ringbuf", "BPF_MAP_TYPE_USER_RINGBUF";
    CGRP_STORAGE = 32, "cgrp_storage", "BPF_MAP_TYPE_CGRP_STORAGE";
    ARENA = 33, "arena", "BPF_MAP_TYPE_ARENA";
}
