//! Everything about the kernel the plan cannot know by itself, in one
//! struct: which features it has (the library probes them), its version,
//! page size and CPUs, and the inputs read from the system on demand
//! (Kconfig text, kallsyms, vmlinux and module BTF). Tests feed synthetic
//! kernels through the same struct.

use std::cell::{Cell, OnceCell};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use corex_btf::Endian;

use super::error::{PlanError, Problem};
use super::target::KernelBtf;

/// A kernel capability libbpf probes before loading (`enum kern_feature_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// Programs and maps may have names.
    ProgName,
    /// Global variables (array maps referenced by `ld_imm64` map values).
    GlobalData,
    /// BTF at all.
    Btf,
    /// BTF FUNC and FUNC_PROTO.
    BtfFunc,
    /// FUNC with global linkage.
    BtfGlobalFunc,
    /// BTF VAR and DATASEC.
    BtfDatasec,
    /// BTF FLOAT.
    BtfFloat,
    /// BTF DECL_TAG.
    BtfDeclTag,
    /// BTF TYPE_TAG.
    BtfTypeTag,
    /// BTF ENUM64 (and signed ENUM through the kind flag).
    BtfEnum64,
    /// mmap()-able array maps (`BPF_F_MMAPABLE`).
    ArrayMmap,
    /// `expected_attach_type` in `BPF_PROG_LOAD`.
    ExpAttachType,
    /// The `bpf_probe_read_kernel` family of helpers.
    ProbeReadKernel,
    /// `BPF_PROG_BIND_MAP`.
    ProgBindMap,
    /// Module BTF objects.
    ModuleBtf,
    /// BPF links for perf events.
    PerfLink,
    /// memcg-based accounting of BPF memory (no `RLIMIT_MEMLOCK` needed).
    MemcgAccount,
    /// `bpf_get_attach_cookie`.
    BpfCookie,
    /// System calls reached through `__<arch>_sys_*` wrappers.
    SyscallWrapper,
}

impl Feature {
    /// Every feature, in libbpf's order.
    pub const ALL: [Feature; 19] = [
        Feature::ProgName,
        Feature::GlobalData,
        Feature::Btf,
        Feature::BtfFunc,
        Feature::BtfGlobalFunc,
        Feature::BtfDatasec,
        Feature::ArrayMmap,
        Feature::ExpAttachType,
        Feature::ProbeReadKernel,
        Feature::ProgBindMap,
        Feature::ModuleBtf,
        Feature::BtfFloat,
        Feature::PerfLink,
        Feature::BtfDeclTag,
        Feature::BtfTypeTag,
        Feature::MemcgAccount,
        Feature::BpfCookie,
        Feature::BtfEnum64,
        Feature::SyscallWrapper,
    ];

    /// The BTF features program BTF is sanitized for (libbpf's
    /// `btf_needs_sanitization`); [`Feature::Btf`] decides whether program
    /// BTF is loaded at all.
    pub const SANITIZED: [Feature; 7] = [
        Feature::BtfFunc,
        Feature::BtfGlobalFunc,
        Feature::BtfDatasec,
        Feature::BtfFloat,
        Feature::BtfDeclTag,
        Feature::BtfTypeTag,
        Feature::BtfEnum64,
    ];

