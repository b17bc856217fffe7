//! CO-RE against BTF the kernel did not provide: `--btf FILE`, a minimized
//! BTF, `--btf-archive DIR`.

use std::process::Command;

use super::{check, make_execs, reports_one_exec};
use crate::support::*;

/// `--btf FILE`: CO-RE against a BTF file instead of the kernel's (a copy
/// of this kernel's here, so the events must be exact); a file that is not
/// BTF is named in the error. The same BTF minimized for execsnoop's objects
/// serves as well. `--btf-archive` keeps the kernel's own BTF where it has
/// one.
#[test]
fn external_btf() {
    let _serial = serial();
    let btf = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("execsnoop-vmlinux.btf");
    std::fs::copy("/sys/kernel/btf/vmlinux", &btf).unwrap();
    let tracer = Execsnoop::start(&["--json", "--btf", btf.to_str().unwrap()]);
    reports_one_exec(tracer, "CO-RE against --btf");

    // What a kernel without BTF would be given (issue 11's embedded and
    // archived BTFs): this kernel's BTF minimized for the two objects by
    // `corex minimize` serves every relocation, with -x, in both buffers.
    let objects = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bpf/execsnoop");
    let minimized =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("execsnoop-minimized.btf");
    let status = Command::new(env!("CARGO_BIN_EXE_corex"))
        .arg("minimize")
        .arg(objects.join("execsnoop.bpf.o"))
        .arg(objects.join("execsnoop_perf.bpf.o"))
        .args(["--btf", "/sys/kernel/btf/vmlinux", "-o"])
        .arg(&minimized)
        .status()
        .unwrap();
    assert!(status.success());
    let full = std::fs::metadata("/sys/kernel/btf/vmlinux").unwrap().len();
    let small = std::fs::metadata(&minimized).unwrap().len();
    assert!(small * 100 < full, "{small} bytes minimized of {full}");
    for buffer in ["ringbuf", "perf"] {
        let args = [
            "--json",
            "-x",
            "--buffer",
            buffer,
            "--btf",
            minimized.to_str().unwrap(),
        ];
        let tracer = Execsnoop::start(&args);
        let expected = make_execs(20, true);
        let (events, _) = tracer.stop_json();
        for e in &expected {
            check(e, &events);
        }
    }

    // --btf-archive on a kernel with BTF of its own: the kernel's is used,
    // and said so (the archive, empty here, is not even listed).
    let archive = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("execsnoop-empty-archive");
    std::fs::create_dir_all(&archive).unwrap();
    let tracer = Execsnoop::start(&["--json", "--btf-archive", archive.to_str().unwrap()]);
    assert!(
        tracer.stderr_seen[0].contains(
            "--btf-archive: this kernel has its own BTF (/sys/kernel/btf/vmlinux), used instead"
        ),
        "{:#?}",
        tracer.stderr_seen
    );
    reports_one_exec(tracer, "--btf-archive with kernel BTF");

    let not_btf = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut bad = Execsnoop::spawn(&["--btf", not_btf.to_str().unwrap()]);
    let (status, _) = bad.wait();
    assert_ne!(status.code(), Some(0));
    let said = bad.stderr_seen.join("\n");
    assert!(said.contains("Cargo.toml"), "{said}");
}
