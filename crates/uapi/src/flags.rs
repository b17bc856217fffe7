//! Flag words of the bpf(2) commands and the pseudo source registers of
//! instructions, each with its C name.

/// `map_flags` of `BPF_MAP_CREATE`.
pub mod map {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// Hash maps: allocate elements on demand instead of up front.
        NO_PREALLOC: u32 = 1 << 0, "BPF_F_NO_PREALLOC";
        /// LRU maps: one LRU list per CPU.
        NO_COMMON_LRU: u32 = 1 << 1, "BPF_F_NO_COMMON_LRU";
        /// `numa_node` is set.
        NUMA_NODE: u32 = 1 << 2, "BPF_F_NUMA_NODE";
        /// User space may only read (also a `file_flags` value).
        RDONLY: u32 = 1 << 3, "BPF_F_RDONLY";
        /// User space may only write (also a `file_flags` value).
        WRONLY: u32 = 1 << 4, "BPF_F_WRONLY";
        /// Stack trace maps store build ids and offsets.
        STACK_BUILD_ID: u32 = 1 << 5, "BPF_F_STACK_BUILD_ID";
        /// Zero hash seed (tests only).
        ZERO_SEED: u32 = 1 << 6, "BPF_F_ZERO_SEED";
        /// Programs may only read.
        RDONLY_PROG: u32 = 1 << 7, "BPF_F_RDONLY_PROG";
        /// Programs may only write.
        WRONLY_PROG: u32 = 1 << 8, "BPF_F_WRONLY_PROG";
        /// Local storage maps: clone on socket clone.
        CLONE: u32 = 1 << 9, "BPF_F_CLONE";
        /// Array (and arena) maps can be mmap'd.
        MMAPABLE: u32 = 1 << 10, "BPF_F_MMAPABLE";
        /// Perf event arrays keep entries when the map's fd closes.
        PRESERVE_ELEMS: u32 = 1 << 11, "BPF_F_PRESERVE_ELEMS";
        /// An inner map whose max_entries may differ from the template's.
        INNER_MAP: u32 = 1 << 12, "BPF_F_INNER_MAP";
        /// struct_ops maps used as links.
        LINK: u32 = 1 << 13, "BPF_F_LINK";
        /// `BPF_OBJ_PIN`/`BPF_OBJ_GET`: `path_fd` is set.
        PATH_FD: u32 = 1 << 14, "BPF_F_PATH_FD";
        /// `value_type_btf_obj_fd` is set.
        VTYPE_BTF_OBJ_FD: u32 = 1 << 15, "BPF_F_VTYPE_BTF_OBJ_FD";
        /// `map_token_fd` is set.
        TOKEN_FD: u32 = 1 << 16, "BPF_F_TOKEN_FD";
        /// Arena maps: fault instead of reading zero.
        SEGV_ON_FAULT: u32 = 1 << 17, "BPF_F_SEGV_ON_FAULT";
        /// Arena maps: no user address translation.
        NO_USER_CONV: u32 = 1 << 18, "BPF_F_NO_USER_CONV";
    }
}

/// `flags` of `BPF_MAP_UPDATE_ELEM` (and of lookups, for `LOCK`).
pub mod update {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// Create or replace.
        ANY: u64 = 0, "BPF_ANY";
        /// Create only: EEXIST if the key exists.
        NOEXIST: u64 = 1, "BPF_NOEXIST";
        /// Replace only: ENOENT if the key is absent.
        EXIST: u64 = 2, "BPF_EXIST";
        /// Take the value's `bpf_spin_lock`.
        LOCK: u64 = 4, "BPF_F_LOCK";
    }
}

/// `prog_flags` of `BPF_PROG_LOAD`.
pub mod prog {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// Verify with strict alignment.
        STRICT_ALIGNMENT: u32 = 1 << 0, "BPF_F_STRICT_ALIGNMENT";
        /// Allow any alignment.
        ANY_ALIGNMENT: u32 = 1 << 1, "BPF_F_ANY_ALIGNMENT";
        /// Randomize the upper 32 bits (verifier tests).
        TEST_RND_HI32: u32 = 1 << 2, "BPF_F_TEST_RND_HI32";
        /// Verifier state frequency tests.
        TEST_STATE_FREQ: u32 = 1 << 3, "BPF_F_TEST_STATE_FREQ";
        /// A sleepable program (`.s` sections).
        SLEEPABLE: u32 = 1 << 4, "BPF_F_SLEEPABLE";
        /// XDP program that handles multi-buffer frames.
        XDP_HAS_FRAGS: u32 = 1 << 5, "BPF_F_XDP_HAS_FRAGS";
        /// XDP program bound to a device.
        XDP_DEV_BOUND_ONLY: u32 = 1 << 6, "BPF_F_XDP_DEV_BOUND_ONLY";
        /// Verifier register invariant checks (tests).
        TEST_REG_INVARIANTS: u32 = 1 << 7, "BPF_F_TEST_REG_INVARIANTS";
    }
}

