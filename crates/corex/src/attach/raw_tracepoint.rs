//! `raw_tracepoint/NAME`, `raw_tp/NAME` (and their writable forms):
//! `BPF_RAW_TRACEPOINT_OPEN` with the tracepoint's name.

use super::error::{AttachError, NoTarget, Result};
use super::link::Link;
use corex_object::AttachKind;
use corex_sys::{LinkFd, ProgFd};
use std::ffi::CString;

/// Attaches `prog` (a raw tracepoint program) to raw tracepoint `name`
/// (`sys_enter`, `sched_switch`).
pub fn attach_raw_tracepoint(prog: &ProgFd, name: &str) -> Result<Link> {
    attach_raw(prog, AttachKind::RawTracepoint, name)
}

/// Attaches a raw tracepoint program of `kind` (plain or writable).
pub(crate) fn attach_raw(prog: &ProgFd, kind: AttachKind, name: &str) -> Result<Link> {
    let c_name = CString::new(name)
        .ok()
        .filter(|_| !name.is_empty())
        .ok_or_else(|| AttachError::BadTarget {
            kind,
            target: name.to_owned(),
            why: "a raw tracepoint name must be non-empty and have no NUL byte".into(),
        })?;
    let link = LinkFd::raw_tracepoint(prog, Some(&c_name)).map_err(|source| {
        if source.is_not_found() {
            AttachError::NoTarget {
                kind,
                target: NoTarget::RawTracepoint {
                    name: name.to_owned(),
                },
            }
        } else {
            AttachError::Kernel {
                kind,
                target: name.to_owned(),
                source,
            }
        }
    })?;
    Ok(Link::bpf(kind, name, link))
}
