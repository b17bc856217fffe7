//! The BTF CO-RE relocates against. A kernel with BTF of its own
//! (`/sys/kernel/btf/vmlinux`) keeps it unless `--btf FILE` is given; one
//! without gets, in this order: `--btf FILE`; with `--btf-archive DIR`, the
//! file of a tree laid out as BTFHub's (`distro/release/arch/KERNEL.btf.tar.xz`)
//! whose kernel is this one (`uname -r`) on this architecture; else the BTF
//! built into the tracer for this release and architecture
//! (`corex_execsnoop::EMBEDDED_BTFS`); else an error saying how to proceed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use corex_btf::printable;
use corex_execsnoop::{embedded_btf, EmbeddedBtf, EMBEDDED_BTFS};
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
    /// Its architecture (`None`: one BTF archives have no name for).
    pub arch: Option<Arch>,
    /// Whether it has BTF of its own.
    pub has_btf: bool,
}

impl RunningKernel {
    /// This machine's kernel (`/proc/sys/kernel/osrelease`; the
    /// architecture this binary was built for, which is the kernel's).
    pub fn current() -> Result<RunningKernel> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .context("reading the kernel release from /proc/sys/kernel/osrelease")?;
        Ok(RunningKernel {
            release: release.trim().to_owned(),
            arch: Arch::from_name(std::env::consts::ARCH),
            has_btf: Path::new(KERNEL_BTF).exists(),
        })
    }
}

/// Where CO-RE's BTF comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum Choice {
    /// The kernel's own.
    Own,
    /// The kernel's file in `--btf-archive`.
    File(PathBuf),
    /// The BTF built into the tracer for this kernel.
    Embedded(&'static EmbeddedBtf),
}

/// The BTF CO-RE should use for `kernel` when the command line gives no
/// `--btf`: the kernel's own, else the file of the archive at `archive`
/// (an error naming release, architecture and archive when it has none),
/// else the embedded one (an error saying how to proceed when there is none).
pub fn choose(archive: Option<&Path>, kernel: &RunningKernel) -> Result<Choice> {
    if kernel.has_btf {
        return Ok(Choice::Own);
    }
    let release = printable(&kernel.release);
    let Some(arch) = kernel.arch else {
        bail!(
            "this kernel ({release}) has no BTF of its own ({KERNEL_BTF} is missing) and BTF \
             archives have no directory for the {} architecture: give its BTF with --btf FILE",
            std::env::consts::ARCH
        );
    };
    if let Some(dir) = archive {
        return from_archive(dir, &kernel.release, arch).map(Choice::File);
    }
    if let Some(embedded) = embedded_btf(&kernel.release, arch.name()) {
        return Ok(Choice::Embedded(embedded));
    }
    let built_in: Vec<String> = EMBEDDED_BTFS
        .iter()
        .map(|e| format!("{} on {}", e.release, e.arch))
        .collect();
    bail!(
        "this kernel ({release} on {}) has no BTF of its own ({KERNEL_BTF} is missing) and \
         corex has none built in for it (built in: {}). CO-RE needs this kernel's BTF: give it \
         with --btf FILE (raw BTF, an ELF file with .BTF, or BTFHub's {release}.btf.tar.xz), \
         or give a tree laid out as BTFHub's with --btf-archive DIR (a clone of \
         github.com/aquasecurity/btfhub-archive, or `corex minimize --btf-dir` output); \
         `corex minimize` makes a small one for execsnoop's objects",
        arch.name(),
        built_in.join(", ")
    )
}

