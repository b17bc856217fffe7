//! corex's kernel layer, the only corex crate with system calls and
//! `unsafe`: the bpf(2) commands with typed arguments, `perf_event_open`
//! and its ioctls, shared memory mappings, epoll, the memlock limit,
//! capabilities and CPU lists. File descriptors are owned, typed values that
//! close on drop.
//!
//! Every bpf(2) call goes through one function, which tests replace with a
//! fake ([`with_fake_bpf`]), so the decisions above this layer can be tested
//! without root. Every error names the call, the errno and what it means for
//! that call. This layer decides nothing: it does what it is told, checks
//! that no buffer is too small for what the kernel will write, and says why
//! a call failed.
//!
//! ```no_run
//! use corex_sys::{MapCreate, MapFd};
//! use corex_uapi::MapType;
//! let map = MapFd::create(&MapCreate::new(MapType::HASH, 4, 8, 16)).unwrap();
//! map.update(&1u32.to_ne_bytes(), &7u64.to_ne_bytes(), 0).unwrap();
//! ```

#![warn(missing_docs)]

pub mod attr;
mod attr_macro;
mod btf;
mod epoll;
mod error;
mod explain;
mod fd;
mod info;
pub mod info_attr;
mod link;
mod map;
mod mmap;
mod object;
mod perf;
mod prog;
mod query;
mod syscall;
mod system;

pub use attr_macro::{Field, Layout};
pub use epoll::{Epoll, EpollEvent, EventFd, TimerFd};
pub use error::{Errno, Error, Result, Syscall};
pub use fd::{BtfFd, LinkFd, PerfEventFd, ProgFd, StatsFd};
pub use info::{BtfInfo, LinkDetail, LinkInfo, MapInfo, ProgInfo};
pub use link::LinkTarget;
pub use map::{Keys, MapCreate, MapFd, MapShape};
pub use mmap::{page_size, prefetch_lines, Mmap, Protection, RingWindow, PREFETCH_DISTANCE};
pub use object::{ids, next_id, obj_get, obj_pin, Ids, ObjectKind};
pub use perf::{PerfEventKind, PerfEventOpen, Wakeup};
pub use prog::{
    prog_attach, prog_detach, BtfRecords, ProgLoad, TestRun, TestRunResult, VerifierLog,
};
pub use query::{enable_stats, task_fd_query, TaskFdInfo};
pub use syscall::{fake_fd, with_fake_bpf, FakeBpf, FakeCall};
pub use system::{
    memlock_limit, online_cpus, parse_cpu_list, possible_cpu_count, possible_cpus,
    set_memlock_limit, uname, Capabilities, Capability, Limit, Uname,
};
