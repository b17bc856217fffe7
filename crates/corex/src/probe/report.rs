//! The result of probing: one item per thing tried, its category, and
//! whether the kernel has it or what it answered.

use std::fmt;

use corex_object::load::Feature;
use corex_sys::Errno;
use corex_uapi::ProgType;

use super::{attach, btf, maps, programs};
use crate::Kernel;

/// Everything probed on one kernel.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProbeReport {
    /// The kernel release (`uname -r`).
    pub release: String,
    /// The machine (`uname -m`).
    pub machine: String,
    /// Its `LINUX_VERSION_CODE`.
    pub version_code: u32,
    /// Every item, grouped by category in [`Category`] order.
    pub items: Vec<ProbeItem>,
}

/// What an item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// BTF and its kinds.
    Btf,
    /// A program type.
    ProgramType,
    /// A map type.
    MapType,
    /// A way of attaching programs.
    Attach,
    /// A helper, for programs of this type.
    Helper(ProgType),
    /// Another of libbpf's kernel features.
    Feature,
}

impl Category {
    /// How the category is named in text and JSON (`btf`, `program_type`,
    /// `map_type`, `attach`, `helper`, `feature`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Btf => "btf",
            Category::ProgramType => "program_type",
            Category::MapType => "map_type",
            Category::Attach => "attach",
            Category::Helper(_) => "helper",
            Category::Feature => "feature",
        }
    }
}

/// One thing probed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProbeItem {
    /// Its category.
    pub category: Category,
    /// Its name (`btf_float`, `kprobe`, `ringbuf`, `bpf_probe_read_kernel`...).
    pub name: String,
    /// What the kernel said.
    pub availability: Availability,
}

/// Whether the kernel has something.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Availability {
    /// It does: the attempt worked (or failed the way only a kernel that
    /// has it fails).
    Supported,
    /// It does not, and why.
    Missing(Missing),
}

impl Availability {
    /// Whether it is supported.
    pub fn is_supported(&self) -> bool {
        matches!(self, Availability::Supported)
    }
}

/// Why something is missing: the kernel's errno (none when no call was
/// made, such as a PMU directory that does not exist) and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The errno of the attempt.
    pub errno: Option<Errno>,
    /// What it means.
    pub cause: Cause,
}

/// What a refusal means.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// The kernel does not know it (EINVAL, E2BIG: older than the feature,
    /// or built without it).
    Unknown,
    /// The kernel was built without it (EOPNOTSUPP).
    NotBuiltIn {
        /// The option or facility, when known.
        config: Option<&'static str>,
    },
    /// The kernel refused it although the caller is privileged (EPERM: a
    /// security policy such as lockdown).
    Refused,
    /// The kernel refused BPF trampolines (fentry, fexit, lsm, freplace).
    TrampolinesRefused {
        /// The kind of program the probe loaded (`fentry`, `fmod_ret`,
        /// `freplace`).
        tried: &'static str,
    },
    /// The kernel rejected a BTF of this kind.
    BtfKindRefused,
    /// No perf PMU of this name.
    NoPmu {
        /// `kprobe` or `uprobe`.
        pmu: &'static str,
    },
    /// tracefs is not mounted.
    NoTracefs,
    /// The verifier does not know the helper (its words).
    HelperUnknown {
        /// The verifier's line.
        verifier: String,
    },
    /// The verifier knows the helper but not for this program type.
    HelperNotAllowed {
        /// The verifier's line.
        verifier: String,
    },
    /// Something this needs is missing.
    Requires {
        /// What.
        what: &'static str,
    },
    /// Nothing to try it on.
    NoTarget {
        /// What is missing.
        what: String,
    },
    /// The kernel answered in a way no kernel should.
    Unexpected {
        /// What happened.
        what: String,
    },
}

impl Cause {
    /// A stable name for the cause (`unknown`, `not_built_in`, `refused`,
    /// `trampolines_refused`, `btf_kind_refused`, `no_pmu`, `no_tracefs`,
    /// `helper_unknown`, `helper_not_allowed`, `requires`, `no_target`,
    /// `unexpected`), for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            Cause::Unknown => "unknown",
            Cause::NotBuiltIn { .. } => "not_built_in",
            Cause::Refused => "refused",
            Cause::TrampolinesRefused { .. } => "trampolines_refused",
            Cause::BtfKindRefused => "btf_kind_refused",
            Cause::NoPmu { .. } => "no_pmu",
            Cause::NoTracefs => "no_tracefs",
            Cause::HelperUnknown { .. } => "helper_unknown",
            Cause::HelperNotAllowed { .. } => "helper_not_allowed",
            Cause::Requires { .. } => "requires",
            Cause::NoTarget { .. } => "no_target",
            Cause::Unexpected { .. } => "unexpected",
        }
    }

    /// Whether the probe could not decide (nothing to try it on, or an
    /// answer no kernel should give) rather than found it missing.
    pub fn is_undecided(&self) -> bool {
        matches!(self, Cause::NoTarget { .. } | Cause::Unexpected { .. })
    }
}

