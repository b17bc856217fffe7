//! The checkers on right and wrong results: every way a guest can be wrong is a FAIL.

use super::*;
use crate::protocol::{Digest, Exec};
use crate::variants::{Capture, Scenario};

fn run(exit: i32, stdout: &[u8], stderr: &str) -> Run {
    Run {
        exit,
        stdout: Stdout::Full(stdout.to_vec()),
        stderr: stderr.as_bytes().to_vec(),
        ready: None,
        execs: Vec::new(),
        timed_out: false,
    }
}

fn check<'a>(guest: &'a Run, reference: &'a Run, features: Option<&'a [Feature]>) -> Check<'a> {
    Check {
        features,
        scenario: Scenario::NoBtf,
        guest,
        reference: Some(reference),
    }
}

const RELOCS: &str = r#"{"object": "/corex/fixtures/task.bpf.o", "btf": "/sys/kernel/btf/vmlinux", "relocations": [
 {"program": "p", "section": "s", "index": 0, "insn": 3, "kind": "byte_off", "local": "[2] struct task_struct.pid", "target": "[9] struct task_struct", "result": "patched", "old": 8, "new": 2512, "reason": null},
 {"program": "p", "section": "s", "index": 1, "insn": 7, "kind": "field_exists", "local": "[2] struct task_struct.nope", "target": null, "result": "patched", "old": 1, "new": 0, "reason": null}]}"#;

fn host_relocs() -> Run {
    run(
        0,
        RELOCS
            .replace("/corex/fixtures/task.bpf.o", "bpf/task.bpf.o")
            .replace("/sys/kernel/btf/vmlinux", "/cache/vmlinux.btf")
            .as_bytes(),
        "",
    )
}

#[test]
fn same_relocations_ignores_paths_and_accepts_equal_decisions() {
    let (g, h) = (run(0, RELOCS.as_bytes(), ""), host_relocs());
    assert_eq!(same_relocations(&check(&g, &h, None)), Verdict::ok(2, 2));
}

#[test]
fn a_different_decision_fails_naming_the_relocation_and_field() {
    let g = run(
        0,
        RELOCS.replace("\"new\": 2512", "\"new\": 2520").as_bytes(),
        "",
    );
    let v = same_relocations(&check(&g, &host_relocs(), None));
    assert_eq!(v.status, Status::Fail);
    let reason = v.reason.unwrap();
    assert!(
        reason.contains("relocation #0") && reason.contains("new 2520 here, 2512 on the host"),
        "{reason}"
    );
    assert!(reason.contains("struct task_struct.pid"), "{reason}");
}

#[test]
fn missing_relocations_broken_json_and_crashes_fail() {
    let h = host_relocs();
    let one = RELOCS.replace(
        r#",
 {"program": "p", "section": "s", "index": 1, "insn": 7, "kind": "field_exists", "local": "[2] struct task_struct.nope", "target": null, "result": "patched", "old": 1, "new": 0, "reason": null}"#,
        "",
    );
    let v = same_relocations(&check(&run(0, one.as_bytes(), ""), &h, None));
    assert_eq!((v.status, v.events, v.expected), (Status::Fail, 1, 2));
    let v = same_relocations(&check(&run(0, b"{\"relocations\": [", ""), &h, None));
    assert!(v.reason.unwrap().contains("does not parse"));
    let v = same_relocations(&check(&run(2, b"", "corex: task.bpf.o: bad ELF"), &h, None));
    assert!(v
        .reason
        .unwrap()
        .contains("corex exited 2 in the guest: corex: task.bpf.o: bad ELF"));
    let v = same_relocations(&check(&run(1, RELOCS.as_bytes(), ""), &h, None));
    assert!(v.reason.unwrap().contains("exited 1 here, 0 on the host"));
}

