//! A step counter for the scaling tests: every loop over something the file
//! controls (sections, symbols, relocations, programs, records, types) and
//! every lookup ticks it, so that a test can build a hostile object at
//! scale and assert that parsing and the lookups took O(n log n) steps.
//!
//! It counts only in this crate's unit tests and with the `work-counter`
//! feature (the fuzz targets); otherwise [`tick`] compiles to nothing.

#[cfg(any(test, feature = "work-counter"))]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps.
#[inline(always)]
pub(crate) fn tick(n: usize) {
    #[cfg(any(test, feature = "work-counter"))]
    STEPS.with(|s| s.set(s.get().saturating_add(n as u64)));
    #[cfg(not(any(test, feature = "work-counter")))]
    let _ = n;
}

/// The steps counted on this thread since the last call, and a new start.
#[cfg(any(test, feature = "work-counter"))]
pub fn take_steps() -> u64 {
    STEPS.with(|s| s.replace(0))
}
