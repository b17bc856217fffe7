//! The raw attribute layouts of the bpf(2) commands and of the info and
//! perf_event structures, one `#[repr(C)]` struct per command (as
//! cilium/ebpf's generated `sys` types), each field naming its C member.
//! `tests/layout.rs` checks every offset and size against Linux 6.12's
//! headers. The typed wrappers in this crate fill them; fakes (see
//! [`crate::with_fake_bpf`]) read and answer them with [`read_attr`] and
//! [`write_attr`].

use crate::attr_macro::{attr_struct, Layout};

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A plain attribute struct of this module: `#[repr(C)]`, integer fields,
/// no padding, so it can be viewed as bytes. Sealed.
pub trait Attr: sealed::Sealed + Copy + Default + 'static {}

/// `T`'s bytes, mutable: what bpf(2) gets.
pub(crate) fn as_bytes_mut<T: Attr>(attr: &mut T) -> &mut [u8] {
    // SAFETY: `T: Attr` is `#[repr(C)]` with integer fields only and no
    // padding (asserted where each is defined), so all `size_of::<T>()`
    // bytes are initialized and every byte pattern is a valid `T`; the
    // slice borrows `attr` exclusively for its lifetime.
    unsafe {
        std::slice::from_raw_parts_mut((attr as *mut T).cast::<u8>(), std::mem::size_of::<T>())
    }
}

/// Decodes a `T` from the front of `bytes` (zero-filled when shorter, as
/// the kernel reads a short attribute); for fakes.
pub fn read_attr<T: Attr>(bytes: &[u8]) -> T {
    let mut attr = T::default();
    let out = as_bytes_mut(&mut attr);
    let n = out.len().min(bytes.len());
    out[..n].copy_from_slice(&bytes[..n]);
    attr
}

/// Writes `attr` over the front of `bytes` (as far as they reach); for
/// fakes answering a command (`next_id`, `retval`, ...).
pub fn write_attr<T: Attr>(bytes: &mut [u8], attr: &T) {
    let mut copy = *attr;
    let src = as_bytes_mut(&mut copy);
    let n = src.len().min(bytes.len());
    bytes[..n].copy_from_slice(&src[..n]);
}

attr_struct! {
    /// `BPF_MAP_CREATE`.
    pub struct MapCreateAttr in "union bpf_attr" {
        map_type: u32 = "map_type",
        key_size: u32 = "key_size",
        value_size: u32 = "value_size",
        max_entries: u32 = "max_entries",
        map_flags: u32 = "map_flags",
        inner_map_fd: u32 = "inner_map_fd",
        numa_node: u32 = "numa_node",
        map_name: [u8; 16] = "map_name",
        map_ifindex: u32 = "map_ifindex",
        btf_fd: u32 = "btf_fd",
        btf_key_type_id: u32 = "btf_key_type_id",
        btf_value_type_id: u32 = "btf_value_type_id",
        btf_vmlinux_value_type_id: u32 = "btf_vmlinux_value_type_id",
        map_extra: u64 = "map_extra",
        value_type_btf_obj_fd: i32 = "value_type_btf_obj_fd",
        map_token_fd: i32 = "map_token_fd",
    }
}

attr_struct! {
    /// `BPF_MAP_LOOKUP_ELEM`, `UPDATE_ELEM`, `DELETE_ELEM`, `GET_NEXT_KEY`,
    /// `LOOKUP_AND_DELETE_ELEM`, `FREEZE`. `value` is `next_key` for
    /// `GET_NEXT_KEY`.
    pub struct MapElemAttr in "union bpf_attr" {
        map_fd: u32 = "map_fd",
        pad0: u32 = "",
        key: u64 = "key",
        value: u64 = "value",
        flags: u64 = "flags",
    }
}

attr_struct! {
    /// `BPF_PROG_LOAD`. `attach_target_fd` is the C union of
    /// `attach_prog_fd` and `attach_btf_obj_fd`.
    pub struct ProgLoadAttr in "union bpf_attr" {
        prog_type: u32 = "prog_type",
        insn_cnt: u32 = "insn_cnt",
        insns: u64 = "insns",
        license: u64 = "license",
        log_level: u32 = "log_level",
        log_size: u32 = "log_size",
        log_buf: u64 = "log_buf",
        kern_version: u32 = "kern_version",
        prog_flags: u32 = "prog_flags",
        prog_name: [u8; 16] = "prog_name",
        prog_ifindex: u32 = "prog_ifindex",
        expected_attach_type: u32 = "expected_attach_type",
        prog_btf_fd: u32 = "prog_btf_fd",
        func_info_rec_size: u32 = "func_info_rec_size",
        func_info: u64 = "func_info",
        func_info_cnt: u32 = "func_info_cnt",
        line_info_rec_size: u32 = "line_info_rec_size",
        line_info: u64 = "line_info",
        line_info_cnt: u32 = "line_info_cnt",
        attach_btf_id: u32 = "attach_btf_id",
        attach_target_fd: u32 = "attach_prog_fd",
        core_relo_cnt: u32 = "core_relo_cnt",
        fd_array: u64 = "fd_array",
        core_relos: u64 = "core_relos",
        core_relo_rec_size: u32 = "core_relo_rec_size",
        log_true_size: u32 = "log_true_size",
        prog_token_fd: i32 = "prog_token_fd",
        pad0: u32 = "",
    }
}