    /// A short lowercase name (`btf_float`, `global_data`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Feature::ProgName => "prog_name",
            Feature::GlobalData => "global_data",
            Feature::Btf => "btf",
            Feature::BtfFunc => "btf_func",
            Feature::BtfGlobalFunc => "btf_global_func",
            Feature::BtfDatasec => "btf_datasec",
            Feature::BtfFloat => "btf_float",
            Feature::BtfDeclTag => "btf_decl_tag",
            Feature::BtfTypeTag => "btf_type_tag",
            Feature::BtfEnum64 => "btf_enum64",
            Feature::ArrayMmap => "array_mmap",
            Feature::ExpAttachType => "exp_attach_type",
            Feature::ProbeReadKernel => "probe_read_kernel",
            Feature::ProgBindMap => "prog_bind_map",
            Feature::ModuleBtf => "module_btf",
            Feature::PerfLink => "perf_link",
            Feature::MemcgAccount => "memcg_account",
            Feature::BpfCookie => "bpf_cookie",
            Feature::SyscallWrapper => "syscall_wrapper",
        }
    }

    /// What the feature is, in libbpf's words.
    pub fn description(self) -> &'static str {
        match self {
            Feature::ProgName => "BPF program name",
            Feature::GlobalData => "global variables",
            Feature::Btf => "minimal BTF",
            Feature::BtfFunc => "BTF functions",
            Feature::BtfGlobalFunc => "BTF global function",
            Feature::BtfDatasec => "BTF data section and variable",
            Feature::BtfFloat => "BTF_KIND_FLOAT support",
            Feature::BtfDeclTag => "BTF_KIND_DECL_TAG support",
            Feature::BtfTypeTag => "BTF_KIND_TYPE_TAG support",
            Feature::BtfEnum64 => "BTF_KIND_ENUM64 support",
            Feature::ArrayMmap => "ARRAY map mmap()",
            Feature::ExpAttachType => "BPF_PROG_LOAD expected_attach_type attribute",
            Feature::ProbeReadKernel => "bpf_probe_read_kernel() helper",
            Feature::ProgBindMap => "BPF_PROG_BIND_MAP support",
            Feature::ModuleBtf => "module BTF support",
            Feature::PerfLink => "BPF perf link support",
            Feature::MemcgAccount => "memcg-based memory accounting",
            Feature::BpfCookie => "BPF cookie support",
            Feature::SyscallWrapper => "Kernel using syscall wrapper",
        }
    }

    /// The feature called `name` (see [`Feature::name`]).
    pub fn from_name(name: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.name() == name)
    }

    fn bit(self) -> u32 {
        1 << Feature::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Feature`]s: those the kernel has.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Features(u32);

impl Features {
    /// Every feature (a recent kernel).
    pub fn all() -> Features {
        Features(Feature::ALL.iter().fold(0, |acc, f| acc | f.bit()))
    }

    /// No feature at all.
    pub fn none() -> Features {
        Features(0)
    }

    /// Whether the kernel has `f`.
    pub fn has(self, f: Feature) -> bool {
        self.0 & f.bit() != 0
    }

    /// The set with `f` added.
    pub fn with(self, f: Feature) -> Features {
        Features(self.0 | f.bit())
    }

    /// The set with `f` removed.
    pub fn without(self, f: Feature) -> Features {
        Features(self.0 & !f.bit())
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(Feature::ALL.iter().filter(|x| self.has(**x)))
            .finish()
    }
}

type Init<'k, T> = Box<dyn FnOnce() -> Result<T, String> + 'k>;

/// An input read from the system only when the plan needs it, at most
/// once (`/proc/kallsyms` is read only for typeless ksyms, vmlinux BTF only
/// for CO-RE, typed ksyms or BTF attach targets).
pub struct Lazy<'k, T> {
    value: OnceCell<Result<T, String>>,
    init: Cell<Option<Init<'k, T>>>,
    used: Cell<bool>,
}

impl<'k, T> Lazy<'k, T> {
    /// An input produced by `init` on first use; an `Err` is the reason it
    /// is unavailable (`cannot read /proc/kallsyms: permission denied`).
    pub fn new(init: impl FnOnce() -> Result<T, String> + 'k) -> Lazy<'k, T> {
        Lazy {
            value: OnceCell::new(),
            init: Cell::new(Some(Box::new(init))),
            used: Cell::new(false),
        }
    }

    /// An input already at hand.
    pub fn ready(value: T) -> Lazy<'k, T> {
        let cell = OnceCell::new();
        let _ = cell.set(Ok(value));
        Lazy {
            value: cell,
            init: Cell::new(None),
            used: Cell::new(false),
        }
    }

    /// An input this kernel does not have, and why.
    pub fn unavailable(why: impl Into<String>) -> Lazy<'k, T> {
        let cell = OnceCell::new();
        let _ = cell.set(Err(why.into()));
        Lazy {
            value: cell,
            init: Cell::new(None),
            used: Cell::new(false),
        }
    }

    /// Whether the plan asked for the value; `false` means it never needed
    /// it (and an input given by [`Lazy::new`] was never produced).
    pub fn was_used(&self) -> bool {
        self.used.get()
    }

    /// The value, produced on first use.
    pub(crate) fn get(&self, input: &'static str) -> Result<&T, PlanError> {
        self.used.set(true);
        self.value
            .get_or_init(|| match self.init.take() {
                Some(init) => init(),
                None => Err("no value was given".to_owned()),
            })
            .as_ref()
            .map_err(|why| {
                PlanError::from(Problem::InputUnavailable {
                    input,
                    why: why.clone(),
                })
            })
    }
}

impl<T> fmt::Debug for Lazy<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.value.get() {
            None => "not read",
            Some(Ok(_)) => "read",
            Some(Err(_)) => "unavailable",
        };
        write!(f, "Lazy({state})")
    }
}

/// Kernel symbol addresses (`/proc/kallsyms`), for typeless `__ksym`
/// externs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kallsyms {
    by_name: HashMap<String, Vec<u64>>,
}

impl Kallsyms {
    /// Reads the text of `/proc/kallsyms` as libbpf does: each line is an
    /// address in hex, a type letter and a name (anything after, such as
    /// `[module]`, is ignored). A line of another form is an error naming it.
    pub fn parse(text: &str) -> Result<Kallsyms, PlanError> {
        let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let addr = words.next().and_then(|a| u64::from_str_radix(a, 16).ok());
            let kind = words.next().filter(|k| k.chars().count() == 1);
            let (Some(addr), Some(_), Some(name)) = (addr, kind, words.next()) else {
                return Err(Problem::KallsymsLine {
                    line: index + 1,
                    text: line.to_owned(),
                }
                .into());
            };
            let addrs = by_name.entry(name.to_owned()).or_default();
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
        Ok(Kallsyms { by_name })
    }

    /// A table from `(name, address)` pairs (for tests and callers that
    /// already hold the symbols).
    pub fn from_symbols<'a>(symbols: impl IntoIterator<Item = (&'a str, u64)>) -> Kallsyms {
        let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
        for (name, addr) in symbols {
            let addrs = by_name.entry(name.to_owned()).or_default();
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
        Kallsyms { by_name }
    }

    /// The distinct addresses of `name`, in file order.
    pub fn addresses(&self, name: &str) -> &[u64] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }
}

/// What the plan knows about the kernel it plans for.
#[non_exhaustive]
pub struct KernelInputs<'k> {
    /// Features the kernel has (the library probes them).
    pub features: Features,
    /// The kernel's byte order (the object's must match).
    pub endian: Endian,
    /// Page size in bytes (ring buffer sizes are multiples of it).
    pub page_size: u32,
    /// Number of possible CPUs (perf event arrays without a size get one
    /// slot per CPU).
    pub possible_cpus: u32,
    /// `LINUX_VERSION_CODE` of the running kernel (see
    /// [`kernel_version_code`](super::kernel_version_code)); programs get it
    /// as `kern_version` unless the object has a `version` section.
    pub kernel_version: u32,
    /// The text of `/boot/config-$(uname -r)` or `/proc/config.gz`
    /// (decompressed), for `CONFIG_*` externs.
    pub kconfig: Lazy<'k, String>,
    /// `/proc/kallsyms`, for typeless `__ksym` externs.
    pub kallsyms: Lazy<'k, Arc<Kallsyms>>,
    /// vmlinux BTF, for CO-RE, typed ksyms, kfuncs and BTF attach targets.
    pub vmlinux: Lazy<'k, Arc<KernelBtf>>,
    /// Module BTFs (split on vmlinux), searched when vmlinux lacks a name.
    pub modules: Lazy<'k, Vec<Arc<KernelBtf>>>,
    /// A BTF that replaces vmlinux for CO-RE only (`--btf`); module BTFs
    /// are then not searched for CO-RE, as libbpf's `btf_custom_path`.
    pub core_btf: Option<Arc<KernelBtf>>,
}

impl<'k> KernelInputs<'k> {
    /// A kernel with `features` and version code `kernel_version`, the
    /// native byte order, 4096-byte pages, one CPU and no system inputs;
    /// set the fields that matter.
    pub fn new(features: Features, kernel_version: u32) -> KernelInputs<'k> {
        KernelInputs {
            features,
            endian: Endian::native(),
            page_size: 4096,
            possible_cpus: 1,
            kernel_version,
            kconfig: Lazy::unavailable("no Kconfig was given"),
            kallsyms: Lazy::unavailable("no kallsyms were given"),
            vmlinux: Lazy::unavailable("no vmlinux BTF was given"),
            modules: Lazy::ready(Vec::new()),
            core_btf: None,
        }
    }

    /// Whether the kernel has `f`.
    pub(crate) fn has(&self, f: Feature) -> bool {
        self.features.has(f)
    }
}

impl fmt::Debug for KernelInputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KernelInputs")
            .field("features", &self.features)
            .field("endian", &self.endian)
            .field("page_size", &self.page_size)
            .field("possible_cpus", &self.possible_cpus)
            .field("kernel_version", &self.kernel_version)
            .field("kconfig", &self.kconfig)
            .field("kallsyms", &self.kallsyms)
            .field("vmlinux", &self.vmlinux)
            .field("modules", &self.modules)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_sets() {
        let f = Features::all().without(Feature::BtfFloat);
        assert!(!f.has(Feature::BtfFloat) && f.has(Feature::BtfEnum64));
        assert!(Features::none().with(Feature::Btf).has(Feature::Btf));
        assert_eq!(
            Feature::from_name("btf_decl_tag"),
            Some(Feature::BtfDeclTag)
        );
        assert_eq!(
            format!("{:?}", Features::none().with(Feature::Btf)),
            "{Btf}"
        );
    }

    #[test]
    fn lazy_inputs_run_once_and_only_when_asked() {
        let calls = Cell::new(0);
        let l = Lazy::new(|| {
            calls.set(calls.get() + 1);
            Ok(5)
        });
        assert!(!l.was_used());
        assert_eq!(*l.get("x").unwrap(), 5);
        assert_eq!(*l.get("x").unwrap(), 5);
        assert_eq!(calls.get(), 1);
        assert!(l.was_used());
        let u: Lazy<'_, u32> = Lazy::unavailable("no permission");
        let e = u.get("kallsyms").unwrap_err();
        assert_eq!(e.to_string(), "kallsyms is not available: no permission");
    }

    #[test]
    fn kallsyms_lines() {
        let k = Kallsyms::parse(
            "ffffffff81000000 T _text\nffffffffc0001000 t foo\t[mod]\nffffffffc0002000 t foo\n",
        )
        .unwrap();
        assert_eq!(k.addresses("_text"), [0xffff_ffff_8100_0000]);
        assert_eq!(k.addresses("foo").len(), 2);
        let e = Kallsyms::parse("ffffffff81000000 T _text\nnot a line\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/proc/kallsyms line 2 is not 'ADDRESS TYPE NAME': 'not a line'"
        );
    }
}
