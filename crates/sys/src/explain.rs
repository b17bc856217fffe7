//! What an errno means for a given call: the sentences errors end with.
//! Kept in one place so each meaning is written once.

use crate::error::{Errno, Syscall};
use corex_uapi::BpfCmd;

const NEEDS_CAP_BPF: &str =
    "needs CAP_BPF (or CAP_SYS_ADMIN; before Linux 5.8 only CAP_SYS_ADMIN): \
     run as root or grant the capability";
const NEEDS_CAP_BPF_MEMLOCK: &str = "needs CAP_BPF (or CAP_SYS_ADMIN; before Linux 5.8 only \
     CAP_SYS_ADMIN); on kernels before 5.11 this is also the error when the RLIMIT_MEMLOCK limit \
     is used up (raise it)";
const NEEDS_CAP_BPF_PERFMON: &str = "needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) for this \
     program type, or a privileged-only feature was asked for; with those, fentry/fexit/lsm \
     programs get EPERM where the kernel refuses BPF trampolines";
const TAIL_NOT_ZERO: &str = "this kernel does not know some of the attributes passed (it is \
     older than the feature used)";

/// The meaning of `errno` from bpf(2) command `cmd`, where corex knows one.
pub(crate) fn bpf_meaning(cmd: BpfCmd, errno: Errno) -> Option<&'static str> {
    use BpfCmd as C;
    let meaning = match (cmd, errno) {
        (_, Errno::ENOSYS) => "this kernel has no bpf(2) system call (CONFIG_BPF_SYSCALL is off)",
        (_, Errno::EFAULT) => {
            "the kernel could not read or write a buffer corex passed (a bug in corex)"
        }
        (C::MAP_CREATE, Errno::EPERM) => NEEDS_CAP_BPF_MEMLOCK,
        (C::MAP_CREATE, Errno::EINVAL) => {
            "the kernel refused the map's attributes: an unknown map type (older kernel), a key or \
             value size this type does not allow, flags it does not take, or BTF key/value types \
             that do not match the sizes"
        }
        (C::MAP_CREATE, Errno::E2BIG) => {
            "the key, value or entry count is larger than this map type allows, or the kernel \
             does not know some of the attributes (it is older than the feature used)"
        }
        (C::MAP_CREATE, Errno::ENOMEM) => {
            "the kernel could not allocate the map (too many entries or too large values for the \
             memory available, or the memlock limit on kernels before 5.11)"
        }
        (C::PROG_LOAD, Errno::EPERM) => NEEDS_CAP_BPF_PERFMON,
        (C::PROG_LOAD, Errno::EACCES) => "the verifier rejected the program (its log says why)",
        (C::PROG_LOAD, Errno::EINVAL) => {
            "the kernel refused the program: an unknown program type or attach type (older \
             kernel), bad attributes (attach BTF id, flags, func/line info), or the verifier \
             rejected it (its log says why)"
        }
        (C::PROG_LOAD, Errno::E2BIG) => {
            "the program is too large for this kernel (too many instructions or too complex for \
             the verifier), or the kernel does not know some of the attributes"
        }
        (C::PROG_LOAD, Errno::ENOSPC) => "the verifier's log did not fit in the log buffer",
        (C::PROG_LOAD, Errno::ENOTSUPP) => {
            "this kernel does not support the program as built (for example BPF trampolines for \
             fentry/fexit, or kfuncs)"
        }
        (C::BTF_LOAD, Errno::EPERM) => NEEDS_CAP_BPF,
        (C::BTF_LOAD, Errno::EINVAL) => {
            "the kernel rejected the BTF (a kind or feature this kernel lacks, or malformed \
             data; the BTF log says which)"
        }
        (C::BTF_LOAD, Errno::ENOSPC) => "the BTF log did not fit in the log buffer",
        (C::BTF_LOAD, Errno::E2BIG) => "the BTF is larger than this kernel accepts",
        (C::MAP_LOOKUP_ELEM | C::MAP_LOOKUP_AND_DELETE_ELEM, Errno::ENOENT) => "no such key",
        (C::MAP_DELETE_ELEM, Errno::ENOENT) => "no such key",
        (C::MAP_GET_NEXT_KEY, Errno::ENOENT) => "no more keys",
        (C::MAP_UPDATE_ELEM, Errno::EEXIST) => "the key exists (BPF_NOEXIST)",
        (C::MAP_UPDATE_ELEM, Errno::ENOENT) => "no such key (BPF_EXIST)",
        (C::MAP_UPDATE_ELEM, Errno::E2BIG) => "the map is full (max_entries reached)",
        (C::MAP_UPDATE_ELEM, Errno::EINVAL) => {
            "the kernel refused the element: a key out of range for an array, bad flags, or a \
             value this map type cannot hold (an fd of the wrong kind)"
        }
        (C::MAP_UPDATE_ELEM | C::MAP_DELETE_ELEM, Errno::EPERM) => {
            "the map is frozen or read-only from user space"
        }
        (
            C::MAP_LOOKUP_ELEM | C::MAP_UPDATE_ELEM | C::MAP_DELETE_ELEM | C::MAP_GET_NEXT_KEY,
            Errno::EOPNOTSUPP | Errno::ENOTSUPP,
        ) => "this map type does not support the operation",
        (C::MAP_FREEZE, Errno::EBUSY) => {
            "the map has writable memory mappings or is already frozen"
        }
        (C::MAP_FREEZE, Errno::EINVAL) => "this kernel or map type cannot freeze maps (Linux 5.2+)",
        (C::OBJ_PIN, Errno::EEXIST) => "a file already exists at that path",
        (C::OBJ_PIN, Errno::EPERM) => {
            "the path is not in a BPF file system (mount bpffs, usually at /sys/fs/bpf)"
        }
        (C::OBJ_PIN, Errno::ENOENT) => {
            "the directory does not exist or is not in a BPF file system (mount one there: \
             mount -t bpf bpf DIR)"
        }
        (C::OBJ_GET, Errno::ENOENT) => "no such file or directory",
        (C::OBJ_GET, Errno::EINVAL) => "the file is not a pinned BPF object",
        (
            C::PROG_GET_FD_BY_ID | C::MAP_GET_FD_BY_ID | C::BTF_GET_FD_BY_ID | C::LINK_GET_FD_BY_ID,
            Errno::ENOENT,
        ) => "no object has that id (it was freed or never existed)",
        (
            C::PROG_GET_FD_BY_ID
            | C::MAP_GET_FD_BY_ID
            | C::BTF_GET_FD_BY_ID
            | C::LINK_GET_FD_BY_ID
            | C::PROG_GET_NEXT_ID
            | C::MAP_GET_NEXT_ID
            | C::BTF_GET_NEXT_ID
            | C::LINK_GET_NEXT_ID,
            Errno::EPERM,
        ) => "needs CAP_SYS_ADMIN",
        (C::OBJ_GET_INFO_BY_FD, Errno::EINVAL) => {
            "the fd is not a BPF object of the kind asked for"
        }
        (C::RAW_TRACEPOINT_OPEN, Errno::ENOENT) => "this kernel has no raw tracepoint of that name",
        (C::RAW_TRACEPOINT_OPEN, Errno::EINVAL) => {
            "the program cannot attach as a raw tracepoint (wrong program type or attach target)"
        }
        (C::LINK_CREATE, Errno::EINVAL) => {
            "the kernel refused the link: this kernel cannot make this kind of link (older \
             kernel), or the program's type or expected attach type does not fit the target"
        }
        (C::LINK_CREATE, Errno::EOPNOTSUPP | Errno::ENOTSUPP) => {
            "this kernel does not support this kind of link"
        }
        (C::LINK_CREATE, Errno::ENOENT) => "the attach target does not exist",
        (C::LINK_CREATE, Errno::EBUSY) => "something is already attached there",
        (C::LINK_CREATE | C::PROG_ATTACH | C::RAW_TRACEPOINT_OPEN, Errno::EPERM) => {
            "needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); for fentry/fexit/lsm, this \
             kernel may refuse BPF trampolines"
        }
        (C::LINK_UPDATE, Errno::EPERM) => "the old program given is not the link's program",
        (C::LINK_UPDATE | C::LINK_DETACH, Errno::EOPNOTSUPP | Errno::ENOTSUPP) => {
            "this kind of link cannot be updated or detached"
        }
        (C::PROG_ATTACH | C::PROG_DETACH, Errno::EINVAL) => {
            "the program's type does not fit the attach type, or the flags are wrong"
        }
        (C::PROG_DETACH, Errno::ENOENT) => "no such program is attached there",
        (C::ENABLE_STATS, Errno::EPERM) => "needs CAP_SYS_ADMIN",
        (C::PROG_BIND_MAP, Errno::EINVAL) => {
            "this kernel cannot bind maps to programs (Linux 5.10+), or the flags are wrong"
        }
        (C::ENABLE_STATS, Errno::EINVAL) => "this kernel does not know that statistic",
        (C::TASK_FD_QUERY, Errno::ENOENT) => "no such process or fd",
        (C::TASK_FD_QUERY, Errno::ENOTSUPP | Errno::EOPNOTSUPP) => {
            "the fd has no BPF program attached the way TASK_FD_QUERY reports"
        }
        (C::TASK_FD_QUERY, Errno::EBADF) => "the process has no such fd",
        (C::PROG_TEST_RUN, Errno::ENOTSUPP | Errno::EOPNOTSUPP) => {
            "this program type cannot be test-run on this kernel"
        }
        (C::PROG_TEST_RUN, Errno::ENOSPC) => "the output buffer is too small for the result",
        (C::PROG_TEST_RUN, Errno::EINVAL) => {
            "the kernel refused the test run's input (data or context size, flags, repeat)"
        }
        (_, Errno::E2BIG) => TAIL_NOT_ZERO,
        (_, Errno::EPERM) => NEEDS_CAP_BPF,
        (_, Errno::EBADF) => "an fd passed is not open, or not of the kind this command needs",
        (_, Errno::EOPNOTSUPP | Errno::ENOTSUPP) => "this kernel does not support the operation",
        (_, Errno::EINVAL) => {
            "the kernel refused the attributes (a kernel older than a field or value used, or a \
             value it does not allow)"
        }
        _ => return None,
    };
    Some(meaning)
}