#[test]
fn same_dump_compares_digests_both_ways() {
    let text = b"[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n";
    let host = run(0, text, "");
    let digest_only = Run {
        stdout: Stdout::Digest(Digest::of(text)),
        ..run(0, b"", "")
    };
    assert_eq!(
        same_dump(&check(&digest_only, &host, None)),
        Verdict::ok(1, 1)
    );
    let other = Run {
        stdout: Stdout::Digest(Digest::of(b"[1] INT 'long' size=8\n[2] PTR\n")),
        ..digest_only.clone()
    };
    let v = same_dump(&check(&other, &host, None));
    assert_eq!((v.status, v.events, v.expected), (Status::Fail, 2, 1));
    assert!(v.reason.unwrap().contains("differs from the host's"));
    let v = same_dump(&check(
        &run(2, b"", "corex: /sys/kernel/btf/vmlinux: bad magic"),
        &host,
        None,
    ));
    assert!(v.reason.unwrap().contains("bad magic"));
    let v = same_dump(&check(&digest_only, &run(2, b"", "corex: no file"), None));
    assert!(v.reason.unwrap().contains("on the host: corex: no file"));
}

#[test]
fn enum64_follows_the_kernel_table() {
    let with = b"[5] ENUM64 'x' encoding=UNSIGNED size=8 vlen=1\n\t'A' val=1\n";
    let (present, absent) = (run(0, with, ""), run(0, b"", ""));
    let yes: &[Feature] = &[Feature::BtfEnum64];
    let no: &[Feature] = &[];
    assert_eq!(
        enum64_types(&check(&present, &present, Some(yes))),
        Verdict::ok(1, 1)
    );
    let v = enum64_types(&check(&absent, &absent, Some(no)));
    assert_eq!(v.status, Status::Unsupported);
    assert!(v
        .reason
        .unwrap()
        .starts_with("BTF_KIND_ENUM64: no ENUM64 type"));
    assert_eq!(
        enum64_types(&check(&present, &present, Some(no))).status,
        Status::Fail
    );
    assert_eq!(
        enum64_types(&check(&absent, &absent, Some(yes))).status,
        Status::Fail
    );
    // The running kernel: judged by what it shows.
    assert_eq!(
        enum64_types(&check(&absent, &absent, None)).status,
        Status::Unsupported
    );
    assert_eq!(
        enum64_types(&check(&present, &present, None)).status,
        Status::Ok
    );
    // Different types than the host's BTF.
    assert_eq!(
        enum64_types(&check(&absent, &present, Some(yes))).status,
        Status::Fail
    );
}

#[test]
fn hidden_btf_must_be_named_in_the_error() {
    let none = run(0, b"", "");
    let named = run(
        2,
        b"",
        "corex: /sys/kernel/btf/vmlinux: cannot read: No such file or directory (os error 2)\n",
    );
    let vague = run(2, b"", "corex: error\n");
    let c = |g| Check {
        features: None,
        scenario: Scenario::NoBtf,
        guest: g,
        reference: None,
    };
    assert_eq!(kernel_btf_missing(&c(&named)), Verdict::ok(0, 0));
    assert_eq!(kernel_btf_missing(&c(&none)).status, Status::Fail);
    assert!(kernel_btf_missing(&c(&vague))
        .reason
        .unwrap()
        .contains("without naming"));
}

#[test]
fn judge_fails_missing_timed_out_and_broken_workload_runs() {
    let row = Variant::new(
        "btf:dump",
        Scenario::ALL,
        vec![],
        Capture::Digest,
        same_dump,
    );
    let good = run(0, b"x\n", "");
    assert_eq!(
        judge(&row, None, Scenario::Btf, Ok(&good), Some(Ok(&good))).status,
        Status::Ok
    );
    let v = judge(
        &row,
        None,
        Scenario::Btf,
        Err("kernel did not boot"),
        Some(Ok(&good)),
    );
    assert_eq!(v.reason.as_deref(), Some("kernel did not boot"));
    let slow = Run {
        timed_out: true,
        ..good.clone()
    };
    assert!(judge(&row, None, Scenario::Btf, Ok(&slow), Some(Ok(&good)))
        .reason
        .unwrap()
        .contains("did not finish in 120 s"));
    let bad_exec = Run {
        execs: vec![Exec {
            pid: 9,
            status: 127,
            argv: vec!["/bin/nope".into(), "a".into()],
        }],
        ..good.clone()
    };
    assert!(
        judge(&row, None, Scenario::Btf, Ok(&bad_exec), Some(Ok(&good)))
            .reason
            .unwrap()
            .contains("`/bin/nope a` exited 127")
    );
    let v = judge(
        &row,
        None,
        Scenario::Btf,
        Ok(&good),
        Some(Err("cannot run corex")),
    );
    assert_eq!(
        v.reason.as_deref(),
        Some("host reference run: cannot run corex")
    );
}
