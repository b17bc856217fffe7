//! The BPF ring buffer reader (`BPF_MAP_TYPE_RINGBUF`, Linux 5.8+).
//!
//! The kernel maps a ring as a consumer page (the position the reader has
//! consumed up to, which the reader writes) and, read-only, a producer page
//! (the position producers have reserved up to) followed by the data area
//! mapped twice in a row, so a record that wraps is still contiguous. Each
//! record has an 8-byte header: its length with a busy bit (reserved, not
//! yet committed) and a discard bit.
//!
//! No missed wake-ups: the kernel wakes the reader only when a committed
//! record sits exactly at the consumer position it reads after committing.
//! Before the reader sleeps it publishes its position and, after a full
//! fence, looks at the next header again; a producer that commits it
//! afterwards then sees the reader waiting there and wakes it.

use super::{check_map_type, kernel, poll_reader, Drain, EventsError, Poller, Waker};
use corex_sys::{page_size, MapFd, Mmap, Protection};
use corex_uapi::flags::sizes::{RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT};
use corex_uapi::MapType;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{fence, Ordering};
use std::time::Duration;

/// A record callback.
type Callback<'cb> = Box<dyn FnMut(&[u8]) + Send + 'cb>;

/// One ring and what is done with its records.
struct Ring<'cb> {
    consumer: Mmap,
    producer: Mmap,
    /// Offset of the data area in `producer`.
    data: usize,
    mask: u64,
    callback: Callback<'cb>,
    // Keeps the map alive while it is mapped.
    _map: MapFd,
}

impl std::fmt::Debug for Ring<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("size", &(self.mask + 1))
            .finish_non_exhaustive()
    }
}

impl<'cb> Ring<'cb> {
    fn new(map: &MapFd, callback: Callback<'cb>) -> Result<Ring<'cb>, EventsError> {
        check_map_type(map, MapType::RINGBUF)?;
        let page = page_size();
        let size = map.shape().max_entries as usize;
        if size == 0 || !size.is_power_of_two() || !size.is_multiple_of(page) {
            return Err(EventsError::BadSize(format!(
                "a ring buffer of {size} bytes: the kernel makes them a power-of-two number of \
                 pages"
            )));
        }
        let map = map.try_clone().map_err(|e| EventsError::Kernel {
            what: "duplicating the map's fd",
            source: corex_sys::Error::BadArgument {
                call: "dup",
                why: e.to_string(),
            },
        })?;
        let consumer = Mmap::map(map.as_fd(), page, 0, Protection::ReadWrite)
            .map_err(kernel("mapping the ring's consumer page"))?;
        let producer = Mmap::map(map.as_fd(), page + 2 * size, page as u64, Protection::Read)
            .map_err(kernel("mapping the ring's producer page and data"))?;
        Ok(Ring {
            consumer,
            producer,
            data: page,
            mask: size as u64 - 1,
            callback,
            _map: map,
        })
    }

    /// Delivers every committed record; returns how many. `bound` caps the
    /// count (for fairness between rings).
    fn consume(&mut self, bound: usize) -> Result<usize, EventsError> {
        let Ring {
            consumer,
            producer,
            data,
            mask,
            callback,
            ..
        } = self;
        let size = (*mask + 1) as usize;
        let consumer_pos = consumer
            .atomic_u64(0)
            .ok_or_else(|| corrupt(0, "no consumer position in the mapping"))?;
        let producer_pos = producer
            .atomic_u64(0)
            .ok_or_else(|| corrupt(0, "no producer position in the mapping"))?;
        let mut cons = consumer_pos.load(Ordering::Acquire);
        let mut delivered = 0;
        loop {
            let prod = producer_pos.load(Ordering::Acquire);
            // The positions and the mapping are checked once for the batch;
            // each record is then checked against the bytes left before the
            // producer position.
            let mut window = producer
                .ring_window(*data, size, cons, prod)
                .ok_or_else(|| {
                    corrupt(
                        cons,
                        &format!(
                            "the producer position {prod} is behind it, more than the ring's \
                         {size} bytes ahead, or not 8-byte aligned"
                        ),
                    )
                })?;
            let mut busy = false;
            while let Some(header) = window.header() {
                let header = header.load(Ordering::Acquire);
                if header & RINGBUF_BUSY_BIT != 0 {
                    busy = true;
                    break;
                }
                let len = header & !(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
                let sample = window
                    .take(len as usize)
                    .ok_or_else(|| corrupt(cons, "a record larger than the ring or its data"))?;
                if header & RINGBUF_DISCARD_BIT == 0 {
                    callback(sample);
                    delivered += 1;
                }
                cons = prod - window.len() as u64;
                // Each record's space goes back to producers at once (a
                // plain store on x86), as libbpf does: a reader that falls
                // behind makes them drop fewer records.
                consumer_pos.store(cons, Ordering::Release);
                if delivered == bound {
                    // This ring's share: the others' turn.
                    return Ok(delivered);
                }
            }
            // Full fence between publishing the position and looking again
            // (see the module's comment): a record committed after this
            // look finds the reader's position and wakes it.
            fence(Ordering::SeqCst);
            let more = if busy {
                window
                    .header()
                    .is_some_and(|h| h.load(Ordering::Acquire) & RINGBUF_BUSY_BIT == 0)
            } else {
                producer_pos.load(Ordering::Acquire) != prod
            };
            if !more {
                return Ok(delivered);
            }
        }
    }
}

fn corrupt(position: u64, why: &str) -> EventsError {
    EventsError::Corrupt {
        what: "ring buffer".into(),
        position,
        why: why.into(),
    }
}

/// Builds a [`RingBuffer`] over one or more ring buffer maps.
#[derive(Debug, Default)]
pub struct RingBufferBuilder<'cb> {
    rings: Vec<Ring<'cb>>,
}

impl<'cb> RingBufferBuilder<'cb> {
    /// Reads `map` (a `BPF_MAP_TYPE_RINGBUF`), calling `callback` with each
    /// record, in order.
    pub fn add(
        mut self,
        map: &MapFd,
        callback: impl FnMut(&[u8]) + Send + 'cb,
    ) -> Result<Self, EventsError> {
        self.rings.push(Ring::new(map, Box::new(callback))?);
        Ok(self)
    }

