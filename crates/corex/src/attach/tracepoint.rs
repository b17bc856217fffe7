//! `tracepoint/CATEGORY/NAME`: the tracepoint's id from tracefs, a perf
//! event on it, and the program run on that event.

use super::error::{AttachError, Missing, NoTarget, Result};
use super::link::Link;
use super::perf_event::attach_to_event;
use super::tracefs;
use corex_object::AttachKind;
use corex_sys::{PerfEventFd, PerfEventKind, PerfEventOpen, ProgFd};

/// How to attach a tracepoint program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TracepointOptions {
    /// The value `bpf_get_attach_cookie()` returns in the program (needs
    /// perf links, Linux 5.15).
    pub cookie: u64,
}

/// Attaches `prog` (a tracepoint program) to tracepoint `category/name`
/// (`syscalls`, `sys_enter_execve`).
pub fn attach_tracepoint(
    prog: &ProgFd,
    category: &str,
    name: &str,
    options: &TracepointOptions,
) -> Result<Link> {
    let kind = AttachKind::Tracepoint;
    let target = format!("{category}/{name}");
    if !tracefs::is_plain_component(category) || !tracefs::is_plain_component(name) {
        return Err(AttachError::BadTarget {
            kind,
            target,
            why: "a tracepoint is CATEGORY/NAME, each a plain name".into(),
        });
    }
    let Some(root) = tracefs::root() else {
        return Err(AttachError::Unsupported {
            kind,
            missing: Missing::Tracefs,
            source: None,
        });
    };
    let id = tracefs::event_id(root, category, name)
        .map_err(|source| AttachError::File {
            kind,
            path: root.join("events").join(category).join(name).join("id"),
            source,
        })?
        .ok_or_else(|| AttachError::NoTarget {
            kind,
            target: NoTarget::Tracepoint {
                name: target.clone(),
            },
        })?;
    // Any process on CPU 0, as libbpf opens it: a BPF program on a
    // tracepoint runs wherever the tracepoint fires.
    let event = PerfEventFd::open(&PerfEventOpen::new(PerfEventKind::Tracepoint { id }, 0))
        .map_err(|source| AttachError::Kernel {
            kind,
            target: target.clone(),
            source,
        })?;
    attach_to_event(prog, kind, &target, event, None, options.cookie)
}
