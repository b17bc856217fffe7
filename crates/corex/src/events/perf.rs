//! The perf buffer reader (`BPF_MAP_TYPE_PERF_EVENT_ARRAY`): for each
//! possible CPU that is online (offline ones are skipped, as libbpf does),
//! a `PERF_COUNT_SW_BPF_OUTPUT` event whose fd goes into the map at that
//! CPU's index, its ring mmap'd (a control page, then a power-of-two number
//! of data pages), and epoll over all of them.
//!
//! The data area is mapped once, so a record may wrap around its end; such
//! records are copied out whole before the callback sees them. When a ring
//! is full the kernel drops samples and later writes a `PERF_RECORD_LOST`
//! record with how many; those counts are kept per CPU and passed to the
//! lost callback.

use super::{check_map_type, kernel, poll_reader, Drain, EventsError, Poller, Waker};
use corex_sys::{
    online_cpus, page_size, possible_cpu_count, MapFd, Mmap, PerfEventFd, PerfEventKind,
    PerfEventOpen, Protection, Wakeup,
};
use corex_uapi::{perf, MapType};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Duration;

type SampleCallback<'cb> = Box<dyn FnMut(u32, &[u8]) + Send + 'cb>;
type LostCallback<'cb> = Box<dyn FnMut(u32, u64) + Send + 'cb>;

/// What one CPU's ring has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PerfCpuStats {
    /// The CPU.
    pub cpu: u32,
    /// Samples delivered.
    pub samples: u64,
    /// Samples the kernel dropped because the ring was full (from its
    /// `PERF_RECORD_LOST` records).
    pub lost: u64,
}

/// One CPU's event and ring.
#[derive(Debug)]
struct CpuRing {
    // The mapping goes before the event closes.
    ring: Mmap,
    _event: PerfEventFd,
    /// The map key (the CPU's index in the array).
    key: u32,
    data_offset: usize,
    data_size: u64,
    stats: PerfCpuStats,
}

/// Builds a [`PerfBuffer`].
pub struct PerfBufferBuilder<'m, 'cb> {
    map: &'m MapFd,
    pages: usize,
    wakeup: Wakeup,
    on_sample: Option<SampleCallback<'cb>>,
    on_lost: Option<LostCallback<'cb>>,
}

impl std::fmt::Debug for PerfBufferBuilder<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerfBufferBuilder")
            .field("pages", &self.pages)
            .field("wakeup", &self.wakeup)
            .finish_non_exhaustive()
    }
}

impl<'m, 'cb> PerfBufferBuilder<'m, 'cb> {
    /// Data pages per CPU (a power of two; default 64).
    pub fn pages(mut self, pages: usize) -> Self {
        self.pages = pages;
        self
    }

    /// When the kernel wakes the reader (default: on every sample, as
    /// libbpf does; a watermark wakes less often, and samples below it wait
    /// until [`PerfBuffer::consume`] or the next wake).
    pub fn wakeup(mut self, wakeup: Wakeup) -> Self {
        self.wakeup = wakeup;
        self
    }

    /// Called with the CPU and the raw data of each sample (the kernel pads
    /// it to keep records 8-byte aligned, so it may be up to 7 bytes longer
    /// than what the program sent).
    pub fn on_sample(mut self, callback: impl FnMut(u32, &[u8]) + Send + 'cb) -> Self {
        self.on_sample = Some(Box::new(callback));
        self
    }

    /// Called with the CPU and the count each time the kernel reports
    /// dropped samples.
    pub fn on_lost(mut self, callback: impl FnMut(u32, u64) + Send + 'cb) -> Self {
        self.on_lost = Some(Box::new(callback));
        self
    }