    /// The reader.
    pub fn build(self) -> Result<RingBuffer<'cb>, EventsError> {
        let mut poll = Poller::new()?;
        for (i, ring) in self.rings.iter().enumerate() {
            poll.add_fd(ring._map.as_fd(), i as u64)?;
        }
        Ok(RingBuffer {
            rings: self.rings,
            poll,
        })
    }
}

/// A reader of ring buffer maps: one epoll set over all of them, each
/// record passed to its map's callback. `Send`, so it can move to the
/// thread that reads; [`RingBuffer::waker`] ends its wait from any thread.
#[derive(Debug)]
pub struct RingBuffer<'cb> {
    rings: Vec<Ring<'cb>>,
    poll: Poller,
}

/// Records delivered from one ring before the next ring's turn, so a busy
/// ring does not starve the others.
const FAIR_SHARE: usize = 4096;

impl<'cb> RingBuffer<'cb> {
    /// Starts a reader.
    pub fn builder() -> RingBufferBuilder<'cb> {
        RingBufferBuilder::default()
    }

    /// Delivers every record waiting in every ring, without waiting;
    /// returns how many.
    pub fn consume(&mut self) -> Result<usize, EventsError> {
        if let [ring] = self.rings.as_mut_slice() {
            return ring.consume(usize::MAX);
        }
        let mut total = 0;
        loop {
            let mut round = 0;
            for ring in &mut self.rings {
                round += ring.consume(FAIR_SHARE)?;
            }
            total += round;
            if round < FAIR_SHARE {
                return Ok(total);
            }
        }
    }

    /// Waits until a ring has records (or `timeout` passes, or the waker
    /// fires, or a signal arrives), then delivers everything waiting.
    /// Returns how many records were delivered.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<usize, EventsError> {
        poll_reader(self, timeout)
    }

    /// A handle that ends a wait in [`RingBuffer::poll`] from another
    /// thread.
    pub fn waker(&self) -> Waker {
        self.poll.waker()
    }

    /// How many rings this reader reads.
    pub fn ring_count(&self) -> usize {
        self.rings.len()
    }
}

impl Drain for RingBuffer<'_> {
    const LOOK_FIRST: bool = true;

    fn drain(&mut self) -> Result<usize, EventsError> {
        self.consume()
    }
    fn poll_set(&mut self) -> &mut Poller {
        &mut self.poll
    }
}

impl AsFd for RingBuffer<'_> {
    /// An fd that is readable when a ring has records (for another epoll
    /// set or an async runtime).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poll.as_fd()
    }
}
