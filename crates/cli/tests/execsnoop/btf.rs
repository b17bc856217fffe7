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

/// A kernel without BTF (issue 11 part 3): corex execsnoop in a private
/// mount namespace where /sys/kernel/btf is an empty tmpfs, no --btf, no
/// --btf-archive. The BTF built into corex for this kernel (made from this
/// kernel's BTF by bpf/execsnoop/btf/rebuild.sh; execsnoop_btf_fresh.rs
/// proves the committed file is that) serves every program: it says which,
/// events are exact with -x in both buffers, and nothing is left. Then
/// --btf-archive with a tree holding this kernel's file. On a kernel with no
/// embedded BTF, the refusal (how to proceed) is what is checked.
#[test]
fn embedded_btf_on_a_kernel_without_btf() {
    let _serial = serial();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let release = release.trim();
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    };
    let Some(embedded) = corex_execsnoop::embedded_btf(release, arch) else {
        let mut refused = Execsnoop::spawn_without_kernel_btf(&["--json"]);
        let (status, _) = refused.wait();
        assert_ne!(status.code(), Some(0));
        let said = refused.stderr_seen.join("\n");
        for words in [
            format!("this kernel ({release} on {arch}) has no BTF of its own"),
            "--btf FILE".to_owned(),
            "--btf-archive DIR".to_owned(),
        ] {
            assert!(said.contains(&words), "{words:?} not in {said}");
        }
        eprintln!("no BTF is built in for {release} on {arch}: its refusal was checked instead");
        return;
    };
    for buffer in ["ringbuf", "perf"] {
        let tracer = Execsnoop::start_without_kernel_btf(&["--json", "-x", "--buffer", buffer]);
        let said = format!(
            "corex execsnoop: this kernel has no BTF of its own (/sys/kernel/btf/vmlinux is \
             missing): CO-RE against the BTF built into corex for {release} on {arch} ({} bytes)",
            embedded.btf.len()
        );
        assert_eq!(tracer.stderr_seen[0], said, "{:#?}", tracer.stderr_seen);
        let expected = make_execs(20, true);
        let (events, _) = tracer.stop_json();
        for e in &expected {
            check(e, &events);
        }
    }
    assert!(
        std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
        "the empty tmpfs must stay in the child's mount namespace"
    );

    // --btf-archive on the same kernel: the tree's file for this release.
    let archive = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("execsnoop-archive");
    let file = archive.join(format!("distro/1/{arch}/{release}.btf"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, embedded.btf).unwrap();
    let tracer = Execsnoop::start_without_kernel_btf(&[
        "--json",
        "--btf-archive",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(
        tracer.stderr_seen[0],
        format!(
            "corex execsnoop: --btf-archive: CO-RE against {} (kernel {release}, {arch})",
            file.display()
        )
    );
    reports_one_exec(tracer, "--btf-archive without kernel BTF");
}
