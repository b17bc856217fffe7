//! Raw layouts of the `BPF_OBJ_GET_INFO_BY_FD` info structures and of
//! `struct perf_event_attr` (see [`crate::attr`] for how they are checked).

use crate::attr_macro::attr_struct;

attr_struct! {
    /// `struct bpf_prog_info`. `flags_word` holds the `gpl_compatible` bit.
    pub struct ProgInfoAttr in "struct bpf_prog_info" {
        prog_type: u32 = "type",
        id: u32 = "id",
        tag: [u8; 8] = "tag",
        jited_prog_len: u32 = "jited_prog_len",
        xlated_prog_len: u32 = "xlated_prog_len",
        jited_prog_insns: u64 = "jited_prog_insns",
        xlated_prog_insns: u64 = "xlated_prog_insns",
        load_time: u64 = "load_time",
        created_by_uid: u32 = "created_by_uid",
        nr_map_ids: u32 = "nr_map_ids",
        map_ids: u64 = "map_ids",
        name: [u8; 16] = "name",
        ifindex: u32 = "ifindex",
        flags_word: u32 = "",
        netns_dev: u64 = "netns_dev",
        netns_ino: u64 = "netns_ino",
        nr_jited_ksyms: u32 = "nr_jited_ksyms",
        nr_jited_func_lens: u32 = "nr_jited_func_lens",
        jited_ksyms: u64 = "jited_ksyms",
        jited_func_lens: u64 = "jited_func_lens",
        btf_id: u32 = "btf_id",
        func_info_rec_size: u32 = "func_info_rec_size",
        func_info: u64 = "func_info",
        nr_func_info: u32 = "nr_func_info",
        nr_line_info: u32 = "nr_line_info",
        line_info: u64 = "line_info",
        jited_line_info: u64 = "jited_line_info",
        nr_jited_line_info: u32 = "nr_jited_line_info",
        line_info_rec_size: u32 = "line_info_rec_size",
        jited_line_info_rec_size: u32 = "jited_line_info_rec_size",
        nr_prog_tags: u32 = "nr_prog_tags",
        prog_tags: u64 = "prog_tags",
        run_time_ns: u64 = "run_time_ns",
        run_cnt: u64 = "run_cnt",
        recursion_misses: u64 = "recursion_misses",
        verified_insns: u32 = "verified_insns",
        attach_btf_obj_id: u32 = "attach_btf_obj_id",
        attach_btf_id: u32 = "attach_btf_id",
        pad0: u32 = "",
    }
}

attr_struct! {
    /// `struct bpf_map_info`.
    pub struct MapInfoAttr in "struct bpf_map_info" {
        map_type: u32 = "type",
        id: u32 = "id",
        key_size: u32 = "key_size",
        value_size: u32 = "value_size",
        max_entries: u32 = "max_entries",
        map_flags: u32 = "map_flags",
        name: [u8; 16] = "name",
        ifindex: u32 = "ifindex",
        btf_vmlinux_value_type_id: u32 = "btf_vmlinux_value_type_id",
        netns_dev: u64 = "netns_dev",
        netns_ino: u64 = "netns_ino",
        btf_id: u32 = "btf_id",
        btf_key_type_id: u32 = "btf_key_type_id",
        btf_value_type_id: u32 = "btf_value_type_id",
        btf_vmlinux_id: u32 = "btf_vmlinux_id",
        map_extra: u64 = "map_extra",
    }
}

attr_struct! {
    /// `struct bpf_btf_info`.
    pub struct BtfInfoAttr in "struct bpf_btf_info" {
        btf: u64 = "btf",
        btf_size: u32 = "btf_size",
        id: u32 = "id",
        name: u64 = "name",
        name_len: u32 = "name_len",
        kernel_btf: u32 = "kernel_btf",
    }
}

