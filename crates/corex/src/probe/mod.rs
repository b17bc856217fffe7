//! What this kernel supports, found by trying it, not by reading its
//! version: BTF and each BTF kind (a tiny BTF loaded), program types (the
//! smallest valid program of each loaded), map types (each created with
//! minimal valid parameters), attach kinds, the helpers a tracer needs
//! (libbpf's `libbpf_probe_bpf_helper`: the verifier's answer to a call),
//! and libbpf's kernel features (the set the load plan needs). Each probe
//! runs at most once per [`Kernel`]; [`Kernel::running`] is process-wide.
//!
//! Every missing item says what the kernel answered (the errno, or the
//! file that is not there) and what that means.

mod asm;
mod attach;
mod btf;
mod features;
mod maps;
mod programs;
mod report;

use std::sync::OnceLock;

use corex_object::load::{Feature, Features};
use corex_sys::Errno;

use crate::error::Result;
use crate::Kernel;

pub use report::{Availability, Category, Cause, Missing, ProbeItem, ProbeReport};

/// The memoized probes of one [`Kernel`].
#[derive(Debug, Default)]
pub(crate) struct Probes {
    features: OnceLock<Vec<(Feature, Availability)>>,
    report: OnceLock<ProbeReport>,
}

impl Probes {
    /// Each of libbpf's features and its availability, probed once.
    pub(crate) fn feature_results(&self, kernel: &Kernel) -> &[(Feature, Availability)] {
        self.features.get_or_init(|| features::probe_each(kernel))
    }
}

impl Kernel {
    /// libbpf's kernel features (`enum kern_feature_id`), probed as libbpf
    /// probes them: what the load plan decides by (program names, global
    /// data, each BTF kind, mmap-able arrays, perf links, memcg accounting,
    /// the syscall wrapper, ...). Needs CAP_BPF (or root); without it every
    /// feature reads as missing, so check [`crate::check_privileges`] first.
    pub fn features(&self) -> Features {
        features::set_of(self.probes().feature_results(self))
    }

    /// Everything `corex probe` shows: BTF kinds, program types, map types,
    /// attach kinds, helpers and features, each tried on this kernel.
    pub fn probe_report(&self) -> Result<&ProbeReport> {
        crate::check_privileges()?;
        Ok(self
            .probes()
            .report
            .get_or_init(|| report::probe_everything(self)))
    }
}

/// A probe's result from a system call's result: supported on success,
/// else missing with the errno and `cause(errno)`.
fn from_call<T>(
    result: std::result::Result<T, corex_sys::Error>,
    cause: impl FnOnce(Option<Errno>) -> Cause,
) -> Availability {
    match result {
        Ok(_) => Availability::Supported,
        Err(e) => {
            let errno = e.errno();
            Availability::Missing(Missing {
                errno,
                cause: cause(errno),
            })
        }
    }
}

/// The usual reading of a refused creation or load: "not supported" errnos
/// mean the kernel was built without it, EPERM a privilege or policy
/// refusal, anything else (EINVAL, E2BIG) that the kernel does not know it.
fn usual_cause(errno: Option<Errno>) -> Cause {
    match errno {
        Some(Errno::EOPNOTSUPP | Errno::ENOTSUPP) => Cause::NotBuiltIn { config: None },
        Some(Errno::EPERM | Errno::EACCES) => Cause::Refused,
        _ => Cause::Unknown,
    }
}
