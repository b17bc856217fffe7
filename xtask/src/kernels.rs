//! The kernels of the matrix: the one table to edit to add a kernel.

use serde::Serialize;

/// A Debian archive suite, read through a private apt configuration of its own
/// (under `target/kernels/apt/CODENAME`): the machine's sources are never touched.
#[derive(Debug)]
pub struct Suite {
    /// Debian codename, also the name of the private apt directory.
    pub codename: &'static str,
    /// `sources.list` lines of the private configuration.
    pub sources: &'static [&'static str],
}

/// Debian 11.
pub const BULLSEYE: Suite = Suite {
    codename: "bullseye",
    sources: &[
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main",
    ],
};

/// Debian 12, with its security and updates suites (the newest point releases of its kernels).
pub const BOOKWORM: Suite = Suite {
    codename: "bookworm",
    sources: &[
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main",
    ],
};

/// Debian 12's backports, for qemu only: machines of this project come with `qemu-utils`
/// from bookworm-backports, which Debian 12's own `qemu-system-x86` would remove.
pub const BOOKWORM_BACKPORTS: Suite = Suite {
    codename: "bookworm-backports",
    sources: &[
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main",
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main",
    ],
};

/// A kernel capability some variants depend on. A variant that needs one reports
/// `unsupported` on a kernel without it, and FAIL when the table and the kernel disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Feature {
    /// `BTF_KIND_ENUM64` (Linux 6.0): pahole emits 64-bit enums as ENUM64 only for
    /// kernels that know the kind, so the kernel's BTF has ENUM64 types exactly then.
    BtfEnum64,
    /// kprobes (`CONFIG_KPROBES`, the kprobe perf PMU).
    Kprobes,
    /// Multi-kprobe links (Linux 5.18, needs `CONFIG_FPROBE`).
    KprobeMulti,
    /// BPF trampolines: fentry/fexit programs load and attach.
    Trampolines,
    /// The kfuncs `bpf_task_acquire`/`bpf_task_release` (Linux 6.2).
    TaskAcquireKfunc,
    /// Per-CPU kernel variables in the kernel's BTF with an address the kernel finds
    /// (typed `__ksym` such as `process_counts`: pahole 1.18+, `CONFIG_KALLSYMS_ALL`).
    TypedPercpuKsym,
    /// Module BTF (Linux 5.11, `CONFIG_DEBUG_INFO_BTF_MODULES`): the modules of
    /// [`MODULES`] are fetched from the kernel's package, inserted at boot and show
    /// their split BTF under `/sys/kernel/btf/`.
    ModuleBtf,
}

impl Feature {
    /// The name people read in reasons.
    pub fn name(self) -> &'static str {
        match self {
            Feature::BtfEnum64 => "BTF_KIND_ENUM64",
            Feature::Kprobes => "kprobes",
            Feature::KprobeMulti => "kprobe_multi",
            Feature::Trampolines => "BPF trampolines (fentry)",
            Feature::TaskAcquireKfunc => "kfunc bpf_task_acquire",
            Feature::TypedPercpuKsym => "typed per-CPU __ksym",
            Feature::ModuleBtf => "module BTF of the inserted dummy and veth modules",
        }
    }
}

/// One Debian kernel of the matrix.
#[derive(Debug)]
pub struct Kernel {
    /// Name in the matrix, the cache and `--kernel`.
    pub name: &'static str,
    /// Where its package comes from.
    pub suite: &'static Suite,
    /// Regular expression over package names; the highest-versioned match is taken.
    pub package: &'static str,
    /// What the kernel supports; variants needing anything else must report `unsupported`.
    pub features: &'static [Feature],
}

/// The kernels booted under qemu, oldest first. Adding one is adding a line.
pub const KERNELS: &[Kernel] = &[
    Kernel {
        name: "debian-5.10",
        suite: &BULLSEYE,
        package: r"^linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned$",
        features: &[Feature::Kprobes, Feature::Trampolines],
    },
    Kernel {
        name: "debian-6.1",
        suite: &BOOKWORM,
        package: r"^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$",
        features: &[
            Feature::BtfEnum64,
            Feature::Kprobes,
            Feature::Trampolines,
            Feature::TypedPercpuKsym,
            Feature::ModuleBtf,
        ],
    },
    Kernel {
        name: "debian-6.12",
        suite: &BOOKWORM,
        package: r"^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$",
        features: &[
            Feature::BtfEnum64,
            Feature::Kprobes,
            Feature::KprobeMulti,
            Feature::Trampolines,
            Feature::TaskAcquireKfunc,
            Feature::TypedPercpuKsym,
            Feature::ModuleBtf,
        ],
    },
];

/// The modules a kernel with [`Feature::ModuleBtf`] gets, by their path under
/// `lib/modules/RELEASE/kernel/` in its package (without `.ko`): small, without
/// dependencies, with BTF. `bpf/loader-tests/module_btf.bpf.c` attaches to dummy's
/// `dummy_get_stats64` and relocates against veth's `struct veth_rq`.
pub const MODULES: &[&str] = &["drivers/net/dummy", "drivers/net/veth"];

/// The name of the running kernel's column (tested natively, not in qemu).
pub const NATIVE: &str = "native";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_names_are_unique_and_patterns_compile() {
        let mut names: Vec<&str> = KERNELS.iter().map(|k| k.name).collect();
        names.push(NATIVE);
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate kernel name");
        for k in KERNELS {
            regex::Regex::new(k.package).unwrap();
            assert!(!k.name.contains(char::is_whitespace));
        }
    }
}