/// The meaning of `errno` from `call`, where corex knows one.
pub(crate) fn syscall_meaning(call: Syscall, errno: Errno) -> Option<&'static str> {
    use Syscall as S;
    let meaning = match (call, errno) {
        (S::PerfEventOpen, Errno::ENOENT) => {
            "no such event: the tracepoint, kprobe target or PMU does not exist on this kernel"
        }
        (S::PerfEventOpen, Errno::EACCES | Errno::EPERM) => {
            "needs CAP_PERFMON (or CAP_SYS_ADMIN), or a lower kernel.perf_event_paranoid"
        }
        (S::PerfEventOpen, Errno::EINVAL) => {
            "the kernel refused the event's attributes: no tracepoint with that id, a bad \
             function name, offset or CPU, or a field this kernel is too old for"
        }
        (S::PerfEventOpen, Errno::ENODEV) => "no such CPU or PMU",
        (S::PerfEventOpen, Errno::EMFILE) => "too many open files (raise RLIMIT_NOFILE)",
        (S::PerfEventSetBpf, Errno::EINVAL) => {
            "the program's type does not fit the event (a tracepoint needs a tracepoint program, \
             a kprobe a kprobe program)"
        }
        (S::PerfEventSetBpf, Errno::EEXIST) => "the event already has a program",
        (S::PerfEventSetBpf, Errno::EPERM | Errno::EACCES) => "needs CAP_PERFMON or CAP_SYS_ADMIN",
        (S::Mmap, Errno::EPERM) => {
            "the kernel refused the mapping (for a perf ring: raise kernel.perf_event_mlock_kb \
             or RLIMIT_MEMLOCK)"
        }
        (S::Mmap, Errno::EINVAL) => "the size or offset does not fit this object",
        (S::SetRlimit, Errno::EPERM) => "raising the memlock limit needs CAP_SYS_RESOURCE",
        (S::EpollWait, Errno::EINTR) => "interrupted by a signal",
        _ => return None,
    };
    Some(meaning)
}
