//! `--btf-archive DIR`: on a kernel without BTF of its own, CO-RE against the
//! file of a tree laid out as BTFHub's (`distro/release/arch/KERNEL.btf.tar.xz`)
//! whose kernel is this one (`uname -r`) on this architecture. A kernel that
//! has its own BTF keeps it, so the same command line serves a whole fleet.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use corex_btf::printable;
use corex_object::check::archive::{pick, ArchiveEntry};
use corex_object::check::Arch;

use crate::cmd::archive::kernel_files;

/// Where the running kernel's own BTF is, when it has some.
pub const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The kernel CO-RE is done for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningKernel {
    /// `uname -r`.
    pub release: String,
    /// Its architecture.
    pub arch: Arch,
    /// Whether it has BTF of its own.
    pub has_btf: bool,
}

impl RunningKernel {
    /// This machine's kernel (`/proc/sys/kernel/osrelease`; the
    /// architecture this binary was built for, which is the kernel's).
    pub fn current() -> Result<RunningKernel> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .context("reading the kernel release from /proc/sys/kernel/osrelease")?;
        let arch = std::env::consts::ARCH;
        let Some(arch) = Arch::from_name(arch) else {
            bail!("--btf-archive: BTF archives have no directory for the {arch} architecture");
        };
        Ok(RunningKernel {
            release: release.trim().to_owned(),
            arch,
            has_btf: Path::new(KERNEL_BTF).exists(),
        })
    }
}

/// The BTF file CO-RE should use for `kernel` from the archive at `dir`:
/// `None` when the kernel has its own; an error naming the release, the
/// architecture and the archive when the archive has none for it.
pub fn btf_for(dir: &Path, kernel: &RunningKernel) -> Result<Option<PathBuf>> {
    if kernel.has_btf {
        return Ok(None);
    }
    let files = kernel_files(&[], Some(dir)).context("--btf-archive")?;
    let entries: Vec<ArchiveEntry> = files.iter().map(|f| f.entry.clone()).collect();
    match pick(&entries, &kernel.release, kernel.arch) {
        Some(entry) => {
            let index = entries.iter().position(|e| e == entry).unwrap_or(0);
            Ok(Some(files[index].path.clone()))
        }
        None => bail!(
            "--btf-archive {}: no BTF for kernel {} on {} among its {} BTF files \
             (a file named {}.btf.tar.xz, .btf or .tar.xz, under a directory {} or none)",
            dir.display(),
            printable(&kernel.release),
            kernel.arch.name(),
            files.len(),
            printable(&kernel.release),
            kernel.arch.name(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root =
            std::env::temp_dir().join(format!("corex-btf-archive-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for f in files {
            let path = root.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"").unwrap();
        }
        root
    }

    fn kernel(release: &str, arch: Arch, has_btf: bool) -> RunningKernel {
        RunningKernel {
            release: release.into(),
            arch,
            has_btf,
        }
    }

    #[test]
    fn the_file_of_this_release_and_architecture() {
        let root = tree(&[
            "ubuntu/20.04/arm64/5.4.0-26-generic.btf.tar.xz",
            "ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz",
            "ubuntu/20.04/x86_64/5.4.0-260-generic.btf.tar.xz",
            "debian/12/x86_64/6.1.0-18-amd64.btf",
        ]);
        let picked = |release, arch| btf_for(&root, &kernel(release, arch, false)).unwrap();
        assert_eq!(
            picked("5.4.0-26-generic", Arch::X86_64),
            Some(root.join("ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz"))
        );
        assert_eq!(
            picked("5.4.0-26-generic", Arch::Arm64),
            Some(root.join("ubuntu/20.04/arm64/5.4.0-26-generic.btf.tar.xz"))
        );
        assert_eq!(
            picked("6.1.0-18-amd64", Arch::X86_64),
            Some(root.join("debian/12/x86_64/6.1.0-18-amd64.btf"))
        );
        // A kernel with its own BTF keeps it.
        assert_eq!(
            btf_for(&root, &kernel("5.4.0-26-generic", Arch::X86_64, true)).unwrap(),
            None
        );
        let missing = btf_for(&root, &kernel("6.1.0-18-amd64", Arch::Arm64, false))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("no BTF for kernel 6.1.0-18-amd64 on arm64 among its 4 BTF files"),
            "{missing}"
        );
        std::fs::remove_dir_all(&root).unwrap();
        let gone = format!(
            "{:#}",
            btf_for(&root, &kernel("x", Arch::X86_64, false)).unwrap_err()
        );
        assert!(gone.contains("not a directory"), "{gone}");
    }
}
