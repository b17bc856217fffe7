//! A program attached: one `Link` type over every kind. It holds what keeps
//! the program attached (a BPF link, a perf event, a legacy tracefs probe)
//! and lets go of it on drop, in the order the kernel needs: the BPF link,
//! then the perf event, then the tracefs probe the event used.

use super::error::{AttachError, Result};
use super::tracefs::TracefsProbe;
use corex_object::AttachKind;
use corex_sys::{LinkFd, LinkInfo, PerfEventFd, ProgFd};
use std::path::{Path, PathBuf};

/// An attached program. Dropping it detaches the program, unless the link
/// is pinned (then it stays until the pin is removed).
#[derive(Debug)]
#[must_use = "dropping a Link detaches the program"]
pub struct Link {
    kind: AttachKind,
    target: String,
    // Field order is drop order: the link, then the event, then the probe.
    link: Option<LinkFd>,
    event: Option<PerfEventFd>,
    probe: Option<TracefsProbe>,
    pinned: Option<PathBuf>,
}

impl Link {
    pub(crate) fn bpf(kind: AttachKind, target: &str, link: LinkFd) -> Link {
        Link {
            kind,
            target: target.to_owned(),
            link: Some(link),
            event: None,
            probe: None,
            pinned: None,
        }
    }

    pub(crate) fn perf(
        kind: AttachKind,
        target: &str,
        link: Option<LinkFd>,
        event: PerfEventFd,
        probe: Option<TracefsProbe>,
    ) -> Link {
        Link {
            kind,
            target: target.to_owned(),
            link,
            event: Some(event),
            probe,
            pinned: None,
        }
    }

    /// What kind of attachment this is.
    pub fn kind(&self) -> AttachKind {
        self.kind
    }

    /// What it is attached to, as given (`syscalls/sys_enter_execve`,
    /// `/bin/bash:readline`, the syscall entry function a ksyscall found).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The BPF link, when the kernel made one (not for perf events attached
    /// with `PERF_EVENT_IOC_SET_BPF` on kernels without perf links).
    pub fn link_fd(&self) -> Option<&LinkFd> {
        self.link.as_ref()
    }

    /// The perf event the program runs on (tracepoints, kprobes, uprobes).
    pub fn perf_event(&self) -> Option<&PerfEventFd> {
        self.event.as_ref()
    }

    /// The name of the tracefs probe corex added for this link (the legacy
    /// kprobe/uprobe interface), removed when the link is dropped.
    pub fn tracefs_probe(&self) -> Option<&str> {
        self.probe.as_ref().map(|p| p.name())
    }

    fn need_link(&self, why: &'static str) -> Result<&LinkFd> {
        self.link.as_ref().ok_or(AttachError::Link {
            kind: self.kind,
            why,
            source: None,
        })
    }

    fn sys(&self, why: &'static str) -> impl FnOnce(corex_sys::Error) -> AttachError {
        let kind = self.kind;
        move |e| AttachError::Link {
            kind,
            why,
            source: Some(e),
        }
    }

    /// What the kernel says about the link (its id, program, target).
    pub fn info(&self) -> Result<LinkInfo> {
        self.need_link("has no BPF link to ask about (attached with PERF_EVENT_IOC_SET_BPF)")?
            .info()
            .map_err(self.sys("BPF_OBJ_GET_INFO_BY_FD failed"))
    }

    /// Pins the link at `path` in a BPF file system: the program stays
    /// attached after this process lets go of it, until the pin is removed.
    /// Refused for links without a BPF link and for links that use a
    /// tracefs probe corex added (nobody would remove the probe).
    pub fn pin(&mut self, path: &Path) -> Result<()> {
        if self.probe.is_some() {
            return Err(AttachError::Link {
                kind: self.kind,
                why: "uses a tracefs probe corex added (the legacy kprobe/uprobe interface), \
                      which would be left behind: it cannot be pinned",
                source: None,
            });
        }
        self.need_link(
            "has no BPF link (attached with PERF_EVENT_IOC_SET_BPF, this kernel has no perf \
             links): it cannot be pinned",
        )?
        .pin(path)
        .map_err(self.sys("cannot be pinned"))?;
        self.pinned = Some(path.to_owned());
        Ok(())
    }

    /// Removes the pin [`Link::pin`] made: the program stays attached only
    /// while this `Link` lives.
    pub fn unpin(&mut self) -> Result<()> {
        let Some(path) = self.pinned.take() else {
            return Ok(());
        };
        std::fs::remove_file(&path).map_err(|source| AttachError::File {
            kind: self.kind,
            path,
            source,
        })
    }

    /// Runs `prog` instead of the program attached now, without a moment
    /// when neither runs (`BPF_LINK_UPDATE`; not every link kind allows it).
    pub fn update(&self, prog: &ProgFd) -> Result<()> {
        self.need_link("has no BPF link to update")?
            .update(prog, None)
            .map_err(self.sys("cannot be updated"))
    }

    /// Detaches now, even if the link is pinned (`BPF_LINK_DETACH` where
    /// there is a BPF link), and removes a tracefs probe corex added.
    /// Unlike dropping, failures are reported.
    pub fn detach(mut self) -> Result<()> {
        if let Some(link) = self.link.take() {
            match link.detach() {
                Ok(()) => {}
                // Perf and raw tracepoint links on older kernels cannot be
                // detached by command; closing the last fd detaches them.
                Err(e) if e.is_not_supported() && self.pinned.is_none() => {}
                Err(e) => return Err(self.sys("cannot be detached")(e)),
            }
        }
        if let Some(event) = &self.event {
            event.disable().map_err(self.sys("cannot be disabled"))?;
        }
        if let Some(probe) = self.probe.take() {
            let path = probe.events_file().to_owned();
            // The event must be closed before its probe can go.
            drop(self.event.take());
            probe.remove().map_err(|source| AttachError::File {
                kind: self.kind,
                path,
                source,
            })?;
        }
        Ok(())
    }
}
