//! The kernel a loader talks to: its release and version, and the inputs a
//! load may need from the system, each read at most once and only when
//! asked for: vmlinux BTF (parsed and name-indexed once), module BTFs with
//! their kernel BTF object ids and fds, the kernel configuration, kallsyms,
//! the possible CPUs, and the feature probes.

mod files;
mod modules;

use std::path::PathBuf;
use std::sync::{Arc, Once, OnceLock};

use corex_object::load::{kernel_version_code, Feature, Features, Kallsyms, KernelBtf};

use corex_sys::Limit;

use crate::error::{Error, Result};
use crate::probe::Probes;

pub(crate) use files::read_btf;
pub use modules::ModuleBtf;

/// The running kernel, as a loader sees it. Everything it reads from the
/// system is read on first use and kept, so a long-lived program that loads
/// many objects parses and indexes the kernel's BTF once.
///
/// [`Kernel::running`] is the process-wide instance (its feature probes run
/// once per process); [`Kernel::new`] makes a fresh one that reads and
/// probes everything again.
///
/// ```no_run
/// let kernel = corex::Kernel::running()?;
/// println!("{} (version code {:#x})", kernel.release(), kernel.version_code());
/// let vmlinux = kernel.vmlinux_btf()?;
/// println!("{} types", vmlinux.btf().type_count());
/// # Ok::<(), corex::Error>(())
/// ```
pub struct Kernel {
    release: String,
    machine: String,
    version_code: u32,
    vmlinux: OnceLock<Result<Arc<KernelBtf>, String>>,
    modules: OnceLock<Result<Arc<[ModuleBtf]>, String>>,
    kconfig: OnceLock<Result<Arc<str>, String>>,
    kallsyms: OnceLock<Result<Arc<Kallsyms>, String>>,
    possible_cpus: OnceLock<Result<u32, String>>,
    probes: Probes,
    assumed: Option<Features>,
    pretended_missing: Vec<Feature>,
}

