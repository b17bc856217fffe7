//! The programs every initramfs holds: corex built statically, and a static busybox.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, ensure, Context, Result};
use object::Object;

use crate::apt;
use crate::process::{run_checked, run_output};

/// The guests are x86_64 whatever the host is.
const GUEST_TARGET: &str = "x86_64-unknown-linux-gnu";

/// corex and busybox for the initramfs.
pub struct Programs {
    /// Static corex, stripped.
    pub corex: PathBuf,
    /// Static busybox.
    pub busybox: PathBuf,
    /// busybox's applets (each a symlink in /bin).
    pub applets: Vec<String>,
}

impl Programs {
    /// Builds corex and finds (or installs) a static busybox; `out` receives the
    /// stripped corex.
    pub fn prepare(repo: &Path, out: &Path) -> Result<Self> {
        let built = build_static_corex(repo)?;
        let corex = out.join("corex");
        run_checked(Command::new("strip").arg("-o").arg(&corex).arg(&built))?;
        let busybox = static_busybox()?;
        let list = run_output(Command::new(&busybox).arg("--list"))?;
        let applets = list
            .lines()
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "busybox" && !a.contains('/'))
            .map(str::to_string)
            .collect();
        Ok(Programs {
            corex,
            busybox,
            applets,
        })
    }
}

/// Whether an ELF executable needs no dynamic loader.
fn is_static(path: &Path) -> Result<bool> {
    let data = fs::read(path).with_context(|| format!("{}", path.display()))?;
    let file = object::File::parse(&*data)
        .with_context(|| format!("{}: not an ELF executable", path.display()))?;
    Ok(file.section_by_name(".interp").is_none())
}

/// `cargo build --release -p corex-cli` for the gnu target with `+crt-static`
/// (glibc's static libraries; no extra rustup target needed), returning the binary.
fn build_static_corex(repo: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask: building a static corex ({GUEST_TARGET}, +crt-static)");
    let out = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "corex-cli",
            "--target",
            GUEST_TARGET,
        ])
        .arg("--message-format=json-render-diagnostics")
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .current_dir(repo)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    ensure!(
        out.status.success(),
        "cargo build of the static corex failed ({})",
        out.status
    );
    let cli_manifest = repo.join("crates/cli/Cargo.toml");
    let executable = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| m["manifest_path"].as_str().map(Path::new) == Some(cli_manifest.as_path()))
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo build did not name the corex executable")?;
    ensure!(
        is_static(&executable)?,
        "{}: linked dynamically although built with +crt-static",
        executable.display()
    );
    Ok(executable)
}

/// A static busybox, installing Debian's busybox-static when there is none.
fn static_busybox() -> Result<PathBuf> {
    let found = || apt::which("busybox").filter(|p| is_static(p).unwrap_or(false));
    if let Some(path) = found() {
        return Ok(path);
    }
    apt::install(&["busybox-static"])?;
    match found() {
        Some(path) => Ok(path),
        None => bail!("busybox-static is installed but no static busybox is in PATH"),
    }
}
