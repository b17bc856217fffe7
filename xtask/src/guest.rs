//! The guest: the initramfs (busybox, static corex, the driver, its plan and the
//! fixtures) and the qemu boot that runs it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::cpio::Cpio;
use crate::process::{run_with_deadline, Captured};
use crate::programs::Programs;
use crate::variants::{self, Paths, Variant};

/// The guest's init script.
pub const INIT: &str = include_str!("../guest/init.sh");
/// The driver script (also run natively).
pub const DRIVER: &str = include_str!("../guest/driver.sh");

/// Where the guest's modules are; `/init` inserts every `*.ko` there before the driver
/// runs.
const GUEST_MODULES: &str = "/corex/modules";

/// Where the guest finds things.
pub fn guest_paths() -> Paths {
    Paths {
        fixtures: PathBuf::from("/corex/fixtures"),
        kernel_btf: PathBuf::from("/corex/vmlinux.btf"),
        modules: Some(PathBuf::from(GUEST_MODULES)),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// The kernel's own files the guest gets.
pub struct GuestFiles<'a> {
    /// Its BTF, at `/corex/vmlinux.btf` (what `--btf` gets in the no-btf scenario).
    pub kernel_btf: &'a Path,
    /// Its package's `config-RELEASE`, at `/boot/config-RELEASE`, where corex (and
    /// libbpf) look for the configuration `.kconfig` externs read.
    pub kernel_config: &'a Path,
    /// Modules of its package (`NAME.ko`), under `/corex/modules/`, inserted at boot.
    pub modules: &'a [PathBuf],
}

/// Writes the gzip-compressed initramfs for one kernel to `out`.
pub fn initramfs(
    programs: &Programs,
    repo: &Path,
    rows: &[Variant],
    files: &GuestFiles,
    out: &Path,
) -> Result<()> {
    let paths = guest_paths();
    let mut cpio = Cpio::new();
    for dir in ["proc", "sys", "tmp", "dev"] {
        cpio.dir(dir);
    }
    cpio.char_device("dev/console", 5, 1);
    cpio.file("bin/busybox", 0o755, &read(&programs.busybox)?);
    for applet in &programs.applets {
        cpio.symlink(&format!("bin/{applet}"), "busybox");
    }
    cpio.file("bin/corex", 0o755, &read(&programs.corex)?);
    cpio.file("init", 0o755, INIT.as_bytes());
    cpio.file("corex/driver.sh", 0o755, DRIVER.as_bytes());
    cpio.file("corex/plan", 0o644, variants::plan(rows, &paths).as_bytes());
    cpio.file(
        &strip_root(&paths.kernel_btf),
        0o644,
        &read(files.kernel_btf)?,
    );
    let config_name = files
        .kernel_config
        .file_name()
        .with_context(|| format!("{}: not a file", files.kernel_config.display()))?;
    cpio.file(
        &format!("boot/{}", config_name.to_string_lossy()),
        0o644,
        &read(files.kernel_config)?,
    );
    for module in files.modules {
        let name = module
            .file_name()
            .with_context(|| format!("{}: not a file", module.display()))?;
        cpio.file(
            &strip_root(&Path::new(GUEST_MODULES).join(name)),
            0o644,
            &read(module)?,
        );
    }
    let fixtures: BTreeSet<&str> = rows.iter().flat_map(Variant::fixtures).collect();
    for rel in fixtures {
        cpio.file(
            &strip_root(&paths.fixtures.join(rel)),
            0o644,
            &read(&repo.join(rel))?,
        );
    }
    let data = cpio.finish_gzip()?;
    fs::write(out, data).with_context(|| format!("{}", out.display()))
}

fn strip_root(path: &Path) -> String {
    path.display()
        .to_string()
        .trim_start_matches('/')
        .to_string()
}

/// `--accel`: how to choose qemu's accelerator.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum AccelChoice {
    /// KVM when it works, TCG otherwise.
    Auto,
    /// KVM.
    Kvm,
    /// TCG (software emulation).
    Tcg,
}

impl AccelChoice {
    /// The accelerator to use.
    pub fn resolve(self) -> Accel {
        let forced = |name| Accel {
            name,
            note: "(--accel)".to_string(),
        };
        match self {
            AccelChoice::Auto => detect_accel(),
            AccelChoice::Kvm => forced("kvm"),
            AccelChoice::Tcg => forced("tcg"),
        }
    }
}

/// The accelerator qemu uses, and why.
#[derive(Clone, Debug)]
pub struct Accel {
    /// `kvm` or `tcg`.
    pub name: &'static str,
    /// Why not KVM, when TCG.
    pub note: String,
}

/// KVM when `/dev/kvm` opens, the CPU shows hardware virtualization (a nested VM
/// can offer a `/dev/kvm` that cannot run guests) and qemu starts a KVM machine;
/// TCG otherwise.
fn detect_accel() -> Accel {
    let tcg = |note: String| Accel { name: "tcg", note };
    if let Err(e) = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        return tcg(format!("(/dev/kvm: {e})"));
    }
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let virt = cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    if !virt {
        return tcg("(/dev/kvm exists but the CPU has no vmx or svm flag)".to_string());
    }
    let probe = run_with_deadline(
        Command::new("qemu-system-x86_64").args([
            "-accel",
            "kvm",
            "-machine",
            "none",
            "-display",
            "none",
            "-nodefaults",
            "-S",
            "-monitor",
            "none",
        ]),
        Duration::from_secs(3),
    );
    match probe {
        // Still running at the deadline: KVM started.
        Ok(c) if c.status.is_none() => Accel {
            name: "kvm",
            note: String::new(),
        },
        Ok(c) => tcg(format!(
            "(qemu cannot use KVM: {})",
            c.stderr.lines().next().unwrap_or("").trim()
        )),
        Err(e) => tcg(format!("({e:#})")),
    }
}

/// Boots `vmlinuz` with `initrd`, serial console on standard output, no network and
/// no disk, killed after `timeout`.
pub fn boot(accel: &Accel, vmlinuz: &Path, initrd: &Path, timeout: Duration) -> Result<Captured> {
    // Under TCG the baseline CPU: emulating `max`'s wider instructions (which glibc's
    // string functions then pick) made a whole kernel's run 20-30% slower here.
    let cpu = if accel.name == "kvm" {
        "host"
    } else {
        "qemu64"
    };
    run_with_deadline(
        Command::new("qemu-system-x86_64")
            .args(["-accel", accel.name, "-cpu", cpu, "-smp", "1", "-m", "1024"])
            .args([
                "-nodefaults",
                "-no-reboot",
                "-display",
                "none",
                "-monitor",
                "none",
            ])
            .args(["-serial", "stdio", "-nic", "none"])
            .arg("-kernel")
            .arg(vmlinuz)
            .arg("-initrd")
            .arg(initrd)
            // no_timer_check: on a loaded host the kernel's IO-APIC timer test can miss
            // its ticks under TCG and panic ("IO-APIC + timer doesn't work!").
            .args([
                "-append",
                "console=ttyS0 rdinit=/init panic=-1 oops=panic loglevel=1 quiet \
                 mitigations=off no_timer_check",
            ]),
        timeout,
    )
}

#[cfg(test)]
mod driver_tests;
