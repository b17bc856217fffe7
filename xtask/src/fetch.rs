//! The kernel cache: each kernel's bzImage and BTF, downloaded once.
//!
//! `CACHE/NAME/` holds `vmlinuz`, `vmlinux.btf` (the `.BTF` section of the
//! decompressed vmlinuz), the package's `config-RELEASE` (its `/boot/config-RELEASE`:
//! Debian's kernels have no `/proc/config.gz`, so the guest gets this file for
//! `.kconfig` externs) and `package.txt` (package and version, written last: a
//! directory with all four is complete and is not fetched again). A kernel with
//! [`Feature::ModuleBtf`] also gets `modules/NAME.ko`, the modules of [`MODULES`]
//! from the same package (decompressed when the package ships `.ko.xz`); a complete
//! directory without them downloads the package again for them alone.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::apt::PrivateApt;
use crate::kernels::{Feature, Kernel, MODULES};
use crate::process::{run_checked, run_output};
use crate::vmlinuz;

/// A kernel in the cache.
#[derive(Debug)]
pub struct CachedKernel {
    /// The bzImage qemu boots.
    pub vmlinuz: PathBuf,
    /// Its raw BTF, extracted on the host.
    pub btf: PathBuf,
    /// The package's `boot/config-RELEASE` (the file keeps that name).
    pub config: PathBuf,
    /// `PACKAGE VERSION`.
    pub package: String,
    /// The modules of [`MODULES`] (`NAME.ko`), for kernels with module BTF; else none.
    pub modules: Vec<PathBuf>,
}

/// The `config-*` file in `dir`, if there is one.
fn config_in(dir: &Path) -> Option<PathBuf> {
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("config-"))
        })
}

