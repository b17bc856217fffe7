//! Test support shared by the corex crates' tests: where fixtures live and how
//! to run the oracle tools. Missing fixtures are a test failure with a message
//! that says how to get them, never a silent skip.

pub mod archive;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/testkit sits two levels below the root")
        .to_path_buf()
}

/// Directory of kernels fetched by `scripts/fetch-kernels.sh`
/// (`$COREX_KERNELS`, default `<root>/.cache/kernels`).
pub fn kernels_dir() -> PathBuf {
    std::env::var_os("COREX_KERNELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".cache/kernels"))
}

/// A fetched kernel's file, e.g. `kernel_file("debian-6.1", "vmlinux.btf")`.
/// Panics, saying how to fetch it, if it is missing.
pub fn kernel_file(kernel: &str, file: &str) -> PathBuf {
    let p = kernels_dir().join(kernel).join(file);
    assert!(
        p.exists(),
        "missing fixture {}: run scripts/fetch-kernels.sh first",
        p.display()
    );
    p
}

/// Runs a command and returns its stdout; panics with its stderr on failure.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `bpftool ARGS...`'s stdout (Debian's bpftool 7.1 is the oracle).
pub fn bpftool(args: &[&str]) -> Vec<u8> {
    run(Command::new("bpftool").args(args))
}

/// A command that runs `program` as `nobody`, without any capability
/// (`setpriv`): how tests see what an unprivileged user is told. Needs
/// root; `program` must be readable and executable by `nobody`.
pub fn as_nobody(program: &Path) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
    ])
    .arg(program);
    cmd
}

/// Builds the C program `src` into `out` (`$CC`, else `cc`, with `-O2
/// -Wall -Wextra -Werror` and `args` after the source, e.g. libraries).
/// Built under a private name, then renamed, as test processes may race.
/// Panics, saying what the build needs, if it fails.
pub fn compile_c(src: &Path, out: &Path, args: &[&str]) {
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&cc)
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&tmp)
        .arg(src)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        status.success(),
        "building {} failed (needs a C compiler and Debian's libbpf-dev, libelf-dev, zlib1g-dev)",
        src.display()
    );
    std::fs::rename(&tmp, out).unwrap_or_else(|e| panic!("rename to {}: {e}", out.display()));
}

/// A command that runs `program` with its address space (`RLIMIT_AS`)
/// limited to `limit_bytes`, through `sh -c 'ulimit -v ...'` (test code
/// needs no `unsafe` `pre_exec`): a process that needs more fails to
/// allocate (and aborts) instead of taking the machine. Add the program's
/// arguments with `.args(...)`.
pub fn with_address_space_limit(limit_bytes: u64, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -v "$1" && shift && exec "$@""#)
        .arg("sh")
        .arg((limit_bytes / 1024).to_string())
        .arg(program);
    cmd
}
