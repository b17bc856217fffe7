//! Errors: which call failed, the errno, and what that errno means for that
//! call. The text is made in `Display`; the data stays typed.

use corex_uapi::BpfCmd;
use std::fmt;

/// An errno value, with its symbolic name.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(libc::EPERM);
    /// No such entry.
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    /// No such process.
    pub const ESRCH: Errno = Errno(libc::ESRCH);
    /// Interrupted system call.
    pub const EINTR: Errno = Errno(libc::EINTR);
    /// Argument list (here: attribute or size) too big.
    pub const E2BIG: Errno = Errno(libc::E2BIG);
    /// Bad file descriptor.
    pub const EBADF: Errno = Errno(libc::EBADF);
    /// Try again.
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    /// Out of memory.
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    /// Permission denied.
    pub const EACCES: Errno = Errno(libc::EACCES);
    /// Bad address.
    pub const EFAULT: Errno = Errno(libc::EFAULT);
    /// Device or resource busy.
    pub const EBUSY: Errno = Errno(libc::EBUSY);
    /// File exists.
    pub const EEXIST: Errno = Errno(libc::EEXIST);
    /// Cross-device link.
    pub const EXDEV: Errno = Errno(libc::EXDEV);
    /// No such device.
    pub const ENODEV: Errno = Errno(libc::ENODEV);
    /// Not a directory.
    pub const ENOTDIR: Errno = Errno(libc::ENOTDIR);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    /// Too many open files.
    pub const EMFILE: Errno = Errno(libc::EMFILE);
    /// Inappropriate ioctl.
    pub const ENOTTY: Errno = Errno(libc::ENOTTY);
    /// No space left (here: a buffer too small).
    pub const ENOSPC: Errno = Errno(libc::ENOSPC);
    /// Result out of range.
    pub const ERANGE: Errno = Errno(libc::ERANGE);
    /// Function not implemented.
    pub const ENOSYS: Errno = Errno(libc::ENOSYS);
    /// Operation not supported.
    pub const EOPNOTSUPP: Errno = Errno(libc::EOPNOTSUPP);
    /// The kernel's internal "not supported" (524), which bpf(2) leaks.
    pub const ENOTSUPP: Errno = Errno(524);

    /// The calling thread's `errno` after a failed call.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The symbolic name (`EPERM`), `None` for a number not listed here.
    pub fn name(self) -> Option<&'static str> {
        const NAMES: &[(Errno, &str)] = &[
            (Errno::EPERM, "EPERM"),
            (Errno::ENOENT, "ENOENT"),
            (Errno::ESRCH, "ESRCH"),
            (Errno::EINTR, "EINTR"),
            (Errno::E2BIG, "E2BIG"),
            (Errno::EBADF, "EBADF"),
            (Errno::EAGAIN, "EAGAIN"),
            (Errno::ENOMEM, "ENOMEM"),
            (Errno::EACCES, "EACCES"),
            (Errno::EFAULT, "EFAULT"),
            (Errno::EBUSY, "EBUSY"),
            (Errno::EEXIST, "EEXIST"),
            (Errno::EXDEV, "EXDEV"),
            (Errno::ENODEV, "ENODEV"),
            (Errno::ENOTDIR, "ENOTDIR"),
            (Errno::EINVAL, "EINVAL"),
            (Errno::EMFILE, "EMFILE"),
            (Errno::ENOTTY, "ENOTTY"),
            (Errno::ENOSPC, "ENOSPC"),
            (Errno::ERANGE, "ERANGE"),
            (Errno::ENOSYS, "ENOSYS"),
            (Errno::EOPNOTSUPP, "EOPNOTSUPP"),
            (Errno::ENOTSUPP, "ENOTSUPP"),
        ];
        NAMES.iter().find(|(e, _)| *e == self).map(|(_, n)| *n)
    }

    /// The C library's description ("Operation not permitted").
    pub fn description(self) -> String {
        if self == Errno::ENOTSUPP {
            return "Operation not supported by the kernel".to_owned();
        }
        let text = std::io::Error::from_raw_os_error(self.0).to_string();
        match text.rfind(" (os error") {
            Some(i) => text[..i].to_owned(),
            None => text,
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.description()),
            None => write!(f, "errno {} ({})", self.0, self.description()),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

/// A system call other than bpf(2), for errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Syscall {
    /// `perf_event_open(2)`.
    PerfEventOpen,
    /// `ioctl(PERF_EVENT_IOC_SET_BPF)`.
    PerfEventSetBpf,
    /// `ioctl(PERF_EVENT_IOC_ENABLE)`.
    PerfEventEnable,
    /// `ioctl(PERF_EVENT_IOC_DISABLE)`.
    PerfEventDisable,
    /// `ioctl(PERF_EVENT_IOC_ID)`.
    PerfEventId,
    /// `mmap(2)`.
    Mmap,
    /// `epoll_create1(2)`.
    EpollCreate,
    /// `epoll_ctl(2)`.
    EpollCtl,
    /// `epoll_wait(2)`.
    EpollWait,
    /// `eventfd(2)`.
    EventFd,
    /// `read(2)` of an eventfd.
    EventFdRead,
    /// `write(2)` of an eventfd.
    EventFdWrite,
    /// `timerfd_create(2)`.
    TimerFd,
    /// `timerfd_settime(2)`.
    TimerFdSet,
    /// `read(2)` of a timerfd.
    TimerFdRead,
    /// `getrlimit(RLIMIT_MEMLOCK)`.
    GetRlimit,
    /// `setrlimit(RLIMIT_MEMLOCK)`.
    SetRlimit,
    /// `capget(2)`.
    Capget,
    /// `uname(2)`.
    Uname,
    /// Reading a file under /sys or /proc.
    ReadFile,
}

