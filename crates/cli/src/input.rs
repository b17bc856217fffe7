//! Reading BTF files named on the command line, with the file name in every error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use corex_btf::{Btf, LoadedBtf};

/// Where the running kernel publishes its BTF.
pub const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The file to read: the one given, or the running kernel's BTF.
pub fn btf_path(path: Option<PathBuf>) -> PathBuf {
    path.unwrap_or_else(|| PathBuf::from(KERNEL_BTF))
}

/// Reads a whole file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Reads BTF in any container from `path`, split on `base` if given.
pub fn load_btf(path: &Path, base: Option<&Path>) -> Result<LoadedBtf> {
    let base = base.map(load_base).transpose()?;
    let data = read(path)?;
    corex_btf::load_vec(data, base).with_context(|| format!("{}", path.display()))
}

/// Reads a base BTF for split BTF.
pub fn load_base(path: &Path) -> Result<Arc<Btf>> {
    let data = read(path)?;
    let loaded =
        corex_btf::load(&data, None).with_context(|| format!("{} (base)", path.display()))?;
    Ok(Arc::new(loaded.btf))
}
