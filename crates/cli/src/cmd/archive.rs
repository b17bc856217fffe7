//! Kernel BTF inputs of `corex check` and `corex minimize`: files named with
//! `--btf`, or every BTF file of a tree laid out as BTFHub's (`--btf-dir`),
//! each read on its own so that a bad file is one line of the report.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use corex_btf::Btf;
use corex_object::check::archive::ArchiveEntry;
use corex_object::check::Arch;

/// One kernel's BTF file.
#[derive(Clone, Debug)]
pub struct KernelFile {
    /// The file.
    pub path: PathBuf,
    /// Its place in the archive (the path itself for `--btf` files).
    pub entry: ArchiveEntry,
    /// The name reports use.
    pub label: String,
}

/// Whether a file in a BTF tree is meant as a kernel's BTF, by its name.
fn is_btf_name(name: &str) -> bool {
    [".btf", ".btf.tar.xz", ".tar.xz", ".xz", ".elf"]
        .iter()
        .any(|s| name.ends_with(s))
        || name == "vmlinux"
}

/// The kernels named on the command line: each `--btf` file, then every
/// BTF file under `--btf-dir` (sorted by path).
pub fn kernel_files(files: &[PathBuf], dir: Option<&Path>) -> Result<Vec<KernelFile>> {
    let mut out: Vec<KernelFile> = files
        .iter()
        .map(|p| {
            let entry = ArchiveEntry::from_path(p)
                .with_context(|| format!("{}: not a file name", p.display()))?;
            Ok(KernelFile {
                path: p.clone(),
                label: p.display().to_string(),
                entry,
            })
        })
        .collect::<Result<_>>()?;
    if let Some(root) = dir {
        if !root.is_dir() {
            bail!("{}: not a directory", root.display());
        }
        let mut found = Vec::new();
        walk(root, root, &mut found)?;
        found.sort_by(|a, b| a.entry.path.cmp(&b.entry.path));
        out.extend(found);
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<KernelFile>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("{}: cannot list", dir.display()))?;
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Follow symlinks; a dangling one is kept and reported as unreadable.
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if is_btf_name(&name) {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if let Some(entry) = ArchiveEntry::from_path(rel) {
                out.push(KernelFile {
                    label: entry.label(),
                    path,
                    entry,
                });
            }
        }
    }
    Ok(())
}

/// Reads and parses one kernel's BTF; an error names the file and says what
/// is wrong.
pub fn load_kernel(file: &KernelFile) -> Result<Btf> {
    let data = std::fs::read(&file.path)
        .with_context(|| format!("{}: cannot read", file.path.display()))?;
    let loaded =
        corex_btf::load_vec(data, None).with_context(|| format!("{}", file.path.display()))?;
    Ok(loaded.btf)
}

/// The kernel's architecture (`from_btf`, its `struct pt_regs`'s, else the
/// archive directory's); an error when the two disagree.
pub fn kernel_arch(file: &KernelFile, from_btf: Option<Arch>) -> Result<Option<Arch>> {
    let from_dir = file.entry.arch();
    if let (Some(b), Some(d)) = (from_btf, from_dir) {
        if b != d {
            bail!(
                "{}: wrong architecture: the archive files it under {}, but its struct pt_regs is {b}'s",
                file.path.display(),
                file.entry.arch_dir.as_deref().unwrap_or("?")
            );
        }
    }
    Ok(from_btf.or(from_dir))
}