/// The file of the archive at `dir` for kernel `release` on `arch`.
fn from_archive(dir: &Path, release: &str, arch: Arch) -> Result<PathBuf> {
    let files = kernel_files(&[], Some(dir)).context("--btf-archive")?;
    let entries: Vec<ArchiveEntry> = files.iter().map(|f| f.entry.clone()).collect();
    match pick(&entries, release, arch) {
        Some(entry) => {
            let index = entries.iter().position(|e| e == entry).unwrap_or(0);
            Ok(files[index].path.clone())
        }
        None => bail!(
            "--btf-archive {}: no BTF for kernel {} on {} among its {} BTF files \
             (a file named {}.btf.tar.xz, .btf or .tar.xz, under a directory {} or none)",
            dir.display(),
            printable(release),
            arch.name(),
            files.len(),
            printable(release),
            arch.name(),
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

    /// A fake `uname -r`, architecture and "has BTF" probe.
    fn kernel(release: &str, arch: Arch, has_btf: bool) -> RunningKernel {
        RunningKernel {
            release: release.into(),
            arch: Some(arch),
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
        let picked = |release, arch| choose(Some(&root), &kernel(release, arch, false)).unwrap();
        assert_eq!(
            picked("5.4.0-26-generic", Arch::X86_64),
            Choice::File(root.join("ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz"))
        );
        assert_eq!(
            picked("5.4.0-26-generic", Arch::Arm64),
            Choice::File(root.join("ubuntu/20.04/arm64/5.4.0-26-generic.btf.tar.xz"))
        );
        assert_eq!(
            picked("6.1.0-18-amd64", Arch::X86_64),
            Choice::File(root.join("debian/12/x86_64/6.1.0-18-amd64.btf"))
        );
        // A kernel with its own BTF keeps it.
        assert_eq!(
            choose(Some(&root), &kernel("5.4.0-26-generic", Arch::X86_64, true)).unwrap(),
            Choice::Own
        );
        let missing = choose(Some(&root), &kernel("6.1.0-18-amd64", Arch::Arm64, false))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("no BTF for kernel 6.1.0-18-amd64 on arm64 among its 4 BTF files"),
            "{missing}"
        );
        // An archive given is the only place looked in: the embedded BTF of
        // a kernel it lacks is not used behind the user's back.
        let embedded_kernel = kernel("6.1.0-57-cloud-amd64", Arch::X86_64, false);
        let missing = choose(Some(&root), &embedded_kernel)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("no BTF for kernel 6.1.0-57-cloud-amd64"),
            "{missing}"
        );
        std::fs::remove_dir_all(&root).unwrap();
        let gone = format!(
            "{:#}",
            choose(Some(&root), &kernel("x", Arch::X86_64, false)).unwrap_err()
        );
        assert!(gone.contains("not a directory"), "{gone}");
    }

    #[test]
    fn the_embedded_btf_of_this_release_and_architecture() {
        for release in [
            "5.10.0-32-cloud-amd64",
            "6.1.0-57-cloud-amd64",
            "6.12.117+deb12-cloud-amd64",
        ] {
            let Choice::Embedded(embedded) =
                choose(None, &kernel(release, Arch::X86_64, false)).unwrap()
            else {
                panic!("{release}: not the embedded BTF");
            };
            assert_eq!((embedded.release, embedded.arch), (release, "x86_64"));
            // The kernel's own BTF comes first.
            assert_eq!(
                choose(None, &kernel(release, Arch::X86_64, true)).unwrap(),
                Choice::Own
            );
        }
        // Another architecture, another build of the release, an unknown
        // architecture: no BTF, and the way forward said.
        for (release, arch) in [
            ("6.1.0-57-cloud-amd64", Some(Arch::Arm64)),
            ("6.1.0-58-cloud-amd64", Some(Arch::X86_64)),
            ("6.1.0-57-cloud-amd64", None),
        ] {
            let unknown = RunningKernel {
                release: release.into(),
                arch,
                has_btf: false,
            };
            let said = choose(None, &unknown).unwrap_err().to_string();
            assert!(said.contains(&format!("this kernel ({release}")), "{said}");
            assert!(said.contains("has no BTF of its own"), "{said}");
            assert!(said.contains("--btf FILE"), "{said}");
            if arch.is_some() {
                assert!(said.contains("--btf-archive DIR"), "{said}");
                assert!(
                    said.contains("built in: 5.10.0-32-cloud-amd64 on x86_64, "),
                    "{said}"
                );
            }
        }
        // A hostile release is shown escaped.
        let said = choose(None, &kernel("6.1\x1b[2J\n", Arch::X86_64, false))
            .unwrap_err()
            .to_string();
        assert!(!said.contains('\x1b') && !said.contains('\n'), "{said}");
    }
}
