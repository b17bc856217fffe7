//! Links: `BPF_LINK_CREATE` (perf events with a BPF cookie, tracing programs
//! with a cookie, kprobe_multi), `BPF_RAW_TRACEPOINT_OPEN`, `BPF_LINK_UPDATE`
//! and `BPF_LINK_DETACH`. A link detaches when its last fd closes, unless
//! pinned.

use crate::attr::{
    LinkCreateKprobeMultiAttr, LinkCreatePerfEventAttr, LinkCreateTracingAttr, LinkDetachAttr,
    LinkUpdateAttr, RawTracepointAttr,
};
use crate::error::{Error, Result};
use crate::fd::{attr_fd, owned_fd, LinkFd, PerfEventFd, ProgFd};
use crate::info::{link_info, LinkInfo};
use crate::object::{fd_by_id, obj_get_kind, obj_pin, ObjectKind};
use crate::syscall::bpf;
use corex_uapi::{flags, AttachType, BpfCmd};
use std::ffi::{c_char, CStr};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

/// What `BPF_LINK_CREATE` attaches to.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum LinkTarget<'a> {
    /// A perf event (tracepoint, kprobe, uprobe) (`BPF_PERF_EVENT`), with
    /// the value `bpf_get_attach_cookie` returns.
    PerfEvent {
        /// The event.
        event: &'a PerfEventFd,
        /// The BPF cookie.
        cookie: u64,
    },
    /// A tracing program's target (fentry, fexit, fmod_ret, lsm, tp_btf,
    /// freplace): the program's own `attach_btf_id` unless `target_btf_id`
    /// is set (freplace with `target_prog`).
    Tracing {
        /// The program's attach type (`TRACE_FENTRY`...).
        attach_type: AttachType,
        /// A BPF program to attach to (freplace), else `None`.
        target_prog: Option<&'a ProgFd>,
        /// BTF id of the target, 0 for the one given at load.
        target_btf_id: u32,
        /// The BPF cookie (Linux 6.0+).
        cookie: u64,
    },
    /// Functions by name or address (`BPF_TRACE_KPROBE_MULTI`), each with an
    /// optional cookie.
    KprobeMulti {
        /// Function names (or empty, with `addresses`).
        symbols: &'a [&'a CStr],
        /// Function addresses (or empty, with `symbols`).
        addresses: &'a [u64],
        /// One cookie per function, or empty.
        cookies: &'a [u64],
        /// Return probes.
        retprobe: bool,
    },
    /// Any other attach type that takes a target fd and flags (cgroups,
    /// netns, ...).
    Fd {
        /// The target (a cgroup directory, a netns...).
        target: BorrowedFd<'a>,
        /// The attach type.
        attach_type: AttachType,
        /// `flags::attach::*`.
        flags: u32,
    },
}

fn bad(why: String) -> Error {
    Error::BadArgument {
        call: "BPF_LINK_CREATE",
        why,
    }
}

