//! Debian packages: the host tools the harness needs (installed with the machine's apt)
//! and kernel packages (chosen and downloaded through a private apt configuration per suite).

use std::cmp::Ordering;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use regex::Regex;

use crate::kernels::Suite;
use crate::process::{run_checked, run_output};

/// Finds a program in `PATH`.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Makes sure each `(program, package)` is present, installing the missing packages
/// with apt-get (needs root). `apt-get update` runs only when a first install fails.
pub fn ensure_tools(tools: &[(&str, &str)]) -> Result<()> {
    let mut missing: Vec<&str> = tools
        .iter()
        .filter(|(program, _)| which(program).is_none())
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    install(&missing)
}

/// The installed version of a Debian package, if it is installed.
fn installed_version(package: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status} ${Version}", package])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.strip_prefix("install ok installed ")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Makes sure `qemu-system-x86_64` is present. Where `qemu-utils` came from
/// bookworm-backports (as on this project's machines), Debian 12's own
/// `qemu-system-x86` conflicts with it, so the same backports version is installed
/// through a private apt configuration under `apt_root`; otherwise the machine's apt
/// installs it. Nothing is ever removed.
pub fn ensure_qemu(apt_root: &Path) -> Result<()> {
    if which("qemu-system-x86_64").is_some() {
        return Ok(());
    }
    match installed_version("qemu-utils").filter(|v| v.contains("bpo")) {
        Some(version) => {
            let apt = PrivateApt::new(apt_root, &crate::kernels::BOOKWORM_BACKPORTS)?;
            apt.install_matching("qemu-system-x86", &version, "bookworm-backports")
        }
        None => install(&["qemu-system-x86"]),
    }
}

/// `apt-get install` without questions, never removing a package to make
/// room (the machine is shared); packages and options are appended.
fn install_command() -> Command {
    let mut cmd = Command::new("apt-get");
    cmd.args([
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        "--no-remove",
    ])
    .env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

/// Installs Debian packages with the machine's apt configuration (needs root).
pub fn install(packages: &[&str]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", packages.join(" "));
    let attempt = || install_command().args(packages).status();
    if attempt().map(|s| s.success()).unwrap_or(false) {
        return Ok(());
    }
    eprintln!("xtask: install failed; apt-get update and one more try");
    run_checked(Command::new("apt-get").args(["update", "-q"]))?;
    let status = attempt().context("apt-get install")?;
    ensure!(
        status.success(),
        "apt-get install {} failed ({status}): are you root? (packages are never removed \
         to make room for them: install them yourself if apt wanted to)",
        packages.join(" ")
    );
    Ok(())
}

/// A private apt configuration for one suite: its own sources, lists and caches under
/// the harness's cache directory, so the machine's apt state is left alone.
pub struct PrivateApt {
    dir: PathBuf,
}

impl PrivateApt {
    /// Creates (or reuses) the configuration under `root/CODENAME`.
    pub fn new(root: &Path, suite: &Suite) -> Result<Self> {
        let dir = root.join(suite.codename);
        for sub in ["sources.list.d", "lists/partial", "cache/archives/partial"] {
            fs::create_dir_all(dir.join(sub))
                .with_context(|| format!("{}: cannot create", dir.join(sub).display()))?;
        }
        let sources = suite.sources.join("\n") + "\n";
        let list = dir.join("sources.list");
        if fs::read_to_string(&list).ok().as_deref() != Some(sources.as_str()) {
            fs::write(&list, sources).with_context(|| format!("{}", list.display()))?;
            // New sources: the lists are stale.
            remove_lists(&dir.join("lists"))?;
        }
        Ok(PrivateApt { dir })
    }

    fn options(&self) -> Vec<String> {
        let d = |sub: &str| self.dir.join(sub).display().to_string();
        vec![
            format!("-oDir::Etc::SourceList={}", d("sources.list")),
            format!("-oDir::Etc::SourceParts={}", d("sources.list.d")),
            format!("-oDir::State::Lists={}", d("lists")),
            format!("-oDir::Cache={}", d("cache")),
            "-oAPT::Sandbox::User=root".to_string(),
        ]
    }

    fn has_lists(&self) -> bool {
        fs::read_dir(self.dir.join("lists")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().contains("_Packages"))
        })
    }

    /// Downloads the suite's package lists.
    pub fn update(&self) -> Result<()> {
        eprintln!("xtask: apt-get update ({})", self.dir.display());
        run_checked(
            Command::new("apt-get")
                .args(self.options())
                .args(["update", "-q"]),
        )
    }

    /// The highest-versioned package whose name matches `pattern`.
    pub fn newest(&self, pattern: &str) -> Result<String> {
        if !self.has_lists() {
            self.update()?;
        }
        let out = run_output(Command::new("apt-cache").args(self.options()).args([
            "search",
            "--names-only",
            pattern,
        ]))?;
        let re = Regex::new(pattern).with_context(|| format!("package pattern {pattern}"))?;
        let names = out
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| re.is_match(name));
        names
            .max_by(|a, b| natural_cmp(a, b))
            .map(str::to_string)
            .with_context(|| format!("no package matches {pattern} in {}", self.dir.display()))
    }

    /// Installs `package` at `version` (its dependencies preferring `release`)
    /// with this configuration's sources, never removing anything (needs root).
    pub fn install_matching(&self, package: &str, version: &str, release: &str) -> Result<()> {
        if !self.has_lists() {
            self.update()?;
        }
        eprintln!("xtask: installing {package}={version} from {release}");
        run_checked(install_command().args(self.options()).args([
            "-t",
            release,
            &format!("{package}={version}"),
        ]))
    }

    /// Downloads `package` into `into`, returning the `.deb`'s path.
    pub fn download(&self, package: &str, into: &Path) -> Result<PathBuf> {
        run_checked(
            Command::new("apt-get")
                .args(self.options())
                .args(["download", "-q", package])
                .current_dir(into),
        )?;
        let prefix = format!("{package}_");
        let deb = fs::read_dir(into)?.flatten().map(|e| e.path()).find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".deb")
        });
        match deb {
            Some(path) => Ok(path),
            None => bail!(
                "apt-get download {package} left no .deb in {}",
                into.display()
            ),
        }
    }
}

fn remove_lists(lists: &Path) -> Result<()> {
    for entry in fs::read_dir(lists)?.flatten() {
        if entry.path().is_file() {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Orders strings with their digit runs compared as numbers (`6.1.0-9` < `6.1.0-57`).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                let na = trim_zeros(na);
                let nb = trim_zeros(nb);
                let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if order != Ordering::Equal {
                    return order;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_numbers_by_value() {
        let mut names = vec![
            "linux-image-6.1.0-57-cloud-amd64-unsigned",
            "linux-image-6.1.0-9-cloud-amd64-unsigned",
            "linux-image-6.1.0-100-cloud-amd64-unsigned",
            "linux-image-6.1.0-28-cloud-amd64-unsigned",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "linux-image-6.1.0-9-cloud-amd64-unsigned",
                "linux-image-6.1.0-28-cloud-amd64-unsigned",
                "linux-image-6.1.0-57-cloud-amd64-unsigned",
                "linux-image-6.1.0-100-cloud-amd64-unsigned",
            ]
        );
        assert_eq!(
            natural_cmp("6.12.9+deb12", "6.12.117+deb12"),
            Ordering::Less
        );
        assert_eq!(natural_cmp("a007", "a7"), Ordering::Equal);
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
    }
}