attr_struct! {
    /// `BPF_OBJ_PIN`, `BPF_OBJ_GET`.
    pub struct ObjAttr in "union bpf_attr" {
        pathname: u64 = "pathname",
        bpf_fd: u32 = "bpf_fd",
        file_flags: u32 = "file_flags",
        path_fd: i32 = "path_fd",
        pad0: u32 = "",
    }
}

attr_struct! {
    /// `BPF_PROG_ATTACH`, `BPF_PROG_DETACH`.
    pub struct ProgAttachAttr in "union bpf_attr" {
        target_fd: u32 = "target_fd",
        attach_bpf_fd: u32 = "attach_bpf_fd",
        attach_type: u32 = "attach_type",
        attach_flags: u32 = "attach_flags",
        replace_bpf_fd: u32 = "replace_bpf_fd",
        relative_fd: u32 = "relative_fd",
        expected_revision: u64 = "expected_revision",
    }
}

attr_struct! {
    /// `BPF_PROG_TEST_RUN`.
    pub struct TestRunAttr in "union bpf_attr" {
        prog_fd: u32 = "test.prog_fd",
        retval: u32 = "test.retval",
        data_size_in: u32 = "test.data_size_in",
        data_size_out: u32 = "test.data_size_out",
        data_in: u64 = "test.data_in",
        data_out: u64 = "test.data_out",
        repeat: u32 = "test.repeat",
        duration: u32 = "test.duration",
        ctx_size_in: u32 = "test.ctx_size_in",
        ctx_size_out: u32 = "test.ctx_size_out",
        ctx_in: u64 = "test.ctx_in",
        ctx_out: u64 = "test.ctx_out",
        flags: u32 = "test.flags",
        cpu: u32 = "test.cpu",
        batch_size: u32 = "test.batch_size",
        pad0: u32 = "",
    }
}

attr_struct! {
    /// `BPF_*_GET_NEXT_ID` (`start_id`) and `BPF_*_GET_FD_BY_ID` (the same
    /// slot holds the id).
    pub struct GetIdAttr in "union bpf_attr" {
        start_id: u32 = "start_id",
        next_id: u32 = "next_id",
        open_flags: u32 = "open_flags",
    }
}

attr_struct! {
    /// `BPF_OBJ_GET_INFO_BY_FD`.
    pub struct InfoAttr in "union bpf_attr" {
        bpf_fd: u32 = "info.bpf_fd",
        info_len: u32 = "info.info_len",
        info: u64 = "info.info",
    }
}

attr_struct! {
    /// `BPF_RAW_TRACEPOINT_OPEN`.
    pub struct RawTracepointAttr in "union bpf_attr" {
        name: u64 = "raw_tracepoint.name",
        prog_fd: u32 = "raw_tracepoint.prog_fd",
        pad0: u32 = "",
        cookie: u64 = "raw_tracepoint.cookie",
    }
}

attr_struct! {
    /// `BPF_BTF_LOAD`.
    pub struct BtfLoadAttr in "union bpf_attr" {
        btf: u64 = "btf",
        btf_log_buf: u64 = "btf_log_buf",
        btf_size: u32 = "btf_size",
        btf_log_size: u32 = "btf_log_size",
        btf_log_level: u32 = "btf_log_level",
        btf_log_true_size: u32 = "btf_log_true_size",
        btf_flags: u32 = "btf_flags",
        btf_token_fd: i32 = "btf_token_fd",
    }
}

attr_struct! {
    /// `BPF_TASK_FD_QUERY`.
    pub struct TaskFdQueryAttr in "union bpf_attr" {
        pid: u32 = "task_fd_query.pid",
        fd: u32 = "task_fd_query.fd",
        flags: u32 = "task_fd_query.flags",
        buf_len: u32 = "task_fd_query.buf_len",
        buf: u64 = "task_fd_query.buf",
        prog_id: u32 = "task_fd_query.prog_id",
        fd_type: u32 = "task_fd_query.fd_type",
        probe_offset: u64 = "task_fd_query.probe_offset",
        probe_addr: u64 = "task_fd_query.probe_addr",
    }
}