impl LinkFd {
    /// Attaches `prog` to `target` (`BPF_LINK_CREATE`).
    pub fn create(prog: &ProgFd, target: LinkTarget<'_>) -> Result<LinkFd> {
        let prog_fd = attr_fd(prog.as_fd());
        let cmd = BpfCmd::LINK_CREATE;
        let fd = match target {
            LinkTarget::PerfEvent { event, cookie } => bpf(
                cmd,
                &mut LinkCreatePerfEventAttr {
                    prog_fd,
                    target_fd: attr_fd(event.as_fd()),
                    attach_type: AttachType::PERF_EVENT.0,
                    flags: 0,
                    bpf_cookie: cookie,
                },
            )?,
            LinkTarget::Tracing {
                attach_type,
                target_prog,
                target_btf_id,
                cookie,
            } => bpf(
                cmd,
                &mut LinkCreateTracingAttr {
                    prog_fd,
                    target_fd: target_prog.map_or(0, |p| attr_fd(p.as_fd())),
                    attach_type: attach_type.0,
                    target_btf_id,
                    cookie,
                    ..Default::default()
                },
            )?,
            LinkTarget::KprobeMulti {
                symbols,
                addresses,
                cookies,
                retprobe,
            } => {
                let count = symbols.len().max(addresses.len());
                if symbols.is_empty() == addresses.is_empty() {
                    return Err(bad(
                        "kprobe_multi takes either symbols or addresses, and at least one".into(),
                    ));
                }
                if !cookies.is_empty() && cookies.len() != count {
                    return Err(bad(format!(
                        "{} cookies for {count} functions",
                        cookies.len()
                    )));
                }
                let cnt = u32::try_from(count).map_err(|_| bad("too many functions".into()))?;
                // The kernel reads an array of string pointers: keep it alive
                // across the call.
                let pointers: Vec<*const c_char> = symbols.iter().map(|s| s.as_ptr()).collect();
                let ptr_or_null = |empty: bool, p: u64| if empty { 0 } else { p };
                bpf(
                    cmd,
                    &mut LinkCreateKprobeMultiAttr {
                        prog_fd,
                        attach_type: AttachType::TRACE_KPROBE_MULTI.0,
                        kprobe_flags: if retprobe {
                            flags::attach::KPROBE_MULTI_RETURN
                        } else {
                            0
                        },
                        cnt,
                        syms: ptr_or_null(pointers.is_empty(), pointers.as_ptr() as u64),
                        addrs: ptr_or_null(addresses.is_empty(), addresses.as_ptr() as u64),
                        cookies: ptr_or_null(cookies.is_empty(), cookies.as_ptr() as u64),
                        ..Default::default()
                    },
                )?
            }
            LinkTarget::Fd {
                target,
                attach_type,
                flags,
            } => bpf(
                cmd,
                &mut LinkCreateTracingAttr {
                    prog_fd,
                    target_fd: attr_fd(target),
                    attach_type: attach_type.0,
                    flags,
                    ..Default::default()
                },
            )?,
        };
        Ok(LinkFd::from_owned(owned_fd(fd)))
    }

    /// Attaches `prog` to the raw tracepoint `name`
    /// (`BPF_RAW_TRACEPOINT_OPEN`); `None` for programs whose target was
    /// given at load (tp_btf, fentry, fexit, lsm through their attach BTF id).
    pub fn raw_tracepoint(prog: &ProgFd, name: Option<&CStr>) -> Result<LinkFd> {
        let mut attr = RawTracepointAttr {
            name: name.map_or(0, |n| n.as_ptr() as u64),
            prog_fd: attr_fd(prog.as_fd()),
            ..Default::default()
        };
        bpf(BpfCmd::RAW_TRACEPOINT_OPEN, &mut attr).map(|fd| LinkFd::from_owned(owned_fd(fd)))
    }

    /// The link with this id (`BPF_LINK_GET_FD_BY_ID`).
    pub fn from_id(id: u32) -> Result<LinkFd> {
        fd_by_id(ObjectKind::Link, id).map(LinkFd::from_owned)
    }

    /// The link pinned at `path` (another kind of object is an error).
    pub fn from_pinned(path: &Path) -> Result<LinkFd> {
        obj_get_kind(path, 0, ObjectKind::Link).map(LinkFd::from_owned)
    }

    /// Pins the link at `path`: it stays attached after its fds close.
    pub fn pin(&self, path: &Path) -> Result<()> {
        obj_pin(self.as_fd(), path)
    }

    /// What the kernel says about the link.
    pub fn info(&self) -> Result<LinkInfo> {
        link_info(self.as_fd())
    }

    /// Replaces the link's program (`BPF_LINK_UPDATE`); with `old`, only if
    /// `old` is the program attached now.
    pub fn update(&self, new: &ProgFd, old: Option<&ProgFd>) -> Result<()> {
        let mut attr = LinkUpdateAttr {
            link_fd: attr_fd(self.as_fd()),
            new_prog_fd: attr_fd(new.as_fd()),
            flags: if old.is_some() {
                flags::attach::REPLACE
            } else {
                0
            },
            old_prog_fd: old.map_or(0, |p| attr_fd(p.as_fd())),
        };
        bpf(BpfCmd::LINK_UPDATE, &mut attr).map(drop)
    }

    /// Detaches the link now, even if it is pinned or other fds hold it
    /// (`BPF_LINK_DETACH`); the fd stays valid.
    pub fn detach(&self) -> Result<()> {
        let mut attr = LinkDetachAttr {
            link_fd: attr_fd(self.as_fd()),
        };
        bpf(BpfCmd::LINK_DETACH, &mut attr).map(drop)
    }
}
