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
use corex_object::ExternKind;
use corex_sys::Errno;

use crate::error::Result;
use crate::Kernel;

pub use report::{Availability, Category, Cause, Missing, ProbeItem, ProbeReport};

/// The memoized probes of one [`Kernel`]: each of libbpf's features
/// probed at most once, when first asked for.
#[derive(Debug, Default)]
pub(crate) struct Probes {
    features: [OnceLock<Availability>; Feature::ALL.len()],
    report: OnceLock<ProbeReport>,
}

/// The features the load plan consults for every object besides the BTF
/// kinds (checked against `corex_object::load`'s use of `Feature`):
/// probed before each first load.
/// `BpfCookie` and `SyscallWrapper` are consulted only for objects that
/// read `LINUX_HAS_BPF_COOKIE` and `LINUX_HAS_SYSCALL_WRAPPER`;
/// `ModuleBtf` only for objects that look kernel types up by name (BTF
/// attach targets, ksyms, kfuncs: the plan searches modules only where the
/// kernel has module BTF, as libbpf's `load_module_btfs` does); `PerfLink`
/// matters to attaching, not to the plan. Like libbpf, a load probes only
/// what it consults.
const LOAD_FEATURES: [Feature; 7] = [
    Feature::ProgName,
    Feature::GlobalData,
    Feature::ArrayMmap,
    Feature::ExpAttachType,
    Feature::ProbeReadKernel,
    Feature::ProgBindMap,
    Feature::MemcgAccount,
];

/// The `.kconfig` extern whose value a feature gives.
const EXTERN_FEATURES: [(&str, Feature); 2] = [
    ("LINUX_HAS_BPF_COOKIE", Feature::BpfCookie),
    ("LINUX_HAS_SYSCALL_WRAPPER", Feature::SyscallWrapper),
];

impl Probes {
    /// Whether the kernel has `f`, probed once.
    pub(crate) fn feature(&self, kernel: &Kernel, f: Feature) -> &Availability {
        let slot = Feature::ALL.iter().position(|x| *x == f).unwrap_or(0);
        self.features[slot].get_or_init(|| features::probe(kernel, f))
    }

    /// Each of libbpf's features and its availability.
    pub(crate) fn feature_results(&self, kernel: &Kernel) -> Vec<(Feature, Availability)> {
        Feature::ALL
            .iter()
            .map(|&f| (f, self.feature(kernel, f).clone()))
            .collect()
    }

    /// The features a load of `object` consults, probed; the others are
    /// left out of the set.
    pub(crate) fn for_load(&self, kernel: &Kernel, object: &corex_object::Object) -> Features {
        let reads = |name: &str| object.externs.iter().any(|e| e.name == name);
        let looks_up_kernel_types = object
            .programs
            .iter()
            .any(|p| p.attach.as_ref().is_some_and(|a| a.attach_btf))
            || object
                .externs
                .iter()
                .any(|e| matches!(e.kind, ExternKind::KsymVar | ExternKind::KsymFunc));
        let btf_kinds =
            btf::btf_features().filter(|f| *f != Feature::ModuleBtf || looks_up_kernel_types);
        let wanted = LOAD_FEATURES.into_iter().chain(btf_kinds).chain(
            EXTERN_FEATURES
                .iter()
                .filter(|(name, _)| reads(name))
                .map(|(_, f)| *f),
        );
        wanted
            .filter(|f| self.feature(kernel, *f).is_supported())
            .fold(Features::none(), Features::with)
    }
}

impl Kernel {
    /// libbpf's kernel features (`enum kern_feature_id`), probed as libbpf
    /// probes them: what the load plan decides by (program names, global
    /// data, each BTF kind, mmap-able arrays, perf links, memcg accounting,
    /// the syscall wrapper, ...). Needs CAP_BPF (or root); without it every
    /// feature reads as missing, so check [`crate::check_privileges`] first.
    pub fn features(&self) -> Features {
        self.raise_memlock();
        Feature::ALL
            .into_iter()
            .filter(|f| self.probes().feature(self, *f).is_supported())
            .fold(Features::none(), Features::with)
    }

    /// Everything `corex probe` shows: BTF kinds, program types, map types,
    /// attach kinds, helpers and features, each tried on this kernel.
    pub fn probe_report(&self) -> Result<&ProbeReport> {
        crate::check_privileges()?;
        self.raise_memlock();
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

/// Missing because something it needs (`what`) was refused with `e`.
fn requires(what: &'static str, e: &corex_sys::Error) -> Availability {
    Availability::Missing(Missing {
        errno: e.errno(),
        cause: Cause::Requires { what },
    })
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
