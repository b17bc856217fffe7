//! A shared memory mapping of a BPF or perf fd (ring buffer consumer and
//! producer pages, perf rings, mmap-able array maps), unmapped on drop, with
//! the atomic accessors a ring reader needs: acquire loads of the positions
//! the kernel publishes, release stores of the position the reader consumed.

use crate::error::{Errno, Error, Result, Syscall};
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Access to ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Read only (a ring buffer's producer page and data).
    Read,
    /// Read and write (a ring buffer's consumer page; perf rings).
    ReadWrite,
}

/// A `MAP_SHARED` mapping, unmapped on drop.
///
/// The kernel may write the mapped memory at any time; accessors give
/// atomics for the positions it publishes and byte slices for regions that
/// the ring protocol says are stable (committed records before the reader
/// releases them).
#[derive(Debug)]
pub struct Mmap {
    ptr: *mut u8,
    len: usize,
    writable: bool,
}

// SAFETY: the mapping is plain shared memory owned by this value; all
// access goes through `&self` accessors that are atomic or read-only views,
// so sharing or sending it between threads is as safe as sharing `&[AtomicU8]`.
unsafe impl Send for Mmap {}
// SAFETY: as above.
unsafe impl Sync for Mmap {}

/// The system's page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}

impl Mmap {
    /// Maps `len` bytes of `fd` from byte `offset` (a multiple of the page
    /// size), shared.
    pub fn map(fd: BorrowedFd<'_>, len: usize, offset: u64, prot: Protection) -> Result<Mmap> {
        if len == 0 || !offset.is_multiple_of(page_size() as u64) {
            return Err(Error::BadArgument {
                call: "mmap",
                why: format!("length {len} or offset {offset} (must be nonzero and page-aligned)"),
            });
        }
        let writable = prot == Protection::ReadWrite;
        let prot = match prot {
            Protection::Read => libc::PROT_READ,
            Protection::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
        };
        // SAFETY: a fresh mapping at an address the kernel chooses (null
        // hint, no MAP_FIXED) cannot alias any Rust object; the fd is open
        // for the call.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::Syscall {
                call: Syscall::Mmap,
                errno: Errno::last(),
            });
        }
        Ok(Mmap {
            ptr: ptr.cast(),
            len,
            writable,
        })
    }

    /// The mapping's length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty (never: a mapping has at least a byte).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn check(&self, offset: usize, size: usize, align: usize) -> Option<*mut u8> {
        let end = offset.checked_add(size)?;
        (end <= self.len && offset.is_multiple_of(align)).then(|| self.ptr.wrapping_add(offset))
    }

    /// The 8-byte-aligned `u64` at `offset` as an atomic, `None` if out of
    /// range or misaligned.
    #[inline]
    pub fn atomic_u64(&self, offset: usize) -> Option<&AtomicU64> {
        let p = self.check(offset, 8, 8)?;
        // SAFETY: in bounds and aligned (checked); the mapping lives as long
        // as `&self`; memory shared with the kernel is exactly what atomics
        // are for.
        Some(unsafe { AtomicU64::from_ptr(p.cast()) })
    }

    /// The 4-byte-aligned `u32` at `offset` as an atomic.
    #[inline]
    pub fn atomic_u32(&self, offset: usize) -> Option<&AtomicU32> {
        let p = self.check(offset, 4, 4)?;
        // SAFETY: as for `atomic_u64`.
        Some(unsafe { AtomicU32::from_ptr(p.cast()) })
    }

    /// Acquire load of the `u64` at `offset` (a producer position): the
    /// bytes it covers are visible after it. Panics if out of range or
    /// misaligned (the offsets come from the ring's fixed layout).
    #[inline]
    pub fn load_acquire_u64(&self, offset: usize) -> u64 {
        self.atomic_u64(offset)
            .expect("u64 offset in range and aligned")
            .load(Ordering::Acquire)
    }

    /// Acquire load of the `u32` at `offset` (a ring record's header).
    #[inline]
    pub fn load_acquire_u32(&self, offset: usize) -> u32 {
        self.atomic_u32(offset)
            .expect("u32 offset in range and aligned")
            .load(Ordering::Acquire)
    }

    /// Release store of the `u64` at `offset` (the consumer position): the
    /// kernel may reuse the bytes before it only after this.
    #[inline]
    pub fn store_release_u64(&self, offset: usize, value: u64) {
        self.atomic_u64(offset)
            .expect("u64 offset in range and aligned")
            .store(value, Ordering::Release);
    }

    /// `len` bytes at `offset`, `None` if out of range. The kernel must not
    /// be writing them while the slice lives (by the ring protocol: a
    /// committed record before the consumer position passes it).
    #[inline]
    pub fn bytes(&self, offset: usize, len: usize) -> Option<&[u8]> {
        let p = self.check(offset, len, 1)?;
        // SAFETY: in bounds (checked), initialized (mapped pages), and the
        // mapping lives as long as `&self`.
        Some(unsafe { std::slice::from_raw_parts(p, len) })
    }

    /// Copies `data` to `offset` with volatile writes (for memory BPF
    /// programs may read or write at the same time, such as an mmap-able
    /// array map's value); `false` if out of range. Only meaningful for a
    /// mapping made with [`Protection::ReadWrite`]; a read-only mapping
    /// refuses with `false`.
    pub fn copy_from(&self, offset: usize, data: &[u8]) -> bool {
        if !self.writable {
            return false;
        }
        let Some(p) = self.check(offset, data.len(), 1) else {
            return false;
        };
        for (i, b) in data.iter().enumerate() {
            // SAFETY: `p + i` is within the mapping (checked above), which
            // was mapped writable (checked above); volatile because the
            // kernel and BPF programs share the memory.
            unsafe { p.add(i).write_volatile(*b) };
        }
        true
    }

    /// Copies bytes from `offset` into `out` with volatile reads (for
    /// regions the kernel may still be writing); `false` if out of range.
    pub fn copy_to(&self, offset: usize, out: &mut [u8]) -> bool {
        let Some(p) = self.check(offset, out.len(), 1) else {
            return false;
        };
        for (i, b) in out.iter_mut().enumerate() {
            // SAFETY: `p + i` is within the mapping (checked above).
            *b = unsafe { p.add(i).read_volatile() };
        }
        true
    }
}