/// Returns the kernel from the cache, downloading and extracting it first if needed.
pub fn fetch(cache: &Path, kernel: &Kernel) -> Result<CachedKernel> {
    let dir = cache.join(kernel.name);
    let (vmlinuz, btf) = (dir.join("vmlinuz"), dir.join("vmlinux.btf"));
    let marker = dir.join("package.txt");
    if let (Ok(package), Some(config)) = (fs::read_to_string(&marker), config_in(&dir)) {
        if vmlinuz.is_file() && btf.is_file() {
            let modules = match cached_modules(kernel, &dir) {
                Some(modules) => modules,
                None => modules_again(cache, kernel, &dir)?,
            };
            return Ok(CachedKernel {
                vmlinuz,
                btf,
                config,
                package: package.trim().to_string(),
                modules,
            });
        }
    }
    let apt = PrivateApt::new(&cache.join("apt"), kernel.suite)?;
    let work = cache.join(format!(".work-{}", kernel.name));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).with_context(|| format!("{}", work.display()))?;
    let deb = download(&apt, kernel, &work)?;
    let version = run_output(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Version"))?;
    let package = format!(
        "{} {}",
        deb_package_name(&deb).unwrap_or_default(),
        version.trim()
    );
    eprintln!("xtask: {}: unpacking {package}", kernel.name);
    run_checked(
        Command::new("sh")
            .arg("-c")
            .arg(r#"dpkg-deb --fsys-tarfile "$1" | tar -xf - -C "$2" --wildcards './boot/vmlinuz-*' './boot/config-*'"#)
            .arg("sh")
            .arg(&deb)
            .arg(&work),
    )?;
    let image = fs::read_dir(work.join("boot"))
        .with_context(|| format!("{}: no boot/ in the package", deb.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .with_context(|| format!("{}: no boot/vmlinuz-*", deb.display()))?;
    let package_config = config_in(&work.join("boot"))
        .with_context(|| format!("{}: no boot/config-*", deb.display()))?;
    let elf = vmlinuz::vmlinux(&image)?;
    let btf_data = vmlinuz::btf_section(&elf).with_context(|| format!("{}", image.display()))?;
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let modules = extract_modules(kernel, &deb, &work, &dir)?;
    fs::copy(&image, &vmlinuz)?;
    fs::write(&btf, &btf_data)?;
    let config = dir.join(package_config.file_name().unwrap_or_default());
    fs::copy(&package_config, &config)?;
    fs::write(&marker, format!("{package}\n"))?;
    fs::remove_dir_all(&work)?;
    eprintln!(
        "xtask: {}: {package}, BTF {} bytes, {}",
        kernel.name,
        btf_data.len(),
        config.display()
    );
    Ok(CachedKernel {
        vmlinuz,
        btf,
        config,
        package,
        modules,
    })
}

/// `dir/modules/NAME.ko` of each of [`MODULES`] `kernel` needs, or `None` if one is
/// missing.
fn cached_modules(kernel: &Kernel, dir: &Path) -> Option<Vec<PathBuf>> {
    module_files(kernel, dir)
        .into_iter()
        .map(|(_, path)| path.is_file().then_some(path))
        .collect()
}

/// Each of [`MODULES`] `kernel` needs (none without module BTF): its path in the
/// package and its file in the cache directory `dir`.
fn module_files(kernel: &Kernel, dir: &Path) -> Vec<(&'static str, PathBuf)> {
    if !kernel.features.contains(&Feature::ModuleBtf) {
        return Vec::new();
    }
    MODULES
        .iter()
        .map(|&m| {
            let name = m.rsplit('/').next().unwrap_or(m);
            (m, dir.join("modules").join(format!("{name}.ko")))
        })
        .collect()
}

/// Downloads `kernel`'s package again for the modules a complete cache directory lacks.
fn modules_again(cache: &Path, kernel: &Kernel, dir: &Path) -> Result<Vec<PathBuf>> {
    let apt = PrivateApt::new(&cache.join("apt"), kernel.suite)?;
    let work = cache.join(format!(".work-{}", kernel.name));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).with_context(|| format!("{}", work.display()))?;
    let deb = download(&apt, kernel, &work)?;
    let modules = extract_modules(kernel, &deb, &work, dir)?;
    fs::remove_dir_all(&work)?;
    Ok(modules)
}

/// Extracts the modules `kernel` needs from its package `deb` (unpacked under `work`)
/// into `dir/modules/`, decompressing `.ko.xz` files.
fn extract_modules(kernel: &Kernel, deb: &Path, work: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let wanted = module_files(kernel, dir);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut tar = Command::new("sh");
    tar.arg("-c")
        .arg(r#"deb=$1 dir=$2; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$dir" --wildcards "$@""#)
        .arg("sh")
        .arg(deb)
        .arg(work);
    for (path, _) in &wanted {
        tar.arg(format!("./lib/modules/*/kernel/{path}.ko*"));
    }
    run_checked(&mut tar)?;
    let release = fs::read_dir(work.join("lib/modules"))
        .with_context(|| format!("{}: no lib/modules/ in the package", deb.display()))?
        .flatten()
        .map(|e| e.path())
        .next()
        .with_context(|| format!("{}: lib/modules/ is empty", deb.display()))?;
    fs::create_dir_all(dir.join("modules"))?;
    let mut modules = Vec::new();
    for (path, dest) in wanted {
        let plain = release.join(format!("kernel/{path}.ko"));
        let xz = release.join(format!("kernel/{path}.ko.xz"));
        if plain.is_file() {
            fs::copy(&plain, &dest)?;
        } else if xz.is_file() {
            let out = fs::File::create(&dest).with_context(|| format!("{}", dest.display()))?;
            run_checked(Command::new("xz").arg("-dc").arg(&xz).stdout(out))?;
        } else {
            bail!("{}: no {path}.ko or {path}.ko.xz", deb.display());
        }
        eprintln!("xtask: {}: module {}", kernel.name, dest.display());
        modules.push(dest);
    }
    Ok(modules)
}

/// Chooses the newest matching package and downloads it. Stale package lists can
/// name a version the mirror no longer has: then the lists are updated once.
fn download(apt: &PrivateApt, kernel: &Kernel, work: &Path) -> Result<PathBuf> {
    let package = apt.newest(kernel.package)?;
    eprintln!("xtask: {}: downloading {package}", kernel.name);
    match apt.download(&package, work) {
        Ok(deb) => Ok(deb),
        Err(first) => {
            eprintln!("xtask: {}: {first:#}; updating the lists", kernel.name);
            apt.update()?;
            let package = apt.newest(kernel.package)?;
            apt.download(&package, work)
        }
    }
}

fn deb_package_name(deb: &Path) -> Option<String> {
    let name = deb.file_name()?.to_string_lossy().into_owned();
    name.split('_').next().map(str::to_string)
}

/// The running kernel's BTF, copied (the running kernel's bzImage is not at hand).
pub fn native_btf(cache: &Path) -> Result<PathBuf> {
    let dir = cache.join(crate::kernels::NATIVE);
    fs::create_dir_all(&dir)?;
    let btf = dir.join("vmlinux.btf");
    let live = Path::new("/sys/kernel/btf/vmlinux");
    if !live.exists() {
        bail!(
            "the running kernel has no {} (CONFIG_DEBUG_INFO_BTF off?)",
            live.display()
        );
    }
    fs::copy(live, &btf).with_context(|| format!("copying {}", live.display()))?;
    Ok(btf)
}
