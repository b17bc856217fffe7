//! Reading what BPF programs send: ring buffers ([`RingBuffer`], one
//! poller over several `BPF_MAP_TYPE_RINGBUF` maps) and perf buffers
//! ([`PerfBuffer`], a `PERF_COUNT_SW_BPF_OUTPUT` event per CPU of a
//! `BPF_MAP_TYPE_PERF_EVENT_ARRAY`), both reading the kernel's mmap'd rings
//! directly and sleeping in epoll until there is data (no busy loop), with
//! a [`Waker`] that ends a wait from another thread. With the `tokio`
//! feature, `AsyncRingBuffer` and `AsyncPerfBuffer` wait in a Tokio
//! runtime instead.
//!
//! ```no_run
//! # fn demo(map: &corex_sys::MapFd) -> Result<(), corex::events::EventsError> {
//! use corex::events::RingBuffer;
//! let mut ring = RingBuffer::builder()
//!     .add(map, |record: &[u8]| println!("{} bytes", record.len()))?
//!     .build()?;
//! loop {
//!     ring.poll(None)?;
//! }
//! # }
//! ```

#[cfg(feature = "tokio")]
mod async_io;
pub mod decode;
mod perf;
mod ring;

#[cfg(feature = "tokio")]
pub use async_io::{AsyncPerfBuffer, AsyncReader, AsyncRingBuffer, Reader};
pub use perf::{PerfBuffer, PerfBufferBuilder, PerfCpuStats};
pub use ring::{RingBuffer, RingBufferBuilder};

use corex_sys::{Epoll, EpollEvent, EventFd, MapFd, TimerFd};
use corex_uapi::MapType;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a reader could not be made or could not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventsError {
    /// The map is not of the type the reader needs.
    #[error("the map is a {found} map, not a {wanted} map")]
    WrongMapType {
        /// The type needed.
        wanted: MapType,
        /// The map's type.
        found: MapType,
    },
    /// A size the reader cannot use (a ring that is not a power-of-two
    /// number of pages, a perf buffer of 0 pages...).
    #[error("{0}")]
    BadSize(String),
    /// The kernel wrote a record the reader cannot make sense of.
    #[error("corrupt {what} record at position {position}: {why}")]
    Corrupt {
        /// Which ring (`ring buffer`, `perf buffer of CPU 3`).
        what: String,
        /// The ring position.
        position: u64,
        /// What is wrong.
        why: String,
    },
    /// An I/O error outside corex-sys (the async runtime's reactor).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A system call failed.
    #[error("{what}: {source}")]
    Kernel {
        /// What was being done.
        what: &'static str,
        /// The failed call.
        #[source]
        source: corex_sys::Error,
    },
}

pub(crate) fn kernel(what: &'static str) -> impl FnOnce(corex_sys::Error) -> EventsError {
    move |source| EventsError::Kernel { what, source }
}

/// Ends a reader's wait from another thread (or a signal handler's thread):
/// the `poll` in progress, or the next one, returns at once.
#[derive(Clone, Debug)]
pub struct Waker(Arc<EventFd>);

impl Waker {
    /// Wakes the reader.
    pub fn wake(&self) -> Result<(), EventsError> {
        self.0.signal().map_err(kernel("waking the reader"))
    }
}

/// The token of the waker's eventfd in a poll set.
const WAKER_TOKEN: u64 = u64::MAX;
/// The token of the poller's own timer.
const TIMER_TOKEN: u64 = u64::MAX - 1;

/// An epoll set over anything with an fd that becomes readable (the
/// readers here, a [`TracePipe`](crate::trace_pipe::TracePipe), sockets),
/// with a [`Waker`]: one thread waits on all of them. Each reader also has
/// one of its own.
#[derive(Debug)]
pub struct Poller {
    epoll: Epoll,
    waker: Arc<EventFd>,
    /// Room for an event from every fd (the waker's first).
    ready: Vec<EpollEvent>,
    /// How many of `ready` the last wait filled.
    ready_count: usize,
    /// The deadline timer of [`Poller::wait`], in the set once made.
    timer: Option<TimerFd>,
    /// When the timer fires, while it is armed.
    timer_due: Option<Instant>,
    /// Whether the epoll fd was lent out ([`AsFd`]): from then on waits
    /// use `epoll_wait`'s own timeout, so no timer left armed here makes
    /// the fd readable for whoever else waits on it.
    lent: AtomicBool,
}

impl Poller {
    /// An empty set.
    pub fn new() -> Result<Poller, EventsError> {
        let epoll = Epoll::new().map_err(kernel("creating the epoll set"))?;
        let waker = Arc::new(EventFd::new().map_err(kernel("creating the waker"))?);
        epoll
            .add(waker.as_fd(), libc::EPOLLIN as u32, WAKER_TOKEN)
            .map_err(kernel("watching the waker"))?;
        Ok(Poller {
            epoll,
            waker,
            ready: vec![EpollEvent {
                events: 0,
                token: 0,
            }],
            ready_count: 0,
            timer: None,
            timer_due: None,
            lent: AtomicBool::new(false),
        })
    }

