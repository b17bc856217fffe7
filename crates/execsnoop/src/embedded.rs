//! BTF for kernels without their own, built into the tracer: each kernel of
//! `bpf/execsnoop/btf/` (Debian's cloud kernels, the development VM's),
//! minimized by `corex minimize` for both objects, every program, so any
//! attach mode and buffer relocates against it. A few hundred bytes a
//! kernel where its full BTF is megabytes.

/// One kernel's BTF, minimized for execsnoop's objects.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmbeddedBtf {
    /// The kernel's release, as `uname -r` says it on that kernel.
    pub release: &'static str,
    /// Its architecture, as BTFHub names it (`x86_64`, `arm64`).
    pub arch: &'static str,
    /// Raw BTF.
    pub btf: &'static [u8],
}

/// Every embedded BTF, by architecture, then release.
pub static EMBEDDED_BTFS: &[EmbeddedBtf] = include!(concat!(env!("OUT_DIR"), "/embedded_btfs.rs"));

/// The BTF embedded for kernel `release` on `arch` (BTFHub's name), if
/// any: the release must be exactly the one the BTF was made from.
pub fn embedded_btf(release: &str, arch: &str) -> Option<&'static EmbeddedBtf> {
    EMBEDDED_BTFS
        .iter()
        .find(|e| e.release == release && e.arch == arch)
}

/// The total size of the embedded BTFs in bytes.
pub fn embedded_btf_bytes() -> usize {
    EMBEDDED_BTFS.iter().map(|e| e.btf.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_tree_is_embedded_and_found_by_release_and_arch() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bpf/execsnoop/btf");
        let mut files = Vec::new();
        for arch in std::fs::read_dir(&root).unwrap().flatten() {
            if !arch.path().is_dir() {
                continue;
            }
            for file in std::fs::read_dir(arch.path()).unwrap().flatten() {
                let bytes = std::fs::read(file.path()).unwrap();
                files.push((arch.file_name(), file.file_name(), bytes));
            }
        }
        assert_eq!(files.len(), EMBEDDED_BTFS.len());
        for (arch, file, bytes) in &files {
            let arch = arch.to_str().unwrap();
            let release = file.to_str().unwrap().strip_suffix(".btf").unwrap();
            let embedded = embedded_btf(release, arch).unwrap();
            assert_eq!(embedded.btf, &bytes[..], "{arch}/{release}");
            // Raw BTF: the magic, then version 1.
            assert_eq!(&embedded.btf[..3], &[0x9f, 0xeb, 1]);
        }
        // The Debian kernels rebuild.sh takes from scripts/fetch-kernels.sh
        // and xtask's cache.
        for release in ["5.10.0-32-cloud-amd64", "6.1.0-57-cloud-amd64"] {
            assert!(embedded_btf(release, "x86_64").is_some(), "{release}");
            assert!(embedded_btf(release, "arm64").is_none(), "{release}");
        }
        // Exact releases only.
        assert!(embedded_btf("6.1.0-57", "x86_64").is_none());
        assert!(embedded_btf("6.1.0-57-cloud-amd64 ", "x86_64").is_none());
        assert_eq!(
            embedded_btf_bytes(),
            files.iter().map(|(_, _, b)| b.len()).sum::<usize>()
        );
    }
}
