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
    online_cpus, page_size, possible_cpu_count, prefetch_lines, MapFd, Mmap, PerfEventFd,
    PerfEventKind, PerfEventOpen, Protection, Wakeup, PREFETCH_DISTANCE,
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
        let PerfBuffer {
            cpus,
            on_sample,
            on_lost,
            scratch,
            ..
        } = self;
        let cpu = &mut cpus[index];
        let head = cpu.ring.load_acquire_u64(perf::MMAP_DATA_HEAD);
        let tail = cpu.ring.load_acquire_u64(perf::MMAP_DATA_TAIL);
        if tail == head {
            // Nothing new: leave the control page's line to the kernel.
            return Ok(0);
        }
        let corrupt = |position: u64, why: String| EventsError::Corrupt {
            what: format!("perf buffer of CPU {}", cpu.stats.cpu),
            position,
            why,
        };
        // The bounds are checked once for the whole batch here; each record
        // is then checked against the window, a slice in registers.
        let window = Window::of(&cpu.ring, cpu.data_offset, cpu.data_size, tail, head)
            .map_err(|why| corrupt(tail, why))?;
        let cpu_id = cpu.stats.cpu;
        let mut samples = 0;
        let mut lost = 0;
        let mut deliver = |record: Record<'_>| match record {
            Record::Sample(data) => {
                on_sample(cpu_id, data);
                samples += 1;
            }
            Record::Lost(count) => {
                lost += count;
                if let Some(on_lost) = on_lost {
                    on_lost(cpu_id, count);
                }
            }
            Record::Other => {}
        };
        let (pos, failure) = window.read(scratch, &mut deliver);
        let failure = failure.map(|why| corrupt(tail + pos as u64, why));
        cpu.stats.samples += samples as u64;
        cpu.stats.lost += lost;
        // What was delivered goes back to the kernel, also when a corrupt
        // record stops the batch (it is not delivered twice).
        cpu.ring
            .store_release_u64(perf::MMAP_DATA_TAIL, tail + pos as u64);
        match failure {
            Some(error) => Err(error),
            None => Ok(samples),
        }
    }

    /// Waits until a CPU's ring has records (or `timeout` passes, or the
    /// waker fires, or a signal arrives), then delivers everything waiting
    /// on the CPUs whose wake-ups arrived. Returns how many samples were delivered.
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
    /// Only the CPUs whose events the wait reported, as libbpf does: a
    /// wake-up is one CPU's ring, and looking at the others costs their
    /// control pages' cache lines.
    fn drain_ready(&mut self) -> Result<usize, EventsError> {
        let mut total = 0;
        for i in 0..self.poll.ready_count {
            let index = self.poll.ready[i].token as usize;
            if index < self.cpus.len() {
                total += self.consume_cpu(index)?;
            }
        }
        Ok(total)
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

/// What one record holds.
#[derive(Debug, PartialEq, Eq)]
enum Record<'r> {
    /// A sample's data.
    Sample(&'r [u8]),
    /// How many samples the kernel dropped.
    Lost(u64),
    /// A record that carries nothing for BPF output (throttling...).
    Other,
}

/// The records of one batch: the part of a CPU's data area from the tail
/// to the head, which the kernel has written and does not touch until the
/// tail passes it, as one slice or, where it wraps around the data area's
/// end, two.
#[derive(Debug)]
struct Window<'r> {
    first: &'r [u8],
    second: &'r [u8],
}

