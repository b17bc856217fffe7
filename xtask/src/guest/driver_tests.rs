//! The driver script, run natively with a fake corex: every path the guest takes
//! (foreground, digest, tracer with workload, a tracer that gives up, a hang) comes
//! back through the plan writer and the parser as the right result.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use crate::check;
use crate::protocol::{self, Digest, Stdout};
use crate::variants::{self, Arg, Capture, Paths, Scenario, Variant};

const FAKE_COREX: &str = r#"#!/bin/sh
case $1 in
echo) shift; printf '%s\n' "$@"; echo "to stderr: $#" >&2; exit 3 ;;
trace) echo "waiting for events" >&2; while :; do sleep 0.1; done ;;
early) echo "kprobe_multi: not supported by this kernel" >&2; exit 5 ;;
hang) exec sleep 30 ;;
esac
"#;

fn row(name: &str, args: &[&'static str], capture: Capture) -> Variant {
    Variant::new(
        name,
        &[Scenario::Btf],
        args.iter().map(|a| Arg::Lit(a)).collect(),
        capture,
        check::same_dump,
    )
}

fn tracer(name: &str, verb: &'static str, workload: &[&[&str]]) -> Variant {
    Variant {
        ready: Some("waiting for events".into()),
        workload: workload
            .iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect(),
        ..row(name, &[verb], Capture::Full)
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn driver_runs_every_kind_of_variant() {
    let dir = std::env::temp_dir().join(format!("xtask-driver-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let corex = dir.join("corex");
    fs::write(&corex, FAKE_COREX).unwrap();
    fs::set_permissions(&corex, fs::Permissions::from_mode(0o755)).unwrap();
    let rows = vec![
        row("fg", &["echo", "a", "b c"], Capture::Full),
        row("digest", &["echo", "a", "b c"], Capture::Digest),
        tracer("trace", "trace", &[&["true"], &["sh", "-c", "exit 7"]]),
        tracer("early", "early", &[&["true"]]),
        Variant {
            timeout_secs: 1,
            ..row("hang", &["hang"], Capture::Full)
        },
    ];
    for r in &rows {
        variants::validate(r).unwrap();
    }
    let paths = Paths {
        fixtures: dir.clone(),
        kernel_btf: PathBuf::from("/nonexistent"),
        modules: None,
    };
    let plan = dir.join("plan");
    fs::write(&plan, variants::plan(&rows, &paths)).unwrap();
    let driver = dir.join("driver.sh");
    fs::write(&driver, super::DRIVER).unwrap();
    // As root, in a mount namespace of its own: the driver mounts tracefs and bpffs.
    let mut cmd = if is_root() {
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh"]);
        c
    } else {
        Command::new("sh")
    };
    let out = cmd
        .arg(&driver)
        .arg(&plan)
        .env("COREX", &corex)
        .output()
        .unwrap();
    fs::remove_dir_all(&dir).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let report = protocol::parse(&text);
    assert!(report.done && report.hello.is_some(), "{text}");
    let run = |name: &str| {
        report.runs[&(Scenario::Btf, name.to_string())]
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"))
    };

    let fg = run("fg");
    assert_eq!(fg.exit, 3);
    assert_eq!(fg.stdout, Stdout::Full(b"a\nb c\n".to_vec()));
    assert_eq!(fg.stderr, b"to stderr: 2\n");
    assert_eq!(
        run("digest").stdout,
        Stdout::Digest(Digest::of(b"a\nb c\n"))
    );

    let trace = run("trace");
    assert_eq!(trace.ready, Some(true));
    let execs: Vec<(Vec<String>, i32)> = trace
        .execs
        .iter()
        .map(|e| (e.argv.clone(), e.status))
        .collect();
    assert_eq!(
        execs,
        [
            (vec!["true".to_string()], 0),
            (vec!["sh".into(), "-c".into(), "exit 7".into()], 7)
        ]
    );
    assert!(trace.execs.iter().all(|e| e.pid > 1));
    // Stopped by SIGINT, or by SIGTERM where the shell started it with SIGINT ignored.
    assert!([130, 143].contains(&trace.exit), "exit {}", trace.exit);
    assert!(!trace.timed_out);

    let early = run("early");
    assert_eq!(
        (early.ready, early.exit, early.timed_out),
        (Some(false), 5, false)
    );
    assert!(early.execs.is_empty());
    assert_eq!(
        early.stderr_line(),
        "kprobe_multi: not supported by this kernel"
    );

    let hang = run("hang");
    assert!(hang.timed_out);
    assert_eq!(hang.exit, 137);
}