attr_struct! {
    /// `struct bpf_link_info`, its type-specific union kept as words (checked
    /// as its largest member, `perf_event`).
    pub struct LinkInfoAttr in "struct bpf_link_info" {
        link_type: u32 = "type",
        id: u32 = "id",
        prog_id: u32 = "prog_id",
        pad0: u32 = "",
        union_words: [u64; 6] = "perf_event",
    }
}

attr_struct! {
    /// `struct bpf_link_info` of a raw tracepoint link.
    pub struct LinkInfoRawTracepointAttr in "struct bpf_link_info" {
        link_type: u32 = "type",
        id: u32 = "id",
        prog_id: u32 = "prog_id",
        pad0: u32 = "",
        tp_name: u64 = "raw_tracepoint.tp_name",
        tp_name_len: u32 = "raw_tracepoint.tp_name_len",
        pad1: u32 = "",
    }
}

attr_struct! {
    /// `struct bpf_link_info` of a tracing link.
    pub struct LinkInfoTracingAttr in "struct bpf_link_info" {
        link_type: u32 = "type",
        id: u32 = "id",
        prog_id: u32 = "prog_id",
        pad0: u32 = "",
        attach_type: u32 = "tracing.attach_type",
        target_obj_id: u32 = "tracing.target_obj_id",
        target_btf_id: u32 = "tracing.target_btf_id",
        pad1: u32 = "",
    }
}

attr_struct! {
    /// `struct bpf_link_info` of a kprobe_multi link (addresses and cookies
    /// not asked for).
    pub struct LinkInfoKprobeMultiAttr in "struct bpf_link_info" {
        link_type: u32 = "type",
        id: u32 = "id",
        prog_id: u32 = "prog_id",
        pad0: u32 = "",
        addrs: u64 = "kprobe_multi.addrs",
        count: u32 = "kprobe_multi.count",
        flags: u32 = "kprobe_multi.flags",
        missed: u64 = "kprobe_multi.missed",
        cookies: u64 = "kprobe_multi.cookies",
    }
}

attr_struct! {
    /// `struct bpf_link_info` of a perf event link, read through its
    /// tracepoint view (`name` is `tp_name`, `func_name` or `file_name` by
    /// `perf_event_type`).
    pub struct LinkInfoPerfEventAttr in "struct bpf_link_info" {
        link_type: u32 = "type",
        id: u32 = "id",
        prog_id: u32 = "prog_id",
        pad0: u32 = "",
        perf_event_type: u32 = "perf_event.type",
        pad1: u32 = "",
        name: u64 = "perf_event.tracepoint.tp_name",
        name_len: u32 = "perf_event.tracepoint.name_len",
        pad2: u32 = "",
        cookie: u64 = "perf_event.tracepoint.cookie",
    }
}

attr_struct! {
    /// `struct perf_event_attr` up to `sig_data` (`PERF_ATTR_SIZE_VER7`).
    /// `flags` is the bit-field word (`disabled`, `inherit`, ... see
    /// `corex_uapi::perf::ATTR_*`).
    pub struct PerfEventAttr in "struct perf_event_attr" {
        event_type: u32 = "type",
        size: u32 = "size",
        config: u64 = "config",
        sample_period: u64 = "sample_period",
        sample_type: u64 = "sample_type",
        read_format: u64 = "read_format",
        flags: u64 = "",
        wakeup_events: u32 = "wakeup_events",
        bp_type: u32 = "bp_type",
        config1: u64 = "config1",
        config2: u64 = "config2",
        branch_sample_type: u64 = "branch_sample_type",
        sample_regs_user: u64 = "sample_regs_user",
        sample_stack_user: u32 = "sample_stack_user",
        clockid: i32 = "clockid",
        sample_regs_intr: u64 = "sample_regs_intr",
        aux_watermark: u32 = "aux_watermark",
        sample_max_stack: u16 = "sample_max_stack",
        reserved_2: u16 = "__reserved_2",
        aux_sample_size: u32 = "aux_sample_size",
        aux_action: u32 = "aux_action",
        sig_data: u64 = "sig_data",
    }
}