impl<'r> Window<'r> {
    /// The window of `ring` (data area of `data_size` bytes at
    /// `data_offset`) from `tail` to `head`.
    fn of(
        ring: &'r Mmap,
        data_offset: usize,
        data_size: u64,
        tail: u64,
        head: u64,
    ) -> Result<Window<'r>, String> {
        let written = head.wrapping_sub(tail);
        if written > data_size {
            return Err(format!(
                "the head ({head}) is {written} bytes past the tail ({tail}), more than the \
                 ring's {data_size}"
            ));
        }
        let offset = tail & (data_size - 1);
        let first = written.min(data_size - offset) as usize;
        let start = data_offset + offset as usize;
        let outside = || format!("the data area ({data_size} bytes) lies outside the mapping");
        Ok(Window {
            first: ring.bytes(start, first).ok_or_else(outside)?,
            second: ring
                .bytes(data_offset, written as usize - first)
                .ok_or_else(outside)?,
        })
    }

    /// The window's length in bytes.
    fn len(&self) -> usize {
        self.first.len() + self.second.len()
    }

    /// Delivers the window's records in order. Those lying wholly in one
    /// part go through a loop over that one slice; the rare record the
    /// data area's end cuts in two, and any the window cannot hold, go
    /// through [`Window::record`], which puts it together or says what is
    /// wrong. Returns how far it got: the window's end, or the position of
    /// the record it could not read, and why.
    fn read(
        &self,
        scratch: &mut Vec<u8>,
        deliver: &mut impl FnMut(Record<'_>),
    ) -> (usize, Option<String>) {
        let first_len = self.first.len();
        let mut pos = 0;
        while pos < self.len() {
            let (read, part_end) = match pos.checked_sub(first_len) {
                None => (records_in(self.first, pos, deliver), first_len),
                Some(at) => (
                    records_in(self.second, at, deliver)
                        .map(|at| first_len + at)
                        .map_err(|(at, why)| (first_len + at, why)),
                    self.len(),
                ),
            };
            match read {
                Ok(end) => pos = end,
                Err((at, why)) => return (at, Some(why.to_string())),
            }
            if pos == part_end {
                continue;
            }
            match self.record(pos, scratch) {
                Ok((record, size)) => {
                    deliver(record);
                    pos += size;
                }
                Err(why) => return (pos, Some(why)),
            }
        }
        (pos, None)
    }

    /// Bytes `pos..pos + len` of the window, or `None` when they straddle
    /// the data area's end or pass the window's.
    #[inline]
    fn contiguous(&self, pos: usize, len: usize) -> Option<&'r [u8]> {
        match pos.checked_sub(self.first.len()) {
            None => self.first.get(pos..pos.checked_add(len)?),
            Some(pos) => self.second.get(pos..pos.checked_add(len)?),
        }
    }

    /// Bytes `pos..pos + len`, put together in `scratch` when they straddle
    /// the data area's end; `None` past the window's end.
    fn bytes<'s>(&self, pos: usize, len: usize, scratch: &'s mut Vec<u8>) -> Option<&'s [u8]>
    where
        'r: 's,
    {
        if let Some(bytes) = self.contiguous(pos, len) {
            return Some(bytes);
        }
        let in_first = self.first.get(pos..)?;
        let rest = self.second.get(..len.checked_sub(in_first.len())?)?;
        scratch.clear();
        scratch.extend_from_slice(in_first);
        scratch.extend_from_slice(rest);
        Some(scratch)
    }

    /// The record at `pos`, one that does not lie wholly in one part of the
    /// window (see [`Window::read`]), and its size: put together in
    /// `scratch` when the data area's end cuts it in two; a header the ring
    /// protocol cannot have written (a size under a header's or past the
    /// head, a sample longer than its record) is an error saying what is
    /// wrong.
    fn record<'s>(
        &self,
        pos: usize,
        scratch: &'s mut Vec<u8>,
    ) -> Result<(Record<'s>, usize), String>
    where
        'r: 's,
    {
        const HEADER: usize = perf::EVENT_HEADER_SIZE;
        let mut header = [0u8; HEADER];
        header.copy_from_slice(
            self.bytes(pos, HEADER, scratch)
                .ok_or("a header past the head")?,
        );
        let size = usize::from(u16::from_ne_bytes([header[6], header[7]]));
        match self.bytes(pos, size, scratch) {
            Some(whole) if size >= HEADER => Ok((parse_record(whole)?, size)),
            _ => Err(format!("a record of {size} bytes")),
        }
    }
}

