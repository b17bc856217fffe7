//! BTF archives laid out as BTFHub's (`distro/release/arch/KERNEL.btf.tar.xz`):
//! what a file's place in the tree says about its kernel, and picking the
//! file for a running kernel (`uname -r` and the architecture), which is
//! what a tool does on a kernel without BTF. Pure: callers list the files.

use std::path::{Component, Path};

use super::kernel::Arch;

/// File name endings of BTF files in archives, longest first.
const SUFFIXES: [&str; 8] = [
    ".btf.tar.xz",
    ".vmlinux.xz",
    ".btf.xz",
    ".tar.xz",
    ".btf",
    ".xz",
    ".elf",
    ".o",
];

/// What an archive file's path says about its kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveEntry {
    /// The path relative to the archive's root, with `/` separators.
    pub path: String,
    /// The distribution directory (`ubuntu`), when the tree has one.
    pub distro: Option<String>,
    /// The release directory (`20.04`).
    pub release: Option<String>,
    /// The architecture directory, as written (`x86_64`, `arm64`).
    pub arch_dir: Option<String>,
    /// The kernel release (`uname -r`): the file name without its BTF suffix.
    pub kernel: String,
}

impl ArchiveEntry {
    /// Reads `relative` (a path under the archive's root). `None` for a
    /// path that has no file name.
    pub fn from_path(relative: &Path) -> Option<ArchiveEntry> {
        let parts: Vec<String> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let (file, dirs) = parts.split_last()?;
        let kernel = SUFFIXES
            .iter()
            .find_map(|s| file.strip_suffix(s))
            .unwrap_or(file)
            .to_owned();
        let dir = |back: usize| dirs.len().checked_sub(back).map(|i| dirs[i].clone());
        Some(ArchiveEntry {
            path: parts.join("/"),
            arch_dir: dir(1),
            release: dir(2),
            distro: dir(3),
            kernel,
        })
    }

    /// The architecture its directory names, if it names one.
    pub fn arch(&self) -> Option<Arch> {
        self.arch_dir.as_deref().and_then(Arch::from_name)
    }

    /// A short name for reports: `distro/release/arch/kernel`, or the path
    /// without its suffix when the tree is flatter.
    pub fn label(&self) -> String {
        match self.path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{}", self.kernel),
            None => self.kernel.clone(),
        }
    }
}

/// The entry for a running kernel: the one whose kernel release is
/// `release` (`uname -r`) and whose architecture directory is `arch`, else
/// one with that release whose directory names no architecture. The first
/// such entry in `entries`' order.
pub fn pick<'e>(
    entries: &'e [ArchiveEntry],
    release: &str,
    arch: Arch,
) -> Option<&'e ArchiveEntry> {
    let of_release = || entries.iter().filter(move |e| e.kernel == release);
    of_release()
        .find(|e| e.arch() == Some(arch))
        .or_else(|| of_release().find(|e| e.arch().is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btfhub_paths() {
        let e =
            ArchiveEntry::from_path(Path::new("ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz"))
                .unwrap();
        assert_eq!(e.distro.as_deref(), Some("ubuntu"));
        assert_eq!(e.release.as_deref(), Some("20.04"));
        assert_eq!(e.arch(), Some(Arch::X86_64));
        assert_eq!(e.kernel, "5.4.0-26-generic");
        assert_eq!(e.label(), "ubuntu/20.04/x86_64/5.4.0-26-generic");
        let amzn = ArchiveEntry::from_path(Path::new(
            "amzn/2/x86_64/4.14.256-197.484.amzn2.x86_64.vmlinux.xz",
        ))
        .unwrap();
        assert_eq!(amzn.kernel, "4.14.256-197.484.amzn2.x86_64");
        let flat = ArchiveEntry::from_path(Path::new("6.1.0-13-amd64.btf")).unwrap();
        assert_eq!(flat.arch(), None);
        assert_eq!(flat.label(), "6.1.0-13-amd64");
    }

    fn entries(paths: &[&str]) -> Vec<ArchiveEntry> {
        paths
            .iter()
            .map(|p| ArchiveEntry::from_path(Path::new(p)).unwrap())
            .collect()
    }

    #[test]
    fn picks_by_release_and_arch() {
        let ubuntu = entries(&[
            "ubuntu/20.04/arm64/5.4.0-26-generic.btf.tar.xz",
            "ubuntu/20.04/x86_64/5.4.0-26-generic.btf.tar.xz",
            "ubuntu/20.04/x86_64/5.11.0-1028-gcp.btf.tar.xz",
        ]);
        let e = pick(&ubuntu, "5.4.0-26-generic", Arch::X86_64).unwrap();
        assert_eq!(e.arch_dir.as_deref(), Some("x86_64"));
        let e = pick(&ubuntu, "5.4.0-26-generic", Arch::Arm64).unwrap();
        assert_eq!(e.arch_dir.as_deref(), Some("arm64"));
        assert!(pick(&ubuntu, "6.1.0", Arch::X86_64).is_none());
        assert!(pick(&ubuntu, "5.11.0-1028-gcp", Arch::Arm64).is_none());
        // A file in the architecture's directory before one in none.
        let mixed = entries(&[
            "6.1.0-13-amd64.btf",
            "debian/12/x86_64/6.1.0-13-amd64.btf",
            "debian/12/arm64/6.2.0.btf",
        ]);
        let e = pick(&mixed, "6.1.0-13-amd64", Arch::X86_64).unwrap();
        assert_eq!(e.arch_dir.as_deref(), Some("x86_64"));
        let e = pick(&mixed, "6.1.0-13-amd64", Arch::Arm64).unwrap();
        assert_eq!(e.arch_dir, None);
        assert!(pick(&mixed, "6.2.0", Arch::X86_64).is_none());
    }
}