    /// Opens the events, puts them into the map and maps their rings.
    pub fn build(self) -> Result<PerfBuffer<'cb>, EventsError> {
        check_map_type(self.map, MapType::PERF_EVENT_ARRAY)?;
        if self.pages == 0 || !self.pages.is_power_of_two() {
            return Err(EventsError::BadSize(format!(
                "{} data pages per CPU: the kernel needs a power of two",
                self.pages
            )));
        }
        let page = page_size();
        let possible = possible_cpu_count().map_err(kernel("reading the possible CPUs"))?;
        let online = online_cpus().map_err(kernel("reading the online CPUs"))?;
        let slots = possible.min(self.map.shape().max_entries as usize);
        let map = self.map.try_clone().map_err(|e| EventsError::Kernel {
            what: "duplicating the map's fd",
            source: corex_sys::Error::BadArgument {
                call: "dup",
                why: e.to_string(),
            },
        })?;
        let mut poll = Poller::new()?;
        let mut cpus = Vec::new();
        for cpu in (0..slots as u32).filter(|c| online.contains(c)) {
            let mut open = PerfEventOpen::new(PerfEventKind::BpfOutput, cpu as i32);
            open.wakeup = self.wakeup;
            let event = PerfEventFd::open(&open).map_err(kernel("opening a BPF output event"))?;
            let ring = Mmap::map(
                event.as_fd(),
                page * (1 + self.pages),
                0,
                Protection::ReadWrite,
            )
            .map_err(kernel("mapping a perf ring"))?;
            map.update(
                &cpu.to_ne_bytes(),
                &(event.as_raw_fd() as u32).to_ne_bytes(),
                0,
            )
            .map_err(kernel("putting the event into the perf event array"))?;
            poll.add_fd(event.as_fd(), cpus.len() as u64)?;
            cpus.push(CpuRing {
                data_offset: page,
                data_size: (page * self.pages) as u64,
                ring,
                _event: event,
                key: cpu,
                stats: PerfCpuStats {
                    cpu,
                    ..PerfCpuStats::default()
                },
            });
        }
        Ok(PerfBuffer {
            cpus,
            poll,
            map,
            on_sample: self.on_sample.unwrap_or_else(|| Box::new(|_, _| {})),
            on_lost: self.on_lost,
            scratch: Vec::new(),
        })
    }
}

/// A reader of a perf event array: one ring per online CPU, one epoll set.
/// `Send`; [`PerfBuffer::waker`] ends its wait from any thread. Dropping it
/// takes its events out of the map.
pub struct PerfBuffer<'cb> {
    cpus: Vec<CpuRing>,
    poll: Poller,
    map: MapFd,
    on_sample: SampleCallback<'cb>,
    on_lost: Option<LostCallback<'cb>>,
    /// Where a record that wraps around the ring's end is put together.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for PerfBuffer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerfBuffer")
            .field("cpus", &self.cpus)
            .finish_non_exhaustive()
    }
}

/// A record's header (8 bytes): its type and size.
fn header(bytes: &[u8]) -> (u32, u16) {
    let kind = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let size = u16::from_ne_bytes([bytes[6], bytes[7]]);
    (kind, size)
}