/// Delivers the records lying wholly in `part` from byte `at` on, asking
/// the CPU to load the bytes [`PREFETCH_DISTANCE`] ahead (each header says
/// where the next record starts: without that, the records' cache misses
/// come one at a time). Returns where it stopped: the end of `part`, or a
/// record that does not lie wholly in it; or where a record is malformed,
/// and how.
#[inline(always)]
fn records_in(
    part: &[u8],
    mut at: usize,
    deliver: &mut impl FnMut(Record<'_>),
) -> Result<usize, (usize, &'static str)> {
    let mut prefetched = at;
    while let Some(whole) = part.get(at..).and_then(leading_record) {
        prefetched = prefetch_lines(part, prefetched, at + PREFETCH_DISTANCE);
        deliver(parse_record(whole).map_err(|why| (at, why))?);
        at += whole.len();
    }
    Ok(at)
}

/// What the record `whole` holds (its header's size is its length, at
/// least a header's).
#[inline(always)]
fn parse_record(whole: &[u8]) -> Result<Record<'_>, &'static str> {
    let body = whole
        .get(perf::EVENT_HEADER_SIZE..)
        .ok_or("a record shorter than its header")?;
    Ok(
        match u32::from_ne_bytes([whole[0], whole[1], whole[2], whole[3]]) {
            perf::RECORD_SAMPLE => {
                let data = body
                    .get(..4)
                    .map(|len| u32::from_ne_bytes([len[0], len[1], len[2], len[3]]) as usize)
                    .and_then(|len| body.get(4..)?.get(..len))
                    .ok_or("a sample larger than its record")?;
                Record::Sample(data)
            }
            perf::RECORD_LOST => {
                let count = body
                    .get(8..16)
                    .map(|n| u64::from_ne_bytes(n.try_into().unwrap_or_default()))
                    .ok_or("a short lost record")?;
                Record::Lost(count)
            }
            _ => Record::Other,
        },
    )
}

/// The record at the start of `bytes` when it lies wholly inside them
/// (its header's size at least a header's); `None` otherwise, for the
/// slow path to put together or refuse.
#[inline]
fn leading_record(bytes: &[u8]) -> Option<&[u8]> {
    let size = usize::from(u16::from_ne_bytes([*bytes.get(6)?, *bytes.get(7)?]));
    if size < perf::EVENT_HEADER_SIZE {
        return None;
    }
    bytes.get(..size)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of `kind` with `body`, as the kernel lays it out (the size
    /// rounded up to 8 bytes).
    fn record(kind: u32, body: &[u8]) -> Vec<u8> {
        let size = (perf::EVENT_HEADER_SIZE + body.len()).next_multiple_of(8);
        let mut bytes = kind.to_ne_bytes().to_vec();
        bytes.extend_from_slice(&0u16.to_ne_bytes());
        bytes.extend_from_slice(&(size as u16).to_ne_bytes());
        bytes.extend_from_slice(body);
        bytes.resize(size, 0);
        bytes
    }

    fn sample(data: &[u8]) -> Vec<u8> {
        let mut body = (data.len() as u32).to_ne_bytes().to_vec();
        body.extend_from_slice(data);
        record(perf::RECORD_SAMPLE, &body)
    }

    /// Every record of `bytes` split at `split` (where the data area ends),
    /// as `Window::read` delivers them, or where and why it stopped.
    fn parse(bytes: &[u8], split: usize) -> Result<Vec<String>, (usize, String)> {
        let window = Window {
            first: &bytes[..split],
            second: &bytes[split..],
        };
        let mut records = Vec::new();
        let (pos, failure) = window.read(&mut Vec::new(), &mut |record: Record<'_>| {
            records.push(format!("{record:?}"))
        });
        match failure {
            Some(why) => Err((pos, why)),
            None => {
                assert_eq!(pos, bytes.len(), "stopped early without an error");
                Ok(records)
            }
        }
    }

    #[test]
    fn records_are_read_whole_wherever_the_data_area_ends() {
        let mut bytes = sample(b"first");
        bytes.extend(record(
            perf::RECORD_LOST,
            &[[7; 8], 5u64.to_ne_bytes()].concat(),
        ));
        bytes.extend(sample(&[9; 20]));
        bytes.extend(record(14, &[0; 8]));
        let whole = parse(&bytes, bytes.len()).unwrap();
        assert_eq!(
            whole,
            [
                format!("{:?}", Record::Sample(b"first")),
                "Lost(5)".to_string(),
                format!("{:?}", Record::Sample(&[9; 20])),
                "Other".to_string(),
            ]
        );
        // The same records with the data area's end anywhere in them: in a
        // header, in a sample's length, in its data, between two records.
        for split in 0..=bytes.len() {
            assert_eq!(parse(&bytes, split).unwrap(), whole, "split at {split}");
        }
    }

    #[test]
    fn a_hostile_header_is_an_error_not_an_overrun_or_a_hang() {
        let error = |bytes: &[u8], split| parse(bytes, split).unwrap_err();
        let mut zero = sample(b"ok");
        zero[6..8].copy_from_slice(&0u16.to_ne_bytes());
        assert_eq!(error(&zero, 3), (0, "a record of 0 bytes".into()));
        assert_eq!(error(&zero, 16), (0, "a record of 0 bytes".into()));
        let mut past_head = sample(b"ok");
        past_head[6..8].copy_from_slice(&64u16.to_ne_bytes());
        assert_eq!(error(&past_head, 16), (0, "a record of 64 bytes".into()));
        let mut long_sample = sample(b"ok");
        long_sample[8..12].copy_from_slice(&1000u32.to_ne_bytes());
        let too_long = (0, "a sample larger than its record".to_string());
        assert_eq!(error(&long_sample, 5), too_long);
        assert_eq!(error(&long_sample, 16), too_long);
        // After a good record, wherever the data area ends: the position
        // is the bad record's, so the tail stops there.
        let after_one = [sample(b"ok"), long_sample.clone()].concat();
        for split in 0..=after_one.len() {
            assert_eq!(
                error(&after_one, split),
                (16, too_long.1.clone()),
                "split at {split}"
            );
        }
        let short_lost = record(perf::RECORD_LOST, &[0; 8]);
        assert_eq!(error(&short_lost, 8), (0, "a short lost record".into()));
        assert_eq!(error(&[0; 5], 2), (0, "a header past the head".into()));
        // A record longer than the rest of the window's second part.
        let mut cut = [sample(b"ok"), sample(b"ok")].concat();
        cut[22..24].copy_from_slice(&24u16.to_ne_bytes());
        assert_eq!(error(&cut, 8), (16, "a record of 24 bytes".into()));
        assert_eq!(error(&cut, 16), (16, "a record of 24 bytes".into()));
    }
}
