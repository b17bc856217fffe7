//! The kernel stamps events with CLOCK_MONOTONIC (`bpf_ktime_get_ns`); a
//! [`Clock`] taken when tracing starts turns those stamps into time since
//! the start and into wall-clock time.

use rustix::time::{clock_gettime, ClockId};

fn nanos(clock: ClockId) -> u64 {
    let t = clock_gettime(clock);
    (t.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(t.tv_nsec as u64)
}

/// CLOCK_MONOTONIC now, in nanoseconds: the kernel's `bpf_ktime_get_ns()`.
pub fn monotonic_ns() -> u64 {
    nanos(ClockId::Monotonic)
}

/// A start time, on both clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// CLOCK_MONOTONIC at the start.
    pub start_ns: u64,
    /// CLOCK_REALTIME minus CLOCK_MONOTONIC at the start.
    pub realtime_offset_ns: u64,
}

impl Clock {
    /// Now.
    pub fn now() -> Clock {
        let start_ns = monotonic_ns();
        let real = nanos(ClockId::Realtime);
        Clock {
            start_ns,
            realtime_offset_ns: real.wrapping_sub(start_ns),
        }
    }

    /// Nanoseconds from the start to kernel time `ktime_ns` (negative for
    /// an event captured before it).
    pub fn since_start_ns(&self, ktime_ns: u64) -> i64 {
        ktime_ns.wrapping_sub(self.start_ns) as i64
    }

    /// Kernel time `ktime_ns` as nanoseconds since the Unix epoch (as the
    /// wall clock stood at the start: later adjustments are not followed).
    pub fn unix_ns(&self, ktime_ns: u64) -> u64 {
        ktime_ns.wrapping_add(self.realtime_offset_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_convert_both_ways() {
        let c = Clock {
            start_ns: 1_000,
            realtime_offset_ns: 1_700_000_000_000_000_000,
        };
        assert_eq!(c.since_start_ns(1_500), 500);
        assert_eq!(c.since_start_ns(900), -100);
        assert_eq!(c.unix_ns(1_500), 1_700_000_000_000_001_500);
        let now = Clock::now();
        assert!(monotonic_ns() >= now.start_ns);
    }
}