impl ProbeItem {
    /// Why it is missing, in words, with the errno seen (`None` when it is
    /// supported).
    pub fn reason(&self) -> Option<String> {
        match &self.availability {
            Availability::Supported => None,
            Availability::Missing(m) => Some(Reason(&self.name, m).to_string()),
        }
    }
}

impl fmt::Display for ProbeItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.availability {
            Availability::Supported => f.write_str("yes"),
            Availability::Missing(m) if m.cause.is_undecided() => {
                write!(f, "unknown: {}", Reason(&self.name, m))
            }
            Availability::Missing(m) => write!(f, "no: {}", Reason(&self.name, m)),
        }
    }
}

/// The words for why item `.0` is missing.
struct Reason<'a>(&'a str, &'a Missing);

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Reason(name, m) = self;
        let errno = m.errno.map(|e| e.to_string());
        let errno = errno.as_deref().unwrap_or("no call made");
        match &m.cause {
            Cause::TrampolinesRefused { tried } => {
                let errno = m.errno.and_then(Errno::name).unwrap_or("refused");
                if name == tried {
                    write!(
                        f,
                        "{name} needs BPF trampolines, which this kernel refused: {errno}"
                    )
                } else {
                    write!(
                        f,
                        "{name} is probed with a {tried} program, which needs BPF trampolines, \
                         which this kernel refused: {errno}"
                    )
                }
            }
            Cause::Unknown => write!(
                f,
                "this kernel does not know it (older than the feature, or built without it): \
                 {errno}"
            ),
            Cause::NotBuiltIn { config: Some(c) } => {
                write!(f, "this kernel was built without {c}: {errno}")
            }
            Cause::NotBuiltIn { config: None } => {
                write!(f, "this kernel was built without it: {errno}")
            }
            Cause::Refused => write!(
                f,
                "the kernel refused it although corex is privileged (a security policy such as \
                 lockdown): {errno}"
            ),
            Cause::BtfKindRefused => write!(
                f,
                "the kernel rejected BTF with this kind (older than the kind; corex rewrites it \
                 in program BTF as libbpf does): {errno}"
            ),
            Cause::NoPmu { pmu } => write!(
                f,
                "there is no {pmu} perf PMU (/sys/bus/event_source/devices/{pmu} is missing: the \
                 kernel was built without {pmu} events)"
            ),
            Cause::NoTracefs => f.write_str(
                "tracefs is not mounted at /sys/kernel/tracing or /sys/kernel/debug/tracing",
            ),
            Cause::HelperUnknown { verifier } => write!(
                f,
                "the verifier does not know this helper (\"{}\"): {errno}",
                corex_btf::printable(verifier)
            ),
            Cause::HelperNotAllowed { verifier } => write!(
                f,
                "the verifier does not allow it in these programs (\"{}\"): {errno}",
                corex_btf::printable(verifier)
            ),
            Cause::Requires { what } => {
                write!(f, "it needs {what}, which this kernel refused: {errno}")
            }
            Cause::NoTarget { what } => write!(f, "nothing to try it on: {what}"),
            Cause::Unexpected { what } => f.write_str(what),
        }
    }
}

fn item(category: Category, name: impl Into<String>, availability: Availability) -> ProbeItem {
    ProbeItem {
        category,
        name: name.into(),
        availability,
    }
}

/// Probes everything `corex probe` lists.
pub(super) fn probe_everything(kernel: &Kernel) -> ProbeReport {
    let version = kernel.version_code();
    let libbpf = kernel.probes().feature_results(kernel);
    let of = |f: Feature| {
        libbpf
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, a)| a.clone())
            .unwrap_or(Availability::Supported)
    };
    let mut items: Vec<ProbeItem> = btf::btf_features()
        .map(|f| item(Category::Btf, f.name(), of(f)))
        .collect();
    items.extend(
        programs::probe_types(version)
            .into_iter()
            .map(|(t, a)| item(Category::ProgramType, t.to_string(), a)),
    );
    items.extend(
        maps::probe_types()
            .into_iter()
            .map(|(t, a)| item(Category::MapType, t.to_string(), a)),
    );
    for kind in attach::KINDS {
        let availability = match kind {
            "perf_link" => of(Feature::PerfLink),
            "bpf_cookie" => of(Feature::BpfCookie),
            _ => attach::probe(kernel, kind),
        };
        items.push(item(Category::Attach, kind, availability));
    }
    for prog_type in programs::TRACER_PROGRAM_TYPES {
        for helper in programs::TRACER_HELPERS {
            let a = programs::probe_helper(prog_type, helper, version);
            items.push(item(Category::Helper(prog_type), helper.to_string(), a));
        }
    }
    let others = libbpf.iter().filter(|(f, _)| {
        !btf::btf_features().any(|b| b == *f)
            && !matches!(f, Feature::PerfLink | Feature::BpfCookie)
    });
    items.extend(others.map(|(f, a)| item(Category::Feature, f.name(), a.clone())));
    ProbeReport {
        release: kernel.release().to_owned(),
        machine: kernel.machine().to_owned(),
        version_code: version,
        items,
    }
}
