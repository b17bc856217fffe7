//! epoll, eventfd and timerfd, owned: the poller behind ring and perf buffer
//! readers (no busy loop), a way to wake it from another thread, and a
//! timer it can keep armed across waits.

use crate::error::{Errno, Error, Result, Syscall};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

fn failed(call: Syscall) -> Error {
    Error::Syscall {
        call,
        errno: Errno::last(),
    }
}

/// An epoll instance, closed on drop.
#[derive(Debug)]
pub struct Epoll(OwnedFd);

/// A ready fd, as `wait` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpollEvent {
    /// What is ready (`libc::EPOLLIN`...).
    pub events: u32,
    /// The token given to [`Epoll::add`].
    pub token: u64,
}

impl Epoll {
    /// A new epoll instance (close-on-exec).
    pub fn new() -> Result<Epoll> {
        // SAFETY: no pointers; returns a new fd or -1.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(failed(Syscall::EpollCreate));
        }
        // SAFETY: a new fd nothing else owns.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    fn ctl(&self, op: i32, fd: BorrowedFd<'_>, events: u32, token: u64) -> Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: `event` is a live epoll_event for the call; both fds are open.
        let ret = unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd.as_raw_fd(), &mut event) };
        if ret < 0 {
            return Err(failed(Syscall::EpollCtl));
        }
        Ok(())
    }

    /// Watches `fd` for `events` (`libc::EPOLLIN as u32`...), reporting
    /// `token`.
    pub fn add(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    /// Changes what `fd` is watched for.
    pub fn modify(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, token)
    }

    /// Stops watching `fd`.
    pub fn delete(&self, fd: BorrowedFd<'_>) -> Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeout_ms` (-1: forever, 0: not at all) and fills
    /// `events` (at most [`Epoll::MAX_EVENTS`] a call: the rest stay ready
    /// for the next); returns how many are ready. A signal gives an error
    /// whose `is_interrupted()` is true. Allocates nothing: a reader waits
    /// once per wake-up.
    pub fn wait(&self, events: &mut [EpollEvent], timeout_ms: i32) -> Result<usize> {
        let mut raw = [MaybeUninit::<libc::epoll_event>::uninit(); Epoll::MAX_EVENTS];
        let max = events.len().clamp(1, Epoll::MAX_EVENTS);
        // SAFETY: `raw` has room for `max` events, the count passed; the
        // kernel writes only whole events.
        let n = unsafe {
            libc::epoll_wait(
                self.0.as_raw_fd(),
                raw.as_mut_ptr().cast(),
                max as i32,
                timeout_ms,
            )
        };
        if n < 0 {
            return Err(failed(Syscall::EpollWait));
        }
        let n = (n as usize).min(max).min(events.len());
        for (out, e) in events.iter_mut().zip(&raw[..n]) {
            // SAFETY: the kernel filled the first `n` events (its return).
            let e = unsafe { e.assume_init() };
            *out = EpollEvent {
                events: e.events,
                token: e.u64,
            };
        }
        Ok(n)
    }

    /// The most events one [`Epoll::wait`] reports.
    pub const MAX_EVENTS: usize = 64;
}

impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// An eventfd, closed on drop: [`EventFd::signal`] from one thread makes a
/// poller watching it wake.
#[derive(Debug)]
pub struct EventFd(OwnedFd);

impl EventFd {
    /// A new eventfd (non-blocking, close-on-exec), counter 0.
    pub fn new() -> Result<EventFd> {
        // SAFETY: no pointers; returns a new fd or -1.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(failed(Syscall::EventFd));
        }
        // SAFETY: a new fd nothing else owns.
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Adds 1 to the counter: the fd becomes readable.
    pub fn signal(&self) -> Result<()> {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer of 8 bytes.
        let n = unsafe { libc::write(self.0.as_raw_fd(), one.as_ptr().cast(), 8) };
        if n != 8 {
            return Err(failed(Syscall::EventFdWrite));
        }
        Ok(())
    }

    /// Reads and resets the counter; 0 if it was not signalled.
    pub fn take(&self) -> Result<u64> {
        take_counter(&self.0, Syscall::EventFdRead)
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// A `CLOCK_MONOTONIC` timerfd, closed on drop: readable once its deadline
/// has passed. One armed timer can outlive many waits in an epoll set,
/// where a timeout given to each `epoll_wait` starts and cancels a kernel
/// timer every time the caller sleeps.
#[derive(Debug)]
pub struct TimerFd(OwnedFd);

impl TimerFd {
    /// A new timerfd (non-blocking, close-on-exec), disarmed.
    pub fn new() -> Result<TimerFd> {
        // SAFETY: no pointers; returns a new fd or -1.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_CLOEXEC | libc::TFD_NONBLOCK,
            )
        };
        if fd < 0 {
            return Err(failed(Syscall::TimerFd));
        }
        // SAFETY: a new fd nothing else owns.
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Arms the timer to fire once, `after` from now (a zero duration fires
    /// at once rather than disarming).
    pub fn arm(&self, after: Duration) -> Result<()> {
        // The kernel reads a zero it_value as "disarm": the shortest wait
        // it can count instead.
        let after = after.max(Duration::from_nanos(1));
        self.set(libc::timespec {
            tv_sec: after.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: after.subsec_nanos() as libc::c_long,
        })
    }

    /// Disarms the timer (an expiry not yet taken stays readable).
    pub fn disarm(&self) -> Result<()> {
        self.set(libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        })
    }

    fn set(&self, value: libc::timespec) -> Result<()> {
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: value,
        };
        // SAFETY: `spec` is a live itimerspec for the call; a null old
        // value is allowed.
        let ret =
            unsafe { libc::timerfd_settime(self.0.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if ret < 0 {
            return Err(failed(Syscall::TimerFdSet));
        }
        Ok(())
    }

    /// Takes the expiry, so the fd is no longer readable; whether it had
    /// fired.
    pub fn take(&self) -> Result<bool> {
        Ok(take_counter(&self.0, Syscall::TimerFdRead)? > 0)
    }
}

/// Reads and resets the 8-byte counter of a non-blocking eventfd or
/// timerfd; 0 if it was not readable.
fn take_counter(fd: &OwnedFd, call: Syscall) -> Result<u64> {
    let mut buf = [0u8; 8];
    // SAFETY: reads at most 8 bytes into a live buffer of 8 bytes.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
    if n == 8 {
        return Ok(u64::from_ne_bytes(buf));
    }
    let errno = Errno::last();
    if errno == Errno::EAGAIN {
        return Ok(0);
    }
    Err(Error::Syscall { call, errno })
}

impl AsFd for TimerFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
