//! Events lost, counted where they were lost: in the kernel (the BPF side's
//! per-CPU `drops` array: an output that found no room, a failed exec that
//! could not be staged), in the perf rings (the kernel's lost-sample
//! records) and in the reader (records that do not decode).
//!
//! A perf ring's lost records count the same events as the kernel's output
//! counter (a full ring makes `bpf_perf_event_output` fail, which the BPF
//! side counts): [`Drops::lost_events`] does not add them twice.

use corex::LoadedObject;

/// `EXECSNOOP_DROP_OUTPUT`: the key of the output-failure counter.
pub const DROP_OUTPUT: u32 = 0;
/// `EXECSNOOP_DROP_STAGE`: the key of the staging-failure counter.
pub const DROP_STAGE: u32 = 1;
/// `EXECSNOOP_DROP_REASONS`: how many counters the `drops` map has.
pub const DROP_REASONS: u32 = 2;

/// Drop counts (totals, or the increase over some period).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drops {
    /// Events the BPF side could not output: the buffer was full (or, for
    /// a perf buffer, a CPU had no reader yet).
    pub output: u64,
    /// Failed execs that could not be staged at syscall entry, so their
    /// failure is not reported.
    pub stage: u64,
    /// Samples the perf rings reported lost (the same events as part of
    /// `output`).
    pub perf_lost: u64,
    /// Records the reader could not decode.
    pub undecodable: u64,
}

impl Drops {
    /// Whether nothing was dropped.
    pub fn is_empty(&self) -> bool {
        *self == Drops::default()
    }

    /// Execs not reported: output failures (which include what the perf
    /// rings reported, counted once), staging failures and undecodable
    /// records.
    pub fn lost_events(&self) -> u64 {
        self.output.max(self.perf_lost) + self.stage + self.undecodable
    }

    fn minus(self, earlier: Drops) -> Drops {
        Drops {
            output: self.output.saturating_sub(earlier.output),
            stage: self.stage.saturating_sub(earlier.stage),
            perf_lost: self.perf_lost.saturating_sub(earlier.perf_lost),
            undecodable: self.undecodable.saturating_sub(earlier.undecodable),
        }
    }
}

/// Sums a per-CPU array value: one u64 per possible CPU (each padded to 8
/// bytes, which a u64 already is).
pub fn sum_per_cpu(value: &[u8]) -> u64 {
    value
        .chunks_exact(8)
        .map(|c| u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .fold(0u64, u64::wrapping_add)
}

/// The totals seen so far.
#[derive(Debug, Default)]
pub(crate) struct DropCounters {
    seen: Drops,
}

impl DropCounters {
    /// Reads the kernel's counters, takes the perf rings' and the reader's
    /// counts, and returns the increase since the last update.
    pub(crate) fn update(
        &mut self,
        loaded: &LoadedObject,
        perf_lost: u64,
        undecodable: u64,
    ) -> Result<Drops, corex::Error> {
        let map = loaded.map("drops").ok_or_else(|| corex::Error::NotFound {
            object: loaded.source().to_owned(),
            kind: "map",
            name: "drops".into(),
        })?;
        let counter = |key: u32| -> Result<u64, corex::Error> {
            Ok(map
                .lookup(&key.to_ne_bytes())?
                .map_or(0, |v| sum_per_cpu(&v)))
        };
        let now = Drops {
            output: counter(DROP_OUTPUT)?,
            stage: counter(DROP_STAGE)?,
            perf_lost,
            undecodable,
        };
        let new = now.minus(self.seen);
        self.seen = now;
        Ok(new)
    }

    /// The totals.
    pub(crate) fn total(&self) -> Drops {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_cpu_values_add_up() {
        let mut v = Vec::new();
        for n in [3u64, 0, 7, u64::MAX] {
            v.extend_from_slice(&n.to_ne_bytes());
        }
        assert_eq!(sum_per_cpu(&v), 9);
    }

    #[test]
    fn perf_losses_are_not_counted_twice() {
        let d = Drops {
            output: 10,
            stage: 1,
            perf_lost: 8,
            undecodable: 2,
        };
        assert_eq!(d.lost_events(), 13);
        assert!(!d.is_empty());
        assert_eq!(d.minus(d), Drops::default());
    }
}
