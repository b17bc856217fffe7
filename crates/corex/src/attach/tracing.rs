//! Programs whose target was fixed at load through its BTF id: `tp_btf/`,
//! `fentry/`, `fexit/`, `fmod_ret/`, `lsm/` (vmlinux or a module's split
//! BTF, chosen by the loader). Attached with `BPF_LINK_CREATE`, falling back
//! to `BPF_RAW_TRACEPOINT_OPEN` without a name on kernels whose
//! `BPF_LINK_CREATE` does not take them (as libbpf does).

use super::error::{AttachError, Missing, Result};
use super::link::Link;
use corex_object::AttachKind;
use corex_sys::{Capabilities, Errno, LinkFd, LinkTarget, ProgFd};
use corex_uapi::AttachType;

/// How to attach a tracing program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TracingOptions {
    /// The value `bpf_get_attach_cookie()` returns in the program (Linux
    /// 6.0 for fentry/fexit, 6.10 for tp_btf).
    pub cookie: u64,
}

/// The attach kind of a tracing program's expected attach type, `None` for
/// types this module does not attach.
pub fn tracing_kind(attach_type: AttachType) -> Option<AttachKind> {
    Some(match attach_type {
        AttachType::TRACE_RAW_TP => AttachKind::TpBtf,
        AttachType::TRACE_FENTRY => AttachKind::Fentry,
        AttachType::TRACE_FEXIT => AttachKind::Fexit,
        AttachType::MODIFY_RETURN => AttachKind::FmodRet,
        AttachType::LSM_MAC => AttachKind::Lsm,
        _ => return None,
    })
}

/// Attaches `prog`, loaded with expected attach type `attach_type`
/// (`TRACE_RAW_TP` for tp_btf, `TRACE_FENTRY`, `TRACE_FEXIT`,
/// `MODIFY_RETURN`, `LSM_MAC`) and its target's BTF id, to that target;
/// `target` names it in messages.
pub fn attach_tracing(
    prog: &ProgFd,
    attach_type: AttachType,
    target: &str,
    options: &TracingOptions,
) -> Result<Link> {
    let Some(kind) = tracing_kind(attach_type) else {
        return Err(AttachError::BadTarget {
            kind: AttachKind::Fentry,
            target: target.to_owned(),
            why: format!("{attach_type} is not a tracing attach type corex attaches"),
        });
    };
    let created = LinkFd::create(
        prog,
        LinkTarget::Tracing {
            attach_type,
            target_prog: None,
            target_btf_id: 0,
            cookie: options.cookie,
        },
    );
    let link = match created {
        Ok(link) => link,
        // Kernels before 5.x's link support for this kind: the old command,
        // which cannot pass a cookie.
        Err(e) if e.errno() == Some(Errno::EINVAL) && options.cookie == 0 => {
            LinkFd::raw_tracepoint(prog, None).map_err(|source| explain(kind, target, source))?
        }
        Err(source) => return Err(explain(kind, target, source)),
    };
    Ok(Link::bpf(kind, target, link))
}

/// What a failed tracing attach means: an inactive BPF LSM, a trampoline
/// the kernel refused, or the call's own error.
fn explain(kind: AttachKind, target: &str, source: corex_sys::Error) -> AttachError {
    let missing = if kind == AttachKind::Lsm && bpf_lsm_active() == Some(false) {
        Some(Missing::BpfLsm)
    } else {
        trampoline_refusal(kind, &source)
    };
    match missing {
        Some(missing) => AttachError::Unsupported {
            kind,
            missing,
            source: Some(source),
        },
        None => AttachError::Kernel {
            kind,
            target: target.to_owned(),
            source,
        },
    }
}

/// A refused BPF trampoline: fentry, fexit, fmod_ret and lsm programs that
/// got "not supported", or EPERM although this process may trace (so the
/// kernel, not the privileges, said no).
fn trampoline_refusal(kind: AttachKind, source: &corex_sys::Error) -> Option<Missing> {
    if kind == AttachKind::TpBtf {
        return None;
    }
    let errno = source.errno()?;
    let privileged = Capabilities::current().is_ok_and(|c| c.can_trace());
    (source.is_not_supported() || (errno == Errno::EPERM && privileged))
        .then_some(Missing::BpfTrampoline { kind, errno })
}

/// Whether "bpf" is among the active LSMs (`/sys/kernel/security/lsm`),
/// `None` if that cannot be read.
fn bpf_lsm_active() -> Option<bool> {
    let text = std::fs::read_to_string("/sys/kernel/security/lsm").ok()?;
    Some(text.trim().split(',').any(|l| l == "bpf"))
}