    /// Watches `source` for being readable.
    pub fn add(&mut self, source: &impl AsFd) -> Result<(), EventsError> {
        self.add_fd(source.as_fd(), 0)
    }

    /// Watches `fd` (readable), reporting `token`.
    pub(crate) fn add_fd(&mut self, fd: BorrowedFd<'_>, token: u64) -> Result<(), EventsError> {
        self.epoll
            .add(fd, libc::EPOLLIN as u32, token)
            .map_err(kernel("watching an fd"))?;
        self.ready.push(EpollEvent {
            events: 0,
            token: 0,
        });
        Ok(())
    }

    /// A handle that ends a wait from another thread.
    pub fn waker(&self) -> Waker {
        Waker(self.waker.clone())
    }

    /// Waits until a watched fd is readable, the waker fired, or `timeout`
    /// passed (`None`: no limit; zero: do not wait). A signal ends the wait
    /// early. Returns whether the waker fired.
    ///
    /// A reader that keeps up with a busy source sleeps and wakes many
    /// times a second. A timeout passed to `epoll_wait` would start a
    /// kernel timer at each sleep and cancel it at each wake-up (each a
    /// clock reprogramming, which in a virtual machine is an exit to the
    /// hypervisor); instead the poller's own timer stays armed across waits
    /// and is moved only when it fires before the deadline of the wait in
    /// progress, or when a wait's deadline is earlier than it.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<bool, EventsError> {
        let deadline = match timeout {
            Some(t) if t.is_zero() => return self.wait_once(0).map(|(woken, _)| woken),
            Some(t) if self.lent.load(Ordering::Relaxed) => {
                // Round up, so a short timeout still waits.
                let ms = t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
                return self.wait_once(ms).map(|(woken, _)| woken);
            }
            Some(t) => Instant::now().checked_add(t),
            None => None,
        };
        loop {
            if let Some(deadline) = deadline {
                self.arm_timer_by(deadline)?;
            }
            let (woken, timer_fired) = self.wait_once(-1)?;
            // Anything but the timer alone (records, the waker, a signal)
            // ends the wait; so does the deadline.
            let timer_alone = timer_fired && self.ready_count == 0;
            if !timer_alone || deadline.is_none_or(|d| Instant::now() >= d) {
                return Ok(woken);
            }
        }
    }

    /// Makes sure the timer fires no later than `deadline`.
    fn arm_timer_by(&mut self, deadline: Instant) -> Result<(), EventsError> {
        if self.timer_due.is_some_and(|due| due <= deadline) {
            // It fires first; the wait moves it then.
            return Ok(());
        }
        if self.timer.is_none() {
            let timer = TimerFd::new().map_err(kernel("creating the poller's timer"))?;
            self.add_fd(timer.as_fd(), TIMER_TOKEN)?;
            self.timer = Some(timer);
        }
        if let Some(timer) = &self.timer {
            timer
                .arm(deadline.saturating_duration_since(Instant::now()))
                .map_err(kernel("arming the poller's timer"))?;
        }
        self.timer_due = Some(deadline);
        Ok(())
    }

    /// One `epoll_wait` (`timeout_ms` as it takes it); leaves the ready
    /// fds other than the waker's and the timer's in `ready`. Returns
    /// whether the waker fired and whether the timer did.
    fn wait_once(&mut self, timeout_ms: i32) -> Result<(bool, bool), EventsError> {
        let n = match self.epoll.wait(&mut self.ready, timeout_ms) {
            Ok(n) => n,
            Err(e) if e.is_interrupted() => 0,
            Err(e) => return Err(kernel("waiting for records")(e)),
        };
        let (mut woken, mut timer_fired) = (false, false);
        let mut kept = 0;
        for i in 0..n {
            match self.ready[i].token {
                WAKER_TOKEN => woken = true,
                TIMER_TOKEN => timer_fired = true,
                _ => {
                    self.ready[kept] = self.ready[i];
                    kept += 1;
                }
            }
        }
        self.ready_count = kept;
        if woken {
            self.waker.take().map_err(kernel("reading the waker"))?;
        }
        if timer_fired {
            self.timer_due = None;
            if let Some(timer) = &self.timer {
                timer.take().map_err(kernel("reading the poller's timer"))?;
            }
        }
        Ok((woken, timer_fired))
    }
}

impl AsFd for Poller {
    /// The epoll fd: readable when something watched is (it can join
    /// another epoll set or an async runtime).
    fn as_fd(&self) -> BorrowedFd<'_> {
        if !self.lent.swap(true, Ordering::Relaxed) {
            if let Some(timer) = &self.timer {
                // A timer left armed by an earlier wait would make the fd
                // readable with nothing to read: disarmed and its expiry
                // taken (neither can fail on a timerfd this poller owns).
                let _ = timer.disarm();
                let _ = timer.take();
            }
        }
        self.epoll.as_fd()
    }
}