impl<'cb> PerfBuffer<'cb> {
    /// Starts a reader of `map` (a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`).
    pub fn builder<'m>(map: &'m MapFd) -> PerfBufferBuilder<'m, 'cb> {
        PerfBufferBuilder {
            map,
            pages: 64,
            wakeup: Wakeup::Events(1),
            on_sample: None,
            on_lost: None,
        }
    }

    /// Delivers every record waiting on every CPU, without waiting;
    /// returns how many samples.
    pub fn consume(&mut self) -> Result<usize, EventsError> {
        let mut total = 0;
        for index in 0..self.cpus.len() {
            total += self.consume_cpu(index)?;
        }
        Ok(total)
    }

    fn consume_cpu(&mut self, index: usize) -> Result<usize, EventsError> {
        let cpu = &mut self.cpus[index];
        let head = cpu.ring.load_acquire_u64(perf::MMAP_DATA_HEAD);
        let mut tail = cpu.ring.load_acquire_u64(perf::MMAP_DATA_TAIL);
        if tail == head {
            // Nothing new: leave the control page's line to the kernel.
            return Ok(0);
        }
        let mut samples = 0;
        let corrupt = |position: u64, why: String| EventsError::Corrupt {
            what: format!("perf buffer of CPU {}", cpu.stats.cpu),
            position,
            why,
        };
        // What lies between the tail and the head is written and stays so
        // until the tail moves past it: plain reads are enough.
        while tail < head {
            let offset = (tail & (cpu.data_size - 1)) as usize;
            let start = cpu.data_offset + offset;
            // Records are 8-byte aligned in a ring of whole pages: a header
            // never wraps.
            let raw_header = cpu
                .ring
                .bytes(start, perf::EVENT_HEADER_SIZE)
                .ok_or_else(|| corrupt(tail, "a header outside the mapping".into()))?;
            let (kind, size) = header(raw_header);
            let size = u64::from(size);
            if size < perf::EVENT_HEADER_SIZE as u64 || size > head - tail {
                return Err(corrupt(tail, format!("a record of {size} bytes")));
            }
            let first = (cpu.data_size - offset as u64).min(size) as usize;
            let outside = || corrupt(tail, "a record outside the mapping".into());
            let record: &[u8] = if first as u64 == size {
                cpu.ring.bytes(start, first).ok_or_else(outside)?
            } else {
                let rest = size as usize - first;
                self.scratch.clear();
                self.scratch
                    .extend_from_slice(cpu.ring.bytes(start, first).ok_or_else(outside)?);
                self.scratch
                    .extend_from_slice(cpu.ring.bytes(cpu.data_offset, rest).ok_or_else(outside)?);
                &self.scratch
            };
            let body = &record[perf::EVENT_HEADER_SIZE..];
            match kind {
                perf::RECORD_SAMPLE => {
                    let len = body
                        .get(..4)
                        .map(|b| u32::from_ne_bytes(b.try_into().unwrap_or_default()) as usize);
                    let data = len
                        .and_then(|len| body.get(4..4 + len))
                        .ok_or_else(|| corrupt(tail, "a sample larger than its record".into()))?;
                    (self.on_sample)(cpu.stats.cpu, data);
                    cpu.stats.samples += 1;
                    samples += 1;
                }
                perf::RECORD_LOST => {
                    let lost = body
                        .get(8..16)
                        .map(|b| u64::from_ne_bytes(b.try_into().unwrap_or_default()))
                        .ok_or_else(|| corrupt(tail, "a short lost record".into()))?;
                    cpu.stats.lost += lost;
                    if let Some(on_lost) = &mut self.on_lost {
                        on_lost(cpu.stats.cpu, lost);
                    }
                }
                // Other records (throttling...) carry nothing for BPF output.
                _ => {}
            }
            tail += size;
        }
        cpu.ring.store_release_u64(perf::MMAP_DATA_TAIL, tail);
        Ok(samples)
    }

    /// Waits until a CPU's ring has records (or `timeout` passes, or the
    /// waker fires, or a signal arrives), then delivers everything waiting
    /// on every CPU. Returns how many samples were delivered.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<usize, EventsError> {
        poll_reader(self, timeout)
    }

    /// A handle that ends a wait in [`PerfBuffer::poll`] from another
    /// thread.
    pub fn waker(&self) -> Waker {
        self.poll.waker()
    }

    /// Per-CPU counts of samples delivered and samples the kernel dropped.
    pub fn stats(&self) -> Vec<PerfCpuStats> {
        self.cpus.iter().map(|c| c.stats).collect()
    }

    /// Samples dropped on all CPUs so far.
    pub fn lost(&self) -> u64 {
        self.cpus.iter().map(|c| c.stats.lost).sum()
    }

    /// The CPUs read.
    pub fn cpus(&self) -> Vec<u32> {
        self.cpus.iter().map(|c| c.stats.cpu).collect()
    }
}

impl Drain for PerfBuffer<'_> {
    const LOOK_FIRST: bool = false;

    fn drain(&mut self) -> Result<usize, EventsError> {
        self.consume()
    }
    fn poll_set(&mut self) -> &mut Poller {
        &mut self.poll
    }
}

impl AsFd for PerfBuffer<'_> {
    /// An fd that is readable when a CPU's ring has records.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poll.as_fd()
    }
}

impl Drop for PerfBuffer<'_> {
    fn drop(&mut self) {
        // The map outlives this reader: take the events out, as libbpf does,
        // so programs stop writing into closed rings.
        for cpu in &self.cpus {
            let _ = self.map.delete(&cpu.key.to_ne_bytes());
        }
    }
}
