//! Running a program on a perf event (tracepoints, kprobes, uprobes): a perf
//! link where the kernel has them (with the BPF cookie), else
//! `PERF_EVENT_IOC_SET_BPF`; then the event is enabled.

use super::error::{AttachError, Missing, Result};
use super::features::perf_links;
use super::link::Link;
use super::tracefs::TracefsProbe;
use corex_object::AttachKind;
use corex_sys::{LinkFd, LinkTarget, PerfEventFd, ProgFd};

/// Attaches `prog` to `event`, which keeps `probe` (a tracefs probe corex
/// added for it) alive.
pub(crate) fn attach_to_event(
    prog: &ProgFd,
    kind: AttachKind,
    target: &str,
    event: PerfEventFd,
    probe: Option<TracefsProbe>,
    cookie: u64,
) -> Result<Link> {
    let failed = |source| AttachError::Kernel {
        kind,
        target: target.to_owned(),
        source,
    };
    let link = if perf_links() {
        let link = LinkFd::create(
            prog,
            LinkTarget::PerfEvent {
                event: &event,
                cookie,
            },
        )
        .map_err(failed)?;
        Some(link)
    } else {
        if cookie != 0 {
            return Err(AttachError::Unsupported {
                kind,
                missing: Missing::PerfLinkCookie,
                source: None,
            });
        }
        event.set_bpf(prog).map_err(failed)?;
        None
    };
    event.enable().map_err(failed)?;
    Ok(Link::perf(kind, target, link, event, probe))
}