impl Kernel {
    /// The running kernel, shared by the whole process.
    pub fn running() -> Result<&'static Kernel> {
        static RUNNING: OnceLock<Kernel> = OnceLock::new();
        if let Some(k) = RUNNING.get() {
            return Ok(k);
        }
        let kernel = Kernel::new()?;
        Ok(RUNNING.get_or_init(|| kernel))
    }

    /// A fresh handle on the running kernel: nothing read or probed yet.
    pub fn new() -> Result<Kernel> {
        let uname = corex_sys::uname().map_err(|source| Error::System {
            what: "uname",
            source: Box::new(source),
        })?;
        let version_code = kernel_version_code(&uname.release).ok_or_else(|| Error::Kernel {
            input: "the kernel release",
            why: format!(
                "'{}' does not start with three numbers",
                corex_btf::printable(&uname.release)
            ),
        })?;
        Ok(Kernel {
            release: uname.release,
            machine: uname.machine,
            version_code,
            vmlinux: OnceLock::new(),
            modules: OnceLock::new(),
            kconfig: OnceLock::new(),
            kallsyms: OnceLock::new(),
            possible_cpus: OnceLock::new(),
            probes: Probes::default(),
            assumed: None,
            pretended_missing: Vec::new(),
        })
    }

    /// The kernel release (`uname -r`).
    pub fn release(&self) -> &str {
        &self.release
    }

    /// The machine (`uname -m`: `x86_64`, `aarch64`...).
    pub fn machine(&self) -> &str {
        &self.machine
    }

    /// `LINUX_VERSION_CODE` of the release, as libbpf computes it.
    pub fn version_code(&self) -> u32 {
        self.version_code
    }

    /// The kernel's own BTF: `/sys/kernel/btf/vmlinux`, else the vmlinux
    /// images libbpf also looks for (`/boot/vmlinux-RELEASE`, ...). Parsed
    /// once; its indexes (per kind for exact lookups, all names for CO-RE)
    /// are built on the first lookup that needs each.
    pub fn vmlinux_btf(&self) -> Result<&Arc<KernelBtf>> {
        cached(&self.vmlinux, "vmlinux BTF", || {
            files::vmlinux_btf(&self.release).map(Arc::new)
        })
    }

    /// Every loaded module's BTF (split on vmlinux), in the kernel's id
    /// order, each with its kernel BTF object id and an fd for it (what
    /// `attach_btf_obj_fd` and `fd_array` take). Empty on kernels without
    /// module BTF.
    pub fn module_btfs(&self) -> Result<&[ModuleBtf]> {
        cached(&self.modules, "module BTF", || {
            let vmlinux = self.vmlinux_btf().map_err(|e| e.to_string())?;
            modules::load(vmlinux.shared_btf()).map(Arc::from)
        })
        .map(|m| &**m)
    }

    /// The kernel configuration text: `/boot/config-RELEASE`, else
    /// `/proc/config.gz`, as libbpf reads it.
    pub fn kconfig(&self) -> Result<&str> {
        cached(&self.kconfig, "the kernel configuration", || {
            files::kconfig(&self.release).map(Arc::from)
        })
        .map(|k| &**k)
    }

    /// `/proc/kallsyms`, parsed.
    pub fn kallsyms(&self) -> Result<&Arc<Kallsyms>> {
        cached(&self.kallsyms, "/proc/kallsyms", || {
            files::kallsyms().map(Arc::new)
        })
    }

    /// The number of per-CPU slots: the highest possible CPU + 1.
    pub fn possible_cpus(&self) -> Result<u32> {
        cached(&self.possible_cpus, "the possible CPUs", || {
            let n = corex_sys::possible_cpu_count().map_err(|e| e.to_string())?;
            u32::try_from(n).map_err(|_| format!("{n} CPUs"))
        })
        .copied()
    }

    /// This handle, treating `feature` as missing although the kernel may
    /// have it: loads then do what they do on a kernel without it (program
    /// BTF sanitized, maps without mmap, ...). For testing fallbacks and
    /// emulating older kernels on a new one; `corex probe` still reports
    /// what the kernel really has.
    pub fn pretend_missing(mut self, feature: Feature) -> Kernel {
        self.pretended_missing.push(feature);
        self
    }

    /// This handle, trusting `features` instead of probing the kernel (for
    /// planning loads without touching the kernel, and for tests).
    pub fn assume_features(mut self, features: Features) -> Kernel {
        self.assumed = Some(features);
        self
    }

    /// libbpf's `bump_rlimit_memlock`: on kernels that charge BPF memory to
    /// `RLIMIT_MEMLOCK` (no memcg accounting, before 5.11), raise it to
    /// infinity, once per process; without CAP_SYS_RESOURCE, at least the
    /// soft limit to the hard one. Done before any other probe or load: on
    /// such kernels, probes that create maps and programs fail with EPERM
    /// once the small default limit is spent. A failure is not fatal (map
    /// creation then says ENOMEM or EPERM, with the meaning).
    pub(crate) fn raise_memlock(&self) {
        static RAISED: Once = Once::new();
        let memcg = match self.assumed {
            Some(assumed) => assumed.has(Feature::MemcgAccount),
            None => self
                .probes()
                .feature(self, Feature::MemcgAccount)
                .is_supported(),
        };
        if memcg {
            return;
        }
        RAISED.call_once(|| {
            if corex_sys::set_memlock_limit(Limit::Infinity, Limit::Infinity).is_err() {
                if let Ok((_, hard)) = corex_sys::memlock_limit() {
                    let _ = corex_sys::set_memlock_limit(hard, hard);
                }
            }
        });
    }

    /// The features a load of `object` decides by: probed (or assumed),
    /// without those pretended missing.
    pub(crate) fn load_features(&self, object: &corex_object::Object) -> Features {
        let base = self
            .assumed
            .unwrap_or_else(|| self.probes().for_load(self, object));
        self.pretended_missing
            .iter()
            .fold(base, |set, f| set.without(*f))
    }

    /// The feature probes of this kernel (each run at most once).
    pub(crate) fn probes(&self) -> &Probes {
        &self.probes
    }
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("release", &self.release)
            .field("machine", &self.machine)
            .field("version_code", &self.version_code)
            .field("vmlinux_read", &self.vmlinux.get().is_some())
            .finish_non_exhaustive()
    }
}

/// The value in `cell`, made by `init` on first use; an error says which
/// input and why (and says it again on every later call).
fn cached<'a, T>(
    cell: &'a OnceLock<Result<T, String>>,
    input: &'static str,
    init: impl FnOnce() -> Result<T, String>,
) -> Result<&'a T> {
    cell.get_or_init(init)
        .as_ref()
        .map_err(|why| Error::Kernel {
            input,
            why: why.clone(),
        })
}

/// A file the kernel inputs come from, for messages.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    corex_btf::printable(path.as_os_str().as_encoded_bytes()).to_string()
}

/// The path of `/boot/config-RELEASE` and friends for `release`.
pub(crate) fn release_path(template: &str, release: &str) -> PathBuf {
    PathBuf::from(template.replace("{}", release))
}
