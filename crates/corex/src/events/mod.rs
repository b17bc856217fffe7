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

use corex_sys::{Epoll, EpollEvent, EventFd, MapFd};
use corex_uapi::MapType;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::time::Duration;

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
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<bool, EventsError> {
        let timeout_ms = match timeout {
            None => -1,
            // Round up, so a short timeout still waits.
            Some(t) => {
                let ms = t.as_millis() + u128::from(!t.subsec_nanos().is_multiple_of(1_000_000));
                ms.min(i32::MAX as u128) as i32
            }
        };
        let n = match self.epoll.wait(&mut self.ready, timeout_ms) {
            Ok(n) => n,
            Err(e) if e.is_interrupted() => 0,
            Err(e) => return Err(kernel("waiting for records")(e)),
        };
        self.ready_count = n;
        let woken = self.ready[..n].iter().any(|e| e.token == WAKER_TOKEN);
        if woken {
            self.waker.take().map_err(kernel("reading the waker"))?;
        }
        Ok(woken)
    }
}

impl AsFd for Poller {
    /// The epoll fd: readable when something watched is (it can join
    /// another epoll set or an async runtime).
    fn as_fd(&self) -> BorrowedFd<'_> {
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
