//! The harness can fail: `cargo xtask kernels --self-test-broken-object` runs
//! `bpf/broken/hardcoded_pid.bpf.o` (the exec'ing task's pid read at the offset of the
//! kernel its vmlinux.h came from, no CO-RE) on Debian's 6.1 under qemu and on the
//! running kernel. The matrix must say FAIL for 6.1, naming the wrong pid it read,
//! ok for the running kernel, and exit 1. Needs root, qemu and the kernel cache
//! (fetched on first use); the normal matrix does not hold this row.

use std::path::Path;
use std::process::Command;

#[test]
fn the_broken_object_fails_where_its_fixed_offset_is_wrong() {
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let out = Command::new(xtask)
        .args(["kernels", "--self-test-broken-object"])
        .args(["--kernel", "debian-6.1", "--kernel", "native"])
        .output()
        .expect("runs xtask");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the matrix must fail (exit 1)\n{stdout}\n{stderr}"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(Into::into)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let json = std::fs::read(target.join("kernels/self-test-matrix.json")).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
    let row = |kernel: &str| {
        rows.iter()
            .find(|r| r["kernel"] == kernel && r["variant"] == "run:hardcoded_pid")
            .unwrap_or_else(|| panic!("no {kernel} row in {rows:?}"))
    };
    let debian = row("debian-6.1");
    assert_eq!(debian["status"], "fail", "{debian}");
    let reason = debian["reason"].as_str().unwrap();
    assert!(
        reason.contains("/bin/true corex-broken-1") && reason.contains("the program read pid"),
        "{reason}"
    );
    let native = row("native");
    assert_eq!(native["status"], "ok", "{native}");
    assert_eq!(
        (native["events"].as_u64(), native["expected"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(
        stdout.contains("FAIL debian-6.1 btf run:hardcoded_pid"),
        "{stdout}"
    );
    // One row per kernel asked for, in self-test-matrix.json (matrix.json is left alone).
    assert_eq!(rows.len(), 2);
}