/// How far ahead of the record being read the ring readers ask the CPU to
/// load the records that follow.
pub const PREFETCH_DISTANCE: usize = 1024;

/// The cache line size the prefetches step by (64 bytes on the CPUs BPF
/// runs on; a larger line only makes some prefetches redundant).
const CACHE_LINE: usize = 64;

/// Asks the CPU to start loading the cache lines of `bytes` from offset
/// `from` up to `to` (clamped to the end), a line apart: a hint, with no
/// effect on what the program computes. Returns the offset the next call
/// starts from, so a reader moving through `bytes` asks for each line once.
#[inline]
pub fn prefetch_lines(bytes: &[u8], from: usize, to: usize) -> usize {
    let to = to.min(bytes.len());
    let mut next = from;
    while next < to {
        prefetch_line(bytes.as_ptr().wrapping_add(next));
        next += CACHE_LINE;
    }
    next
}

#[inline(always)]
fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint: it never faults, whatever the address,
    // and changes no memory or register the program sees; SSE, which it
    // needs, is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: PRFM is a hint: it never faults, whatever the address, and
    // changes no memory or register the program sees.
    unsafe {
        std::arch::asm!("prfm pldl1keep, [{0}]", in(reg) p, options(nostack, readonly, preserves_flags));
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = p;
}

impl Mmap {
    /// The committed bytes of a BPF ring buffer between the positions
    /// `consumer` and `producer`, checked once for a whole batch of records:
    /// `data` is the offset of the ring's data area, mapped twice in a row
    /// (`2 * size` bytes), `size` a power of two. `None` if the area is not
    /// inside the mapping, `data` or a position is not 8-byte aligned, or
    /// `producer` is behind `consumer` or more than `size` bytes ahead.
    pub fn ring_window(
        &self,
        data: usize,
        size: usize,
        consumer: u64,
        producer: u64,
    ) -> Option<RingWindow<'_>> {
        let area_end = data.checked_add(size.checked_mul(2)?)?;
        let left = producer.checked_sub(consumer)?;
        let aligned = data.is_multiple_of(8) && (consumer | producer).is_multiple_of(8);
        if !size.is_power_of_two() || size < 8 || area_end > self.len || !aligned {
            return None;
        }
        if left > size as u64 {
            return None;
        }
        let start = data + (consumer & (size as u64 - 1)) as usize;
        let at = self.ptr.wrapping_add(start);
        let mut window = RingWindow {
            at,
            left: left as usize,
            prefetched: at,
            _mapping: PhantomData,
        };
        window.prefetch_ahead();
        Some(window)
    }
}

/// A cursor over a BPF ring buffer's committed records (from
/// [`Mmap::ring_window`]): each record is an 8-byte header (a `u32` length
/// with busy and discard bits, which the producer may still be writing, so
/// it is read as an atomic) and its bytes, padded to 8 bytes.
///
/// Invariant: `at` is 8-byte aligned and `at .. at + left` lies inside the
/// mapping (the window starts within the first copy of the data area and is
/// at most `size` bytes long, so it ends within the second copy).
#[derive(Debug)]
pub struct RingWindow<'m> {
    at: *mut u8,
    left: usize,
    /// Where the next cache line to prefetch starts (see
    /// [`RingWindow::prefetch_ahead`]).
    prefetched: *const u8,
    _mapping: PhantomData<&'m Mmap>,
}