attr_struct! {
    /// `BPF_LINK_CREATE` for a perf event (`BPF_PERF_EVENT`).
    pub struct LinkCreatePerfEventAttr in "union bpf_attr" {
        prog_fd: u32 = "link_create.prog_fd",
        target_fd: u32 = "link_create.target_fd",
        attach_type: u32 = "link_create.attach_type",
        flags: u32 = "link_create.flags",
        bpf_cookie: u64 = "link_create.perf_event.bpf_cookie",
    }
}

attr_struct! {
    /// `BPF_LINK_CREATE` for tracing programs (fentry, fexit, fmod_ret,
    /// lsm, freplace, tp_btf) and for attach types that need only a target
    /// fd (cgroups).
    pub struct LinkCreateTracingAttr in "union bpf_attr" {
        prog_fd: u32 = "link_create.prog_fd",
        target_fd: u32 = "link_create.target_fd",
        attach_type: u32 = "link_create.attach_type",
        flags: u32 = "link_create.flags",
        target_btf_id: u32 = "link_create.tracing.target_btf_id",
        pad0: u32 = "",
        cookie: u64 = "link_create.tracing.cookie",
    }
}

attr_struct! {
    /// `BPF_LINK_CREATE` for `BPF_TRACE_KPROBE_MULTI`.
    pub struct LinkCreateKprobeMultiAttr in "union bpf_attr" {
        prog_fd: u32 = "link_create.prog_fd",
        target_fd: u32 = "link_create.target_fd",
        attach_type: u32 = "link_create.attach_type",
        flags: u32 = "link_create.flags",
        kprobe_flags: u32 = "link_create.kprobe_multi.flags",
        cnt: u32 = "link_create.kprobe_multi.cnt",
        syms: u64 = "link_create.kprobe_multi.syms",
        addrs: u64 = "link_create.kprobe_multi.addrs",
        cookies: u64 = "link_create.kprobe_multi.cookies",
    }
}

attr_struct! {
    /// `BPF_LINK_UPDATE`.
    pub struct LinkUpdateAttr in "union bpf_attr" {
        link_fd: u32 = "link_update.link_fd",
        new_prog_fd: u32 = "link_update.new_prog_fd",
        flags: u32 = "link_update.flags",
        old_prog_fd: u32 = "link_update.old_prog_fd",
    }
}

attr_struct! {
    /// `BPF_LINK_DETACH`.
    pub struct LinkDetachAttr in "union bpf_attr" {
        link_fd: u32 = "link_detach.link_fd",
    }
}

attr_struct! {
    /// `BPF_PROG_BIND_MAP`.
    pub struct ProgBindMapAttr in "union bpf_attr" {
        prog_fd: u32 = "prog_bind_map.prog_fd",
        map_fd: u32 = "prog_bind_map.map_fd",
        flags: u32 = "prog_bind_map.flags",
    }
}

attr_struct! {
    /// `BPF_ENABLE_STATS`.
    pub struct EnableStatsAttr in "union bpf_attr" {
        stats_type: u32 = "enable_stats.type",
    }
}

/// Every layout this crate defines, for the layout test.
pub const LAYOUTS: &[Layout] = &[
    MapCreateAttr::LAYOUT,
    MapElemAttr::LAYOUT,
    ProgLoadAttr::LAYOUT,
    ObjAttr::LAYOUT,
    ProgAttachAttr::LAYOUT,
    TestRunAttr::LAYOUT,
    GetIdAttr::LAYOUT,
    InfoAttr::LAYOUT,
    RawTracepointAttr::LAYOUT,
    BtfLoadAttr::LAYOUT,
    TaskFdQueryAttr::LAYOUT,
    LinkCreatePerfEventAttr::LAYOUT,
    LinkCreateTracingAttr::LAYOUT,
    LinkCreateKprobeMultiAttr::LAYOUT,
    LinkUpdateAttr::LAYOUT,
    LinkDetachAttr::LAYOUT,
    EnableStatsAttr::LAYOUT,
    ProgBindMapAttr::LAYOUT,
    crate::info_attr::ProgInfoAttr::LAYOUT,
    crate::info_attr::MapInfoAttr::LAYOUT,
    crate::info_attr::BtfInfoAttr::LAYOUT,
    crate::info_attr::LinkInfoAttr::LAYOUT,
    crate::info_attr::LinkInfoRawTracepointAttr::LAYOUT,
    crate::info_attr::LinkInfoTracingAttr::LAYOUT,
    crate::info_attr::LinkInfoKprobeMultiAttr::LAYOUT,
    crate::info_attr::LinkInfoPerfEventAttr::LAYOUT,
    crate::info_attr::PerfEventAttr::LAYOUT,
];
