//! The perf event behind a kprobe or uprobe: through the dynamic probe PMU
//! (Linux 4.17+), or through a probe line in tracefs `kprobe_events` /
//! `uprobe_events` and that probe's tracepoint (older kernels), which corex
//! removes again on detach.

use super::features::{probe_pmu, ProbeKind};
use super::tracefs::{self, ProbeFile, TracefsProbe};
use corex_sys::{PerfEventFd, PerfEventKind, PerfEventOpen};
use std::ffi::CStr;

/// How a kprobe or uprobe is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeMethod {
    /// The probe PMU where the kernel has it, else tracefs.
    #[default]
    Auto,
    /// Only the probe PMU.
    Pmu,
    /// Only a probe line in tracefs (`kprobe_events`, `uprobe_events`).
    Tracefs,
}

/// One probe to open.
pub(crate) struct ProbeRequest<'a> {
    pub(crate) kind: ProbeKind,
    pub(crate) retprobe: bool,
    /// `config1` for the PMU: the function name or the binary's path.
    pub(crate) pmu_target: &'a CStr,
    /// `config2`: the offset in the function or the file.
    pub(crate) offset: u64,
    /// What follows the event name in the tracefs probe line.
    pub(crate) tracefs_definition: String,
    /// Used in the tracefs event's name.
    pub(crate) label: &'a str,
    /// Process to watch (-1: all).
    pub(crate) pid: i32,
    pub(crate) method: ProbeMethod,
}

/// Why a probe event could not be opened.
#[derive(Debug)]
pub(crate) enum ProbeFailure {
    /// Neither mechanism is there (or not the one asked for).
    NoMechanism {
        /// The PMU is missing and tracefs is not mounted.
        no_tracefs: bool,
    },
    /// `perf_event_open` failed.
    Open(corex_sys::Error),
    /// Writing the tracefs probe line failed.
    Tracefs {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// Opens the perf event for `request`, and the tracefs probe it uses if one
/// was made.
pub(crate) fn open_probe(
    request: &ProbeRequest<'_>,
) -> Result<(PerfEventFd, Option<TracefsProbe>), ProbeFailure> {
    let pmu = probe_pmu(request.kind).filter(|_| request.method != ProbeMethod::Tracefs);
    // Uprobes with a pid watch that process on any CPU; everything else
    // any process on CPU 0 (the program runs wherever the probe fires).
    let cpu = if request.pid >= 0 { -1 } else { 0 };
    if let Some(pmu) = pmu {
        let config = if request.retprobe {
            1u64 << pmu.retprobe_bit
        } else {
            0
        };
        let kind = PerfEventKind::Probe {
            pmu_type: pmu.pmu_type,
            config,
            target: Some(request.pmu_target),
            offset: request.offset,
        };
        let mut open = PerfEventOpen::new(kind, cpu);
        open.pid = request.pid;
        return PerfEventFd::open(&open)
            .map(|e| (e, None))
            .map_err(ProbeFailure::Open);
    }
    let file = match request.kind {
        ProbeKind::Kprobe => ProbeFile::Kprobe,
        ProbeKind::Uprobe => ProbeFile::Uprobe,
    };
    let root = tracefs::root().filter(|r| r.join(file.file_name()).exists());
    let (Some(root), false) = (root, request.method == ProbeMethod::Pmu) else {
        return Err(ProbeFailure::NoMechanism {
            no_tracefs: tracefs::root().is_none(),
        });
    };
    let name = tracefs::unique_event_name(request.label);
    let (probe, id) = TracefsProbe::create(
        root,
        file,
        request.retprobe,
        &name,
        &request.tracefs_definition,
    )
    .map_err(|error| ProbeFailure::Tracefs {
        path: root.join(file.file_name()),
        error,
    })?;
    let mut open = PerfEventOpen::new(PerfEventKind::Tracepoint { id }, cpu);
    open.pid = request.pid;
    let event = PerfEventFd::open(&open).map_err(ProbeFailure::Open)?;
    Ok((event, Some(probe)))
}