impl RingWindow<'_> {
    /// Asks for the cache lines of the next [`PREFETCH_DISTANCE`] bytes of
    /// the window that were not asked for yet: each record's header says
    /// where the next one starts, a chain of dependent loads that would
    /// otherwise miss the cache one record at a time. It stays
    /// [`PREFETCH_DISTANCE`] bytes short of the producer position: the
    /// producer position moves when a record is reserved, so the last
    /// records may still be being written, and pulling their lines here
    /// would make the producer fetch them back (a reader keeping up, with
    /// a window shorter than that, prefetches nothing).
    #[inline]
    fn prefetch_ahead(&mut self) {
        let end =
            self.at as usize + PREFETCH_DISTANCE.min(self.left.saturating_sub(PREFETCH_DISTANCE));
        while (self.prefetched as usize) < end {
            prefetch_line(self.prefetched);
            self.prefetched = self.prefetched.wrapping_add(CACHE_LINE);
        }
    }

    /// Bytes from the cursor to the producer position.
    #[inline]
    pub fn len(&self) -> usize {
        self.left
    }

    /// Whether the cursor has reached the producer position.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The header at the cursor, `None` at the producer position.
    #[inline]
    pub fn header(&self) -> Option<&AtomicU32> {
        if self.left < 8 {
            return None;
        }
        // SAFETY: by the invariant, `at` is 8-byte aligned and at least 8
        // bytes of the mapping follow it (checked just above); the mapping
        // outlives `'m` and so `&self`; shared memory the kernel writes is
        // what atomics are for.
        Some(unsafe { AtomicU32::from_ptr(self.at.cast()) })
    }

    /// The `len` bytes after the cursor's header, moving the cursor past the
    /// record (header and bytes, rounded up to 8). `None`, with the cursor
    /// left where it is, if the record would end past the producer position
    /// (a length a hostile or corrupt header claims).
    #[inline]
    pub fn take(&mut self, len: usize) -> Option<&[u8]> {
        let total = len.checked_add(8 + 7)? & !7;
        if total > self.left {
            return None;
        }
        let body = self.at.wrapping_add(8);
        self.at = self.at.wrapping_add(total);
        self.left -= total;
        self.prefetch_ahead();
        // SAFETY: `body .. body + len` lies within the `total <= left`
        // bytes that followed the cursor, inside the mapping by the
        // invariant (which the move keeps: `total` is a multiple of 8 and
        // at most `left`); the ring protocol says a committed record is not
        // written until the consumer position passes it, and the slice
        // borrows the window, which borrows the mapping.
        Some(unsafe { std::slice::from_raw_parts(body, len) })
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap returned, unmapped once;
        // no borrow of the mapping outlives `self`.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{FromRawFd, OwnedFd};

    /// A read-write mapping of a fresh memfd of `len` bytes.
    fn scratch(len: usize) -> Mmap {
        // SAFETY: memfd_create takes a NUL-terminated name and returns a new
        // fd or -1.
        let fd = unsafe { libc::memfd_create(c"ring-window-test".as_ptr(), 0) };
        assert!(fd >= 0, "memfd_create");
        // SAFETY: `fd` is a fresh fd this test owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: ftruncate on an owned fd.
        assert_eq!(
            unsafe { libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) },
            0
        );
        Mmap::map(fd.as_fd(), len, 0, Protection::ReadWrite).unwrap()
    }

    use std::os::fd::AsFd;

    #[test]
    fn ring_window_refuses_positions_it_cannot_vouch_for() {
        let page = page_size();
        let map = scratch(3 * page);
        let (data, size) = (page, page);
        assert!(map.ring_window(data, size, 0, 0).is_some());
        // The producer behind the consumer, more than a ring ahead, or
        // misaligned; the area past the mapping; a size not a power of two.
        assert!(map.ring_window(data, size, 16, 8).is_none());
        assert!(map.ring_window(data, size, 0, size as u64 + 8).is_none());
        assert!(map.ring_window(data, size, 4, 12).is_none());
        assert!(map.ring_window(data, 2 * size, 0, 0).is_none());
        assert!(map.ring_window(data, size - 8, 0, 0).is_none());
        // A full ring starting at the last record slot ends in the second copy.
        let last = size as u64 - 8;
        let window = map.ring_window(data, size, last, last + size as u64);
        assert_eq!(window.map(|w| w.len()), Some(size));
    }

    #[test]
    fn a_record_claiming_bytes_past_the_producer_is_refused() {
        let page = page_size();
        let map = scratch(3 * page);
        assert!(map.copy_from(page, &20u32.to_ne_bytes()));
        let mut window = map.ring_window(page, page, 0, 64).unwrap();
        assert_eq!(window.header().unwrap().load(Ordering::Acquire), 20);
        assert_eq!(window.take(20).map(<[u8]>::len), Some(20));
        assert_eq!(window.len(), 32);
        // 25 bytes and a header round up to 40, past the 32 left.
        assert!(window.take(25).is_none());
        assert_eq!(window.len(), 32);
        assert!(window.take(usize::MAX).is_none());
        assert_eq!(window.take(24).map(<[u8]>::len), Some(24));
        assert!(window.is_empty() && window.header().is_none());
    }
}
