//! Reading BTF files named on the command line, with the file name in every error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use corex_btf::{printable, Btf, LoadedBtf, Printable};

/// Where the running kernel publishes its BTF.
pub const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The file to read: the one given, or the running kernel's BTF.
pub fn btf_path(path: Option<PathBuf>) -> PathBuf {
    path.unwrap_or_else(|| PathBuf::from(KERNEL_BTF))
}

/// A path as shown to a person: escaped like any name from outside.
pub fn shown(path: &Path) -> Printable<'_> {
    printable(path.as_os_str().as_encoded_bytes())
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}: cannot read", shown(path)))
}

/// Reads BTF in any container from `path`, split on `base` if given.
pub fn load_btf(path: &Path, base: Option<&Path>) -> Result<LoadedBtf> {
    let base_btf = base.map(load_base).transpose()?;
    let data = read(path)?;
    let loaded = corex_btf::load_vec(data, base_btf).with_context(|| shown(path).to_string())?;
    if let (true, Some(base)) = (loaded.not_split, base) {
        eprintln!(
            "corex: warning: {} is not split BTF (it reads on its own: {} types from id 1), \
             so it is read without the base {}",
            shown(path),
            loaded.btf.type_count() - 1,
            shown(base)
        );
    }
    Ok(loaded)
}

/// Reads a base BTF for split BTF.
pub fn load_base(path: &Path) -> Result<Arc<Btf>> {
    let data = read(path)?;
    let loaded = corex_btf::load(&data, None).with_context(|| format!("{} (base)", shown(path)))?;
    Ok(Arc::new(loaded.btf))
}
