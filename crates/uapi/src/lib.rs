//! The Linux kernel's BPF UAPI numbers, shared by corex's pure crates and its
//! kernel layer: bpf(2) commands, program, map, attach and link types, helper
//! ids, flags and the perf_event numbers BPF tracing needs.
//!
//! Each enum is a newtype over the kernel's integer, so a number from a kernel
//! newer than these tables stays representable; `name()` is the text libbpf
//! and bpftool print, `Display` prints it (or `type N` for an unknown number).
//! The values are checked against the kernel's C headers and against the BTF
//! of real kernels by this crate's tests.
//!
//! ```
//! use corex_uapi::{MapType, ProgType};
//! assert_eq!(ProgType::from_name("tracepoint"), Some(ProgType::TRACEPOINT));
//! assert_eq!(MapType::RINGBUF.to_string(), "ringbuf");
//! assert_eq!(MapType(999).to_string(), "type 999");
//! ```

#![warn(missing_docs)]

mod attach;
mod cmd;
pub mod flags;
mod helper;
mod kernel_enum;
mod link;
mod map;
pub mod perf;
mod prog;
mod task_fd;
mod uapi_consts;

pub use attach::AttachType;
pub use cmd::BpfCmd;
pub use helper::HelperId;
pub use link::LinkType;
pub use map::MapType;
pub use prog::ProgType;
pub use task_fd::{StatsType, TaskFdType};

impl MapType {
    /// Whether values are per CPU: user space reads and writes one value per
    /// possible CPU, each rounded up to 8 bytes.
    pub const fn is_per_cpu(self) -> bool {
        matches!(
            self,
            MapType::PERCPU_HASH
                | MapType::PERCPU_ARRAY
                | MapType::LRU_PERCPU_HASH
                | MapType::PERCPU_CGROUP_STORAGE
        )
    }

    /// Whether the map holds other maps (its values are map fds going in
    /// and map ids coming out).
    pub const fn is_map_in_map(self) -> bool {
        matches!(self, MapType::ARRAY_OF_MAPS | MapType::HASH_OF_MAPS)
    }
}

impl BpfCmd {
    /// `BPF_PROG_RUN`, the kernel's newer name of `BPF_PROG_TEST_RUN`.
    pub const PROG_RUN: BpfCmd = BpfCmd::PROG_TEST_RUN;
}
