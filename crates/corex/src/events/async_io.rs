//! The readers in a Tokio runtime (the `tokio` feature): the reader's epoll
//! fd registered with the runtime's reactor, records delivered when it is
//! readable. Tokio's readiness is edge-triggered: readiness is cleared only
//! when a pass delivered nothing, and Tokio keeps any readiness that
//! arrived after the wait ended, so no wake-up between the pass and the
//! clearing is lost.

use super::{Drain, EventsError, PerfBuffer, RingBuffer, Waker};
use std::os::fd::{AsFd, OwnedFd};
use tokio::io::unix::AsyncFd;

/// What the async form needs of a reader ([`RingBuffer`], [`PerfBuffer`]).
pub trait Reader: AsFd {
    /// Delivers what is waiting, without waiting.
    fn consume_now(&mut self) -> Result<usize, EventsError>;
    /// The reader's waker.
    fn reader_waker(&self) -> Waker;
    /// Whether the waker fired since the last call (never waits).
    fn take_wake(&mut self) -> Result<bool, EventsError>;
}

macro_rules! reader {
    ($ty:ident) => {
        impl Reader for $ty<'_> {
            fn consume_now(&mut self) -> Result<usize, EventsError> {
                self.consume()
            }
            fn reader_waker(&self) -> Waker {
                self.waker()
            }
            fn take_wake(&mut self) -> Result<bool, EventsError> {
                self.poll_set().wait(Some(std::time::Duration::ZERO))
            }
        }
    };
}

reader!(RingBuffer);
reader!(PerfBuffer);

/// A reader waited on in a Tokio runtime.
pub struct AsyncReader<R: Reader> {
    /// A second fd of the reader's epoll set, owned by the registration.
    registration: AsyncFd<OwnedFd>,
    reader: R,
}

/// A [`RingBuffer`] waited on in a Tokio runtime.
pub type AsyncRingBuffer<'cb> = AsyncReader<RingBuffer<'cb>>;
/// A [`PerfBuffer`] waited on in a Tokio runtime.
pub type AsyncPerfBuffer<'cb> = AsyncReader<PerfBuffer<'cb>>;

impl<R: Reader> AsyncReader<R> {
    /// Registers `reader` with the current Tokio runtime (call from within
    /// one).
    pub fn new(reader: R) -> Result<Self, EventsError> {
        let io = |what| move |source| EventsError::Io { what, source };
        let fd = reader
            .as_fd()
            .try_clone_to_owned()
            .map_err(io("duplicating the reader's epoll fd"))?;
        // Tokio deprecates this constructor for callers that cannot promise
        // the fd stays open while registered; the registration owns this
        // one, so it does (the condition of the `unsafe` replacement,
        // without `unsafe` outside corex-sys).
        #[allow(deprecated)]
        let registration = AsyncFd::with_interest(fd, tokio::io::Interest::READABLE)
            .map_err(io("registering the reader with the Tokio reactor"))?;
        Ok(AsyncReader {
            registration,
            reader,
        })
    }

    /// Waits until records are there and delivers them; returns how many.
    /// Returns 0 when the waker fired.
    pub async fn poll(&mut self) -> Result<usize, EventsError> {
        loop {
            let mut guard =
                self.registration
                    .readable()
                    .await
                    .map_err(|source| EventsError::Io {
                        what: "waiting for the reader's fd",
                        source,
                    })?;
            let delivered = self.reader.consume_now()?;
            if delivered > 0 {
                return Ok(delivered);
            }
            guard.clear_ready();
            if self.reader.take_wake()? {
                return Ok(0);
            }
            // That look at the epoll set also took any perf event wake-up
            // that came since the pass (a perf event reports each once), so
            // the runtime will not hear of it: look at the rings again. A
            // wake-up after the look stays pending and reaches the runtime.
            let delivered = self.reader.consume_now()?;
            if delivered > 0 {
                return Ok(delivered);
            }
        }
    }

    /// A handle that ends a wait in [`AsyncReader::poll`].
    pub fn waker(&self) -> Waker {
        self.reader.reader_waker()
    }

    /// The reader.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }
}
