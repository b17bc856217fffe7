//! Runs on the host: the driver against the running kernel (the native column),
//! and the reference runs the checkers compare guest results with.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Result};

use crate::process::{run_with_deadline, Captured};
use crate::protocol::{Run, Stdout};

/// Runs the driver on the running kernel in a private mount namespace (the no-btf
/// scenario's tmpfs over /sys/kernel/btf stays inside it). Needs root.
pub fn native(corex: &Path, driver: &Path, plan: &Path, timeout: Duration) -> Result<Captured> {
    ensure!(
        std::fs::metadata("/proc/self").is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == 0
        }),
        "the native run needs root (it mounts a tmpfs over /sys/kernel/btf in a private mount namespace)"
    );
    run_with_deadline(
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh"])
            .arg(driver)
            .arg(plan)
            .env("COREX", corex),
        timeout,
    )
}

/// Runs corex with `argv` on the host, keeping all its output.
pub fn reference(corex: &Path, argv: &[String]) -> Result<Run, String> {
    let out = Command::new(corex)
        .args(argv)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", corex.display()))?;
    let exit = match out.status.code() {
        Some(code) => code,
        None => {
            return Err(format!(
                "corex {} was killed: {}",
                argv.join(" "),
                out.status
            ))
        }
    };
    Ok(Run {
        exit,
        stdout: Stdout::Full(out.stdout),
        stderr: out.stderr,
        ready: None,
        execs: Vec::new(),
        timed_out: false,
    })
}