impl Syscall {
    /// The call as a person writes it.
    pub fn name(self) -> &'static str {
        match self {
            Syscall::PerfEventOpen => "perf_event_open",
            Syscall::PerfEventSetBpf => "ioctl(PERF_EVENT_IOC_SET_BPF)",
            Syscall::PerfEventEnable => "ioctl(PERF_EVENT_IOC_ENABLE)",
            Syscall::PerfEventDisable => "ioctl(PERF_EVENT_IOC_DISABLE)",
            Syscall::PerfEventId => "ioctl(PERF_EVENT_IOC_ID)",
            Syscall::Mmap => "mmap",
            Syscall::EpollCreate => "epoll_create1",
            Syscall::EpollCtl => "epoll_ctl",
            Syscall::EpollWait => "epoll_wait",
            Syscall::EventFd => "eventfd",
            Syscall::EventFdRead => "read(eventfd)",
            Syscall::EventFdWrite => "write(eventfd)",
            Syscall::TimerFd => "timerfd_create",
            Syscall::TimerFdSet => "timerfd_settime",
            Syscall::TimerFdRead => "read(timerfd)",
            Syscall::GetRlimit => "getrlimit(RLIMIT_MEMLOCK)",
            Syscall::SetRlimit => "setrlimit(RLIMIT_MEMLOCK)",
            Syscall::Capget => "capget",
            Syscall::Uname => "uname",
            Syscall::ReadFile => "read",
        }
    }
}

impl fmt::Display for Syscall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong in the kernel layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bpf(2) command failed.
    #[error("{cmd} failed: {errno}{}", crate::explain::bpf_meaning(*cmd, *errno).map(|m| format!(": {m}")).unwrap_or_default())]
    Bpf {
        /// The command.
        cmd: BpfCmd,
        /// The errno the kernel returned.
        errno: Errno,
    },
    /// Another system call failed.
    #[error("{call} failed: {errno}{}", crate::explain::syscall_meaning(*call, *errno).map(|m| format!(": {m}")).unwrap_or_default())]
    Syscall {
        /// The call.
        call: Syscall,
        /// The errno.
        errno: Errno,
    },
    /// An argument that cannot be passed to the kernel as given (caught
    /// before any call).
    #[error("{call}: {why}")]
    BadArgument {
        /// The command or call it was meant for (`BPF_PROG_LOAD`, `mmap`).
        call: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// A kernel file (`/sys/devices/system/cpu/possible`, ...) that could not
    /// be read or understood.
    #[error("{path}: {why}")]
    KernelFile {
        /// The file.
        path: String,
        /// What went wrong.
        why: String,
    },
}

/// The kernel layer's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The errno, when a system call failed.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Bpf { errno, .. } | Error::Syscall { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The bpf(2) command, when one failed.
    pub fn bpf_cmd(&self) -> Option<BpfCmd> {
        match self {
            Error::Bpf { cmd, .. } => Some(*cmd),
            _ => None,
        }
    }

    /// Whether the kernel said it lacks the feature: no bpf(2) at all
    /// (ENOSYS) or "not supported" (EOPNOTSUPP, the kernel-internal
    /// ENOTSUPP). Feature probes above decide what EINVAL or E2BIG mean for
    /// the attribute they tried.
    pub fn is_not_supported(&self) -> bool {
        matches!(
            self.errno(),
            Some(Errno::ENOSYS | Errno::EOPNOTSUPP | Errno::ENOTSUPP)
        )
    }

    /// Whether the call was refused for lack of privilege (EPERM, or EACCES
    /// from a call other than `BPF_PROG_LOAD`, where EACCES is the verifier's
    /// rejection).
    pub fn is_permission_denied(&self) -> bool {
        match self {
            Error::Bpf { cmd, errno } => {
                *errno == Errno::EPERM || (*errno == Errno::EACCES && *cmd != BpfCmd::PROG_LOAD)
            }
            Error::Syscall { errno, .. } => matches!(*errno, Errno::EPERM | Errno::EACCES),
            _ => false,
        }
    }

    /// Whether the object asked for does not exist (ENOENT): an id that was
    /// freed, a path with nothing pinned, a tracepoint that is not there.
    pub fn is_not_found(&self) -> bool {
        self.errno() == Some(Errno::ENOENT)
    }

    /// Whether a signal interrupted the call (EINTR): retry or stop.
    pub fn is_interrupted(&self) -> bool {
        self.errno() == Some(Errno::EINTR)
    }
}