/// `attach_flags` of `BPF_PROG_ATTACH` and `flags` of `BPF_LINK_CREATE`.
pub mod attach {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// cgroup: a sub-cgroup's program overrides this one.
        ALLOW_OVERRIDE: u32 = 1 << 0, "BPF_F_ALLOW_OVERRIDE";
        /// cgroup: several programs run.
        ALLOW_MULTI: u32 = 1 << 1, "BPF_F_ALLOW_MULTI";
        /// Replace `replace_bpf_fd`'s program.
        REPLACE: u32 = 1 << 2, "BPF_F_REPLACE";
        /// `kprobe_multi.flags`: return probes.
        KPROBE_MULTI_RETURN: u32 = 1 << 0, "BPF_F_KPROBE_MULTI_RETURN";
        /// `uprobe_multi.flags`: return probes.
        UPROBE_MULTI_RETURN: u32 = 1 << 0, "BPF_F_UPROBE_MULTI_RETURN";
    }
}

/// `flags` of `BPF_PROG_TEST_RUN`.
pub mod test_run {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// Run on the CPU in `cpu`.
        RUN_ON_CPU: u32 = 1 << 0, "BPF_F_TEST_RUN_ON_CPU";
        /// XDP: send the frames for real.
        XDP_LIVE_FRAMES: u32 = 1 << 1, "BPF_F_TEST_XDP_LIVE_FRAMES";
    }
}

/// The `src` register of `ld_imm64` and `call` instructions: what the
/// immediate refers to.
pub mod pseudo {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// `ld_imm64`: imm is a map fd.
        MAP_FD: u8 = 1, "BPF_PSEUDO_MAP_FD";
        /// `ld_imm64`: imm is a map fd, the second imm an offset in its value.
        MAP_VALUE: u8 = 2, "BPF_PSEUDO_MAP_VALUE";
        /// `ld_imm64`: imm is a BTF id of a kernel variable (typed ksym).
        BTF_ID: u8 = 3, "BPF_PSEUDO_BTF_ID";
        /// `ld_imm64`: imm is a BPF function's offset (callback).
        FUNC: u8 = 4, "BPF_PSEUDO_FUNC";
        /// `ld_imm64`: imm is an index into `fd_array`.
        MAP_IDX: u8 = 5, "BPF_PSEUDO_MAP_IDX";
        /// `ld_imm64`: imm is an `fd_array` index, plus a value offset.
        MAP_IDX_VALUE: u8 = 6, "BPF_PSEUDO_MAP_IDX_VALUE";
        /// `call`: imm is a relative offset to a BPF function.
        CALL: u8 = 1, "BPF_PSEUDO_CALL";
        /// `call`: imm is a kfunc's BTF id.
        KFUNC_CALL: u8 = 2, "BPF_PSEUDO_KFUNC_CALL";
    }
}

/// Sizes and the ring buffer record header.
pub mod sizes {
    use crate::uapi_consts::uapi_consts;
    uapi_consts! {
        /// Object names (`map_name`, `prog_name`) hold 15 bytes and a NUL.
        OBJ_NAME_LEN: usize = 16, "BPF_OBJ_NAME_LEN";
        /// A program tag's bytes.
        TAG_SIZE: usize = 8, "BPF_TAG_SIZE";
        /// Ring buffer record header: the record is being written.
        RINGBUF_BUSY_BIT: u32 = 1 << 31, "BPF_RINGBUF_BUSY_BIT";
        /// Ring buffer record header: the record was discarded.
        RINGBUF_DISCARD_BIT: u32 = 1 << 30, "BPF_RINGBUF_DISCARD_BIT";
        /// Ring buffer record header size.
        RINGBUF_HDR_SZ: u32 = 8, "BPF_RINGBUF_HDR_SZ";
    }
}
