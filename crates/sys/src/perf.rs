//! `perf_event_open` with a typed attribute, and the ioctls BPF needs:
//! `PERF_EVENT_IOC_SET_BPF`, `ENABLE`, `DISABLE`, `ID`.

use crate::error::{Errno, Error, Result, Syscall};
use crate::fd::{owned_fd, PerfEventFd, ProgFd};
use crate::info_attr::PerfEventAttr;
use corex_uapi::perf;
use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// What event to open.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum PerfEventKind<'a> {
    /// A tracepoint, by its tracefs id (`events/CAT/NAME/id`).
    Tracepoint {
        /// The id.
        id: u64,
    },
    /// A kprobe or uprobe through its dynamic PMU (`type` from
    /// `/sys/bus/event_source/devices/{kprobe,uprobe}/type`): `target` is
    /// the function name (kprobe; `None` with an absolute address in
    /// `offset`) or the binary's path (uprobe); `offset` the offset (or
    /// address); `config` the retprobe bit and, for uprobes, the reference
    /// counter offset (`ref_ctr_offset << 32`).
    Probe {
        /// The PMU's type number.
        pmu_type: u32,
        /// `config`.
        config: u64,
        /// `config1`: function name or binary path.
        target: Option<&'a CStr>,
        /// `config2`: offset or address.
        offset: u64,
    },
    /// The software event `bpf_perf_event_output` writes samples into
    /// (`PERF_COUNT_SW_BPF_OUTPUT`, `PERF_SAMPLE_RAW`).
    BpfOutput,
    /// Another software counter (`PERF_COUNT_SW_*`).
    Software {
        /// The counter.
        config: u64,
    },
}

/// When a reader of the event's ring is woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wakeup {
    /// After this many events (samples).
    Events(u32),
    /// After this many bytes.
    Watermark(u32),
}

/// The attributes of [`PerfEventFd::open`]. Start from
/// [`PerfEventOpen::new`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PerfEventOpen<'a> {
    /// The event.
    pub kind: PerfEventKind<'a>,
    /// Process to watch (-1: all, with a CPU).
    pub pid: i32,
    /// CPU to watch (-1: all, with a pid).
    pub cpu: i32,
    /// Sample every N events.
    pub sample_period: u64,
    /// When to wake a reader.
    pub wakeup: Wakeup,
    /// Start disabled (enable with [`PerfEventFd::enable`]).
    pub disabled: bool,
    /// Count in child processes too.
    pub inherit: bool,
    /// Group leader.
    pub group: Option<BorrowedFd<'a>>,
}

impl<'a> PerfEventOpen<'a> {
    /// `kind` on every process of CPU `cpu` (libbpf's choice for
    /// tracepoints and kprobes: CPU 0; for BPF output: each CPU), sampling
    /// every event, waking on each, enabled.
    pub fn new(kind: PerfEventKind<'a>, cpu: i32) -> Self {
        PerfEventOpen {
            kind,
            pid: -1,
            cpu,
            sample_period: 1,
            wakeup: Wakeup::Events(1),
            disabled: false,
            inherit: false,
            group: None,
        }
    }

    /// The raw attribute.
    pub fn attr(&self) -> PerfEventAttr {
        let mut attr = PerfEventAttr {
            size: perf::ATTR_SIZE_VER7,
            sample_period: self.sample_period,
            ..Default::default()
        };
        match self.kind {
            PerfEventKind::Tracepoint { id } => {
                attr.event_type = perf::TYPE_TRACEPOINT;
                attr.config = id;
            }
            PerfEventKind::Probe {
                pmu_type,
                config,
                target,
                offset,
            } => {
                attr.event_type = pmu_type;
                attr.config = config;
                attr.config1 = target.map_or(0, |t| t.as_ptr() as u64);
                attr.config2 = offset;
            }
            PerfEventKind::BpfOutput => {
                attr.event_type = perf::TYPE_SOFTWARE;
                attr.config = perf::COUNT_SW_BPF_OUTPUT;
                attr.sample_type = perf::SAMPLE_RAW;
            }
            PerfEventKind::Software { config } => {
                attr.event_type = perf::TYPE_SOFTWARE;
                attr.config = config;
            }
        }
        match self.wakeup {
            Wakeup::Events(n) => attr.wakeup_events = n,
            Wakeup::Watermark(bytes) => {
                attr.wakeup_events = bytes;
                attr.flags |= perf::ATTR_WATERMARK;
            }
        }
        if self.disabled {
            attr.flags |= perf::ATTR_DISABLED;
        }
        if self.inherit {
            attr.flags |= perf::ATTR_INHERIT;
        }
        attr
    }
}

fn failed(call: Syscall) -> Error {
    Error::Syscall {
        call,
        errno: Errno::last(),
    }
}

impl PerfEventFd {
    /// Opens a perf event (`perf_event_open`, close-on-exec).
    pub fn open(open: &PerfEventOpen<'_>) -> Result<PerfEventFd> {
        let mut attr = open.attr();
        let group = open.group.map_or(-1, |g| g.as_raw_fd());
        // SAFETY: `attr` is a live, initialized `perf_event_attr` whose
        // `size` field says how many bytes the kernel may read (at most
        // `size_of::<PerfEventAttr>()`); `config1`, when set, points into a
        // `CStr` borrowed by `open` for the duration of this call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &mut attr as *mut PerfEventAttr,
                open.pid as libc::c_long,
                open.cpu as libc::c_long,
                group as libc::c_long,
                perf::FLAG_FD_CLOEXEC as libc::c_long,
            )
        };
        if ret < 0 {
            return Err(failed(Syscall::PerfEventOpen));
        }
        Ok(PerfEventFd::from_owned(owned_fd(ret)))
    }

    fn ioctl(&self, call: Syscall, request: u64, arg: libc::c_ulong) -> Result<()> {
        // SAFETY: the perf ioctls used here take an integer argument (an fd,
        // or 0), or for `PERF_EVENT_IOC_ID` a pointer to a live `u64` the
        // caller passes; the fd is open for the borrow of `self`.
        let ret = unsafe { libc::ioctl(self.as_raw_fd(), request as libc::Ioctl, arg) };
        if ret < 0 {
            return Err(failed(call));
        }
        Ok(())
    }

    /// Runs `prog` on each event (`PERF_EVENT_IOC_SET_BPF`): the old way,
    /// for kernels without perf links. The program stays attached while the
    /// event is open.
    pub fn set_bpf(&self, prog: &ProgFd) -> Result<()> {
        self.ioctl(
            Syscall::PerfEventSetBpf,
            perf::IOC_SET_BPF,
            prog.as_fd().as_raw_fd() as libc::c_ulong,
        )
    }

    /// Enables the event (`PERF_EVENT_IOC_ENABLE`).
    pub fn enable(&self) -> Result<()> {
        self.ioctl(Syscall::PerfEventEnable, perf::IOC_ENABLE, 0)
    }

    /// Disables the event (`PERF_EVENT_IOC_DISABLE`).
    pub fn disable(&self) -> Result<()> {
        self.ioctl(Syscall::PerfEventDisable, perf::IOC_DISABLE, 0)
    }

    /// The event's id (`PERF_EVENT_IOC_ID`).
    pub fn id(&self) -> Result<u64> {
        let mut id = 0u64;
        self.ioctl(
            Syscall::PerfEventId,
            perf::IOC_ID,
            &mut id as *mut u64 as libc::c_ulong,
        )?;
        Ok(id)
    }
}