/// A reader whose records can be delivered without waiting, and its poll
/// set.
pub(crate) trait Drain {
    /// Whether [`poll_reader`] looks for records before it waits. Ring
    /// buffers' readiness is level-triggered (the kernel looks at the ring
    /// each time), so a look first saves a wait when records are there;
    /// a perf event reports each wake-up once, so after a look without a
    /// wait the next wait would return at once for records already read:
    /// perf buffers wait first, as libbpf does.
    const LOOK_FIRST: bool;
    /// Delivers what is waiting; returns how many records.
    fn drain(&mut self) -> Result<usize, EventsError>;
    /// Delivers what the last wait found ready (all that is waiting, unless
    /// the reader can tell its sources apart).
    fn drain_ready(&mut self) -> Result<usize, EventsError> {
        self.drain()
    }
    /// The reader's poll set.
    fn poll_set(&mut self) -> &mut Poller;
}

/// Delivers what is waiting; if nothing was, waits (see
/// [`Poller::wait`]) and delivers what the wait found ready.
pub(crate) fn poll_reader<R: Drain>(
    reader: &mut R,
    timeout: Option<Duration>,
) -> Result<usize, EventsError> {
    if R::LOOK_FIRST {
        let ready = reader.drain()?;
        if ready > 0 {
            return Ok(ready);
        }
    }
    reader.poll_set().wait(timeout)?;
    reader.drain_ready()
}

/// Checks that `map` is of type `wanted`.
pub(crate) fn check_map_type(map: &MapFd, wanted: MapType) -> Result<(), EventsError> {
    let found = map.shape().map_type;
    if found != wanted {
        return Err(EventsError::WrongMapType { wanted, found });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `fd` is readable now.
    fn readable(fd: BorrowedFd<'_>) -> bool {
        let probe = Epoll::new().unwrap();
        probe.add(fd, libc::EPOLLIN as u32, 0).unwrap();
        let mut events = [EpollEvent {
            events: 0,
            token: 0,
        }];
        probe.wait(&mut events, 0).unwrap() == 1
    }

    #[test]
    fn a_wait_lasts_until_its_own_deadline_whatever_the_timer_was_armed_for() {
        let mut poller = Poller::new().unwrap();
        // Nothing to wait for: the deadline ends the wait.
        let start = Instant::now();
        assert!(!poller.wait(Some(Duration::from_millis(30))).unwrap());
        assert!(start.elapsed() >= Duration::from_millis(30));
        // A wait the waker ends leaves the timer armed for its deadline
        // (10 ms); the next wait's deadline is later: the timer firing first
        // does not end it.
        poller.waker().wake().unwrap();
        assert!(poller.wait(Some(Duration::from_millis(10))).unwrap());
        let start = Instant::now();
        assert!(!poller.wait(Some(Duration::from_millis(80))).unwrap());
        assert!(start.elapsed() >= Duration::from_millis(80));
        // The timer armed for a far deadline is moved for an earlier one.
        poller.waker().wake().unwrap();
        assert!(poller.wait(Some(Duration::from_secs(3600))).unwrap());
        let start = Instant::now();
        assert!(!poller.wait(Some(Duration::from_millis(20))).unwrap());
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(20) && waited < Duration::from_secs(60));
        // No timeout, and a zero one, leave the timer alone.
        poller.waker().wake().unwrap();
        assert!(poller.wait(None).unwrap());
        assert!(!poller.wait(Some(Duration::ZERO)).unwrap());
    }

    #[test]
    fn a_ready_source_ends_the_wait_and_stays_reported() {
        let mut poller = Poller::new().unwrap();
        let source = EventFd::new().unwrap();
        poller.add(&source).unwrap();
        source.signal().unwrap();
        assert!(!poller.wait(Some(Duration::from_secs(3600))).unwrap());
        assert_eq!(poller.ready_count, 1);
        assert_eq!(poller.ready[0].token, 0);
    }

    #[test]
    fn a_lent_fd_is_not_made_readable_by_a_timer_left_armed() {
        let mut poller = Poller::new().unwrap();
        poller.waker().wake().unwrap();
        // The timer is now armed for 20 ms from here.
        assert!(poller.wait(Some(Duration::from_millis(20))).unwrap());
        let fd = poller.as_fd().try_clone_to_owned().unwrap();
        std::thread::sleep(Duration::from_millis(60));
        assert!(!readable(fd.as_fd()), "the timer made the lent fd readable");
        // Waits still keep their deadlines, with epoll_wait's own timeout.
        let start = Instant::now();
        assert!(!poller.wait(Some(Duration::from_millis(20))).unwrap());
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(!readable(fd.as_fd()));
    }
}
