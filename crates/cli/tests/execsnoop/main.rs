//! `corex execsnoop` on this kernel (needs root): for each attach mode the
//! kernel supports and each buffer, `corex execsnoop --json` runs as a
//! child while a driver makes execs (unique arguments, long ones, exactly
//! and one more than `--max-args`, bytes that are not UTF-8, execveat on a
//! directory fd and on the file's own fd, an exec from a non-leader thread,
//! failing execve and execveat), and every field of every event is compared
//! with what the exec'd process itself saw in /proc (comm, cmdline, pid)
//! under the BPF side's documented limits. The modes this kernel lacks fail
//! with the sentence that says what is missing, and `auto` and mode lists
//! fall back. Filters, text escaping, drops, signals and clean-up too:
//! after every run, the programs, maps and links the child held are gone.

mod btf;
mod staging;
mod support;
#[path = "../../../sys/tests/support/mod.rs"]
mod sys_support;

use std::process::Command;

use serde_json::Value;
use support::*;

/// One exec the tracer must have reported, exactly.
struct Expected {
    what: &'static str,
    pid: u32,
    tag: String,
    tid: u32,
    comm: Vec<u8>,
    path: Vec<u8>,
    args: Vec<Vec<u8>>,
    retval: i64,
    flags: Vec<&'static str>,
    uid: u64,
    /// Events of that pid with that tag: the driver's own spawn is one
    /// too, when reported; the expected event is the last.
    execs: usize,
}

impl Expected {
    /// The exec follows the driver's own (reported) spawn.
    fn after_spawn(mut self) -> Expected {
        self.execs = 2;
        self
    }
}

fn driver_path() -> Vec<u8> {
    driver().as_os_str().as_encoded_bytes().to_vec()
}

fn driver_name() -> &'static str {
    "corex-es-driver"
}

/// A successful exec whose process reported itself: its comm and cmdline
/// are the truth the event must match (cmdline under `max_args` and the
/// 4096-byte limit).
fn reported(
    what: &'static str,
    run: &DriverRun,
    tag: &str,
    path: Vec<u8>,
    max_args: usize,
) -> Expected {
    let (pid, comm, cmdline) = run.report();
    assert_eq!(pid, run.pid, "{what}: the driver execs in place");
    let (args, flags) = expected_args(&cmdline_strings(&cmdline), max_args);
    Expected {
        what,
        pid,
        tag: tag.to_owned(),
        tid: pid,
        comm,
        path,
        args,
        retval: 0,
        flags,
        uid: 0,
        execs: 1,
    }
}

/// A failed exec: reported with the caller's comm and what it passed.
fn failed(
    what: &'static str,
    run: &DriverRun,
    tag: &str,
    path: &[u8],
    args: &[&[u8]],
    flags: Vec<&'static str>,
) -> Expected {
    Expected {
        what,
        pid: run.pid,
        tag: tag.to_owned(),
        tid: run.pid,
        comm: driver_name().as_bytes().to_vec(),
        path: path.to_vec(),
        args: args.iter().map(|a| a.to_vec()).collect(),
        retval: -run.value("errno"),
        flags,
        uid: 0,
        execs: 1,
    }
}

fn check(expected: &Expected, events: &[Value]) {
    let what = expected.what;
    let mut found = events_of(events, expected.pid, &expected.tag);
    found.sort_by_key(|e| e["ktime_ns"].as_u64());
    assert_eq!(
        found.len(),
        expected.execs,
        "{what}: events for pid {} with {}: {found:#?}",
        expected.pid,
        expected.tag
    );
    let e = found[expected.execs - 1];
    assert_eq!(e["tid"], expected.tid, "{what}: tid");
    assert_eq!(e["ppid"], std::process::id(), "{what}: ppid");
    assert_eq!(e["uid"], expected.uid, "{what}: uid");
    assert_eq!(exact(e, "comm"), expected.comm, "{what}: comm");
    assert_eq!(exact(e, "path"), expected.path, "{what}: path");
    assert_eq!(exact_args(e), expected.args, "{what}: args");
    assert_eq!(e["retval"], expected.retval, "{what}: retval");
    let flags: Vec<&str> = e["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(flags, expected.flags, "{what}: flags");
    let error = match expected.retval {
        0 => Value::Null,
        -2 => "ENOENT".into(),
        -13 => "EACCES".into(),
        other => panic!("{what}: unexpected errno {other}"),
    };
    assert_eq!(e["error"], error, "{what}: error");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128;
    let stamped = e["time_unix_ns"].as_u64().unwrap() as i128;
    assert!(
        (now - stamped).abs() < 600_000_000_000,
        "{what}: time_unix_ns {stamped} is not around {now}"
    );
}

/// Makes every kind of exec; returns what each must be reported as.
fn make_execs(max_args: usize, failures: bool) -> Vec<Expected> {
    let exe = driver_path();
    let mut expected = Vec::new();

    let t = tag("unique");
    let run = run_driver(&["report", &t, "two words", "x"]);
    expected.push(reported(
        "unique arguments",
        &run,
        &t,
        exe.clone(),
        max_args,
    ));

    let t = tag("long");
    let run = run_driver(&["report", &t, &"a".repeat(3000)]);
    expected.push(reported(
        "a 3000-byte argument",
        &run,
        &t,
        exe.clone(),
        max_args,
    ));

    let t = tag("cut");
    let run = run_driver(&["report", &t, &"b".repeat(3000), &"c".repeat(2000)]);
    let cut = reported("arguments over 4096 bytes", &run, &t, exe.clone(), max_args);
    assert_eq!(cut.flags, ["args_cut"]);
    expected.push(cut);

    for (what, count) in [
        ("exactly --max-args arguments", max_args),
        ("one more than --max-args", max_args + 1),
    ] {
        let t = tag("count");
        let mut args = vec!["report".to_owned(), t.clone()];
        args.extend((args.len() + 1..count).map(|i| format!("arg{i}")));
        let run = run_driver(&args);
        let e = reported(what, &run, &t, exe.clone(), max_args);
        assert_eq!(e.args.len(), max_args, "{what}");
        expected.push(e);
    }

    let t = tag("bytes");
    let run = run_driver(&[
        os(b"report"),
        os(t.as_bytes()),
        os(b"\xff\xfe not utf-8"),
        os(b"\x1b[31mred\x1b[0m"),
        os(b"tab\tnewline\n"),
        os(b""),
        os(b"caf\xc3\xa9"),
    ]);
    expected.push(reported(
        "non-UTF-8 and control bytes",
        &run,
        &t,
        exe.clone(),
        max_args,
    ));

    let dir = driver().parent().unwrap().as_os_str().to_owned();
    let t = tag("execveat-dir");
    let run = run_driver(&[
        os(b"execveat-dir"),
        dir.clone(),
        driver_name().into(),
        "renamed".into(),
        "report".into(),
        t.clone().into(),
    ]);
    let path = format!("/dev/fd/{}/{}", run.value("fd"), driver_name()).into_bytes();
    expected.push(reported("execveat on a directory fd", &run, &t, path, max_args).after_spawn());

    let t = tag("execveat-fd");
    let run = run_driver(&[
        os(b"execveat-fd"),
        driver().as_os_str().to_owned(),
        "argv0".into(),
        "report".into(),
        t.clone().into(),
    ]);
    let path = format!("/dev/fd/{}", run.value("fd")).into_bytes();
    expected.push(reported("execveat with AT_EMPTY_PATH", &run, &t, path, max_args).after_spawn());

    let t = tag("thread");
    let run = run_driver(&[
        os(b"thread"),
        driver().as_os_str().to_owned(),
        "from-thread".into(),
        "report".into(),
        t.clone().into(),
    ]);
    assert_ne!(
        run.value("tid"),
        i64::from(run.pid),
        "the exec came from a non-leader thread"
    );
    expected.push(
        reported(
            "an exec from a non-leader thread",
            &run,
            &t,
            exe.clone(),
            max_args,
        )
        .after_spawn(),
    );

    let t = tag("mapped");
    let run = run_driver(&[
        os(b"execve-mapped"),
        driver().as_os_str().to_owned(),
        "mapped-argv0".into(),
        "report".into(),
        t.clone().into(),
        "not resident at syscall entry".into(),
    ]);
    assert_eq!(run.value("mapped"), 1);
    expected.push(
        reported(
            "arguments not resident at syscall entry",
            &run,
            &t,
            exe.clone(),
            max_args,
        )
        .after_spawn(),
    );

    if failures {
        let t = tag("enoent");
        let missing = format!("/nonexistent/{t}");
        let run = run_driver(&["execve", &missing, "x", &t]);
        assert_eq!(run.value("errno"), 2);
        expected.push(
            failed(
                "a failing execve (ENOENT)",
                &run,
                &t,
                missing.as_bytes(),
                &[b"x", t.as_bytes()],
                vec![],
            )
            .after_spawn(),
        );

        let t = tag("eacces");
        let file = std::env::temp_dir().join(format!("{t}.not-executable"));
        std::fs::write(&file, b"#!/bin/sh\n").unwrap();
        let run = run_driver(&[
            os(b"execve"),
            file.as_os_str().to_owned(),
            "y".into(),
            t.clone().into(),
        ]);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(run.value("errno"), 13);
        expected.push(
            failed(
                "a failing execve (EACCES)",
                &run,
                &t,
                file.as_os_str().as_encoded_bytes(),
                &[b"y", t.as_bytes()],
                vec![],
            )
            .after_spawn(),
        );

        let t = tag("execveat-enoent");
        let name = format!("missing-{t}");
        let run = run_driver(&[
            os(b"execveat-dir"),
            dir,
            name.clone().into(),
            "z".into(),
            t.clone().into(),
        ]);
        assert_eq!(run.value("errno"), 2);
        expected.push(
            failed(
                "a failing execveat",
                &run,
                &t,
                name.as_bytes(),
                &[b"z", t.as_bytes()],
                vec!["execveat"],
            )
            .after_spawn(),
        );
    }
    expected
}

/// Makes one exec, stops `tracer` and checks that the exec was reported
/// exactly (with the default `--max-args`).
fn reports_one_exec(tracer: Execsnoop, what: &'static str) {
    let t = tag("one");
    let run = run_driver(&["report", &t, what]);
    let (events, _) = tracer.stop_json();
    check(&reported(what, &run, &t, driver_path(), 20), &events);
}

/// Traces with `mode` and `buffer`, `-x`, `--max-args 60`: every exec is
/// reported exactly, nothing is lost, nothing is left.
fn every_exec_exactly(mode: &str, buffer: &str) {
    let _serial = serial();
    let tracer = Execsnoop::start(&[
        "--json",
        "-x",
        "--max-args",
        "60",
        "--attach",
        mode,
        "--buffer",
        buffer,
    ]);
    let line = tracer.stderr_seen.last().unwrap().clone();
    assert!(
        line.contains(&format!("tracing execs with {mode}")),
        "{line}"
    );
    assert!(
        line.contains(if buffer == "perf" {
            "perf buffer"
        } else {
            "ring buffer"
        }),
        "{line}"
    );
    let expected = make_execs(60, true);
    let (events, stderr) = tracer.stop_json();
    for e in &expected {
        check(e, &events);
    }
    assert!(
        stderr.iter().any(|l| l.ends_with("; lost: none")),
        "{stderr:#?}"
    );
}

#[test]
fn tracepoint_ring_buffer() {
    every_exec_exactly("tracepoint", "ringbuf");
}

#[test]
fn raw_tracepoint_ring_buffer() {
    every_exec_exactly("raw_tracepoint", "ringbuf");
}

#[test]
fn tp_btf_ring_buffer() {
    every_exec_exactly("tp_btf", "ringbuf");
}

#[test]
fn tracepoint_perf_buffer() {
    every_exec_exactly("tracepoint", "perf");
}

#[test]
fn raw_tracepoint_perf_buffer() {
    every_exec_exactly("raw_tracepoint", "perf");
}

#[test]
fn tp_btf_perf_buffer() {
    every_exec_exactly("tp_btf", "perf");
}

/// The defaults: 20 arguments, successful execs only; `--failed-only`:
/// failures only.
#[test]
fn default_max_args_and_which_outcomes() {
    let _serial = serial();
    let tracer = Execsnoop::start(&["--json"]);
    let expected = make_execs(20, false);
    let t = tag("not-reported");
    let failing = run_driver(&["execve", &format!("/nonexistent/{t}"), "x", &t]);
    let (events, _) = tracer.stop_json();
    for e in &expected {
        check(e, &events);
    }
    assert_eq!(
        events_of(&events, failing.pid, &t).len(),
        1,
        "the driver's spawn, not its failed exec: failed execs need -x"
    );

    let tracer = Execsnoop::start(&["--json", "--failed-only"]);
    let t = tag("failed-only");
    let missing = format!("/nonexistent/{t}");
    let failing = run_driver(&["execve", &missing, "x", &t]);
    let t2 = tag("success-not-reported");
    let ok = run_driver(&["report", &t2]);
    let (events, _) = tracer.stop_json();
    check(
        &failed(
            "--failed-only",
            &failing,
            &t,
            missing.as_bytes(),
            &[b"x", t.as_bytes()],
            vec![],
        ),
        &events,
    );
    assert!(
        events_of(&events, ok.pid, &t2).is_empty(),
        "--failed-only reports no success"
    );
}

/// kprobe, kprobe_multi and fentry fail here with what the kernel lacks;
/// a list of modes falls back past them, and auto takes the best.
#[test]
fn modes_this_kernel_lacks() {
    let _serial = serial();
    for (mode, says) in [
        (
            "fentry",
            "fentry needs BPF trampolines, which this kernel refused: EPERM",
        ),
        (
            "kprobe_multi",
            "this kernel has no fprobe (CONFIG_FPROBE is off)",
        ),
        (
            "kprobe",
            "this kernel has no kprobes (CONFIG_KPROBES is off)",
        ),
    ] {
        let mut run = Execsnoop::spawn(&["--attach", mode]);
        let (status, out) = run.wait();
        assert_eq!(status.code(), Some(1), "{mode}: {:#?}", run.stderr_seen);
        assert!(out.is_empty(), "{mode}: no header without a tracer");
        let line = run.stderr_seen.join("\n");
        assert!(
            line.starts_with(&format!("corex execsnoop: --attach {mode}: ")),
            "{line}"
        );
        assert!(line.contains(says), "{mode}: {line}");
    }

    let tracer = Execsnoop::start(&["--json", "--attach", "fentry,kprobe_multi,kprobe,tp_btf"]);
    let stderr = tracer.stderr_seen.clone();
    assert!(
        stderr[0].starts_with("corex execsnoop: fentry cannot be used: ")
            && stderr[0].contains("BPF trampolines"),
        "{stderr:#?}"
    );
    assert!(
        stderr[1].starts_with("corex execsnoop: kprobe_multi cannot be used: ")
            && stderr[1].contains("fprobe"),
        "{stderr:#?}"
    );
    assert!(
        stderr[2].starts_with("corex execsnoop: kprobe cannot be used: ")
            && stderr[2].contains("no kprobes"),
        "{stderr:#?}"
    );
    assert!(
        stderr[3].contains(
            "tracing execs with tp_btf (the first of those asked for this kernel supports)"
        ),
        "{stderr:#?}"
    );
    reports_one_exec(tracer, "after the fallback");

    let tracer = Execsnoop::start(&["--json"]);
    assert_eq!(tracer.stderr_seen.len(), 1, "{:#?}", tracer.stderr_seen);
    assert!(tracer.stderr_seen[0].contains(
        "tracing execs with raw_tracepoint (auto: the first this kernel supports of raw_tracepoint, tp_btf, tracepoint, fentry, kprobe_multi, kprobe)"
    ));
    tracer.stop_json();
}

/// Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
/// /sys/fs/cgroup/unified beside v1 controllers).
fn cgroup2_mount() -> std::path::PathBuf {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    mounts
        .lines()
        .find_map(|l| {
            let mut fields = l.split(' ');
            let (_, dir, kind) = (fields.next()?, fields.next()?, fields.next()?);
            (kind == "cgroup2").then(|| dir.into())
        })
        .expect("a cgroup v2 hierarchy is mounted")
}

/// `-u` and `-c` filter in the kernel: only the nobody exec, only the exec
/// in the cgroup.
#[test]
fn uid_and_cgroup_filters() {
    let _serial = serial();
    let tracer = Execsnoop::start(&["--json", "-u", "nobody"]);
    let t = tag("as-nobody");
    let nobody = run_driver_as(
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(driver())
            .args(["report", &t]),
    );
    let t_root = tag("as-root");
    let root = run_driver(&["report", &t_root]);
    let (events, _) = tracer.stop_json();
    let mut e = reported("-u nobody", &nobody, &t, driver_path(), 20);
    e.uid = 65534;
    // setpriv execs the driver: its own exec is the event's parent's.
    let found = events_of(&events, nobody.pid, &t);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["uid"], 65534);
    assert_eq!(exact_args(found[0]), e.args);
    assert!(events.iter().all(|e| e["uid"] == 65534), "only uid 65534");
    assert!(events_of(&events, root.pid, &t_root).is_empty());

    let cgroup = cgroup2_mount().join(format!("corex-execsnoop-test-{}", std::process::id()));
    std::fs::create_dir(&cgroup).unwrap();
    let tracer = Execsnoop::start(&["--json", "-c", cgroup.to_str().unwrap()]);
    let t = tag("in-cgroup");
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec \"$0\" report {t}",
        cgroup.display()
    );
    let inside = run_driver_as(Command::new("sh").args(["-c", &script]).arg(driver()));
    let t_out = tag("outside");
    let outside = run_driver(&["report", &t_out]);
    let (events, _) = tracer.stop_json();
    std::fs::remove_dir(&cgroup).unwrap();
    assert_eq!(events_of(&events, inside.pid, &t).len(), 1, "{events:#?}");
    assert!(events_of(&events, outside.pid, &t_out).is_empty());
    assert!(
        events.iter().all(|e| e["pid"] == inside.pid),
        "only the cgroup's execs: {events:#?}"
    );

    let mut bad = Execsnoop::spawn(&["-c", "/tmp"]);
    let (status, _) = bad.wait();
    assert_eq!(status.code(), Some(1));
    let said = bad.stderr_seen.join("\n");
    assert!(
        said.contains("cgroup /tmp: not a cgroup v2 directory"),
        "{said}"
    );
}

/// Text mode: the header, libbpf-tools' columns, and a hostile argv
/// escaped so that no control byte reaches the terminal.
#[test]
fn text_output_escapes_hostile_arguments() {
    let _serial = serial();
    let tracer = Execsnoop::start(&["-U", "-q"]);
    let t = tag("text");
    let run = run_driver(&[
        os(b"report"),
        os(t.as_bytes()),
        os(b"\x1b]0;owned\x07"),
        os(b"\xff\n\"q\""),
    ]);
    let mut tracer = tracer;
    let (status, out) = tracer.signal_and_wait("TERM");
    assert!(status.success());
    tracer.assert_nothing_left();
    let text = String::from_utf8(out).expect("text output is UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("UID    PCOMM            PID    PPID   RET ARGS")
    );
    assert!(
        !text.bytes().any(|b| (b < 0x20 && b != b'\n') || b == 0x7f),
        "no control bytes: {text:?}"
    );
    let line = text.lines().find(|l| l.contains(&t)).unwrap();
    let expected = format!(
        "0      corex-es-driver  {:<6} {:<6}   0 \"{}\" \"report\" \"{t}\" \"\\x1b]0;owned\\x07\" \"\\xff\\n\\\"q\\\"\"",
        run.pid,
        std::process::id(),
        driver().display()
    );
    assert_eq!(line, expected);
}

/// A reader that cannot keep up: the kernel's count of lost execs is
/// reported on stderr as it happens and in the summary, and the execs seen
/// plus those lost cover every exec made.
#[test]
fn drops_are_counted_and_reported() {
    let _serial = serial();
    for buffer in ["ringbuf", "perf"] {
        let mut tracer = Execsnoop::start(&["--json", "--buffer", buffer]);
        send_signal(tracer.child.id(), "STOP");
        // 4 KiB of arguments each: 600 fill 2.4 MiB, more than the ring
        // buffer's 2 MiB or a CPU's 256 KiB perf ring.
        let big = "d".repeat(4000);
        let mut pids = Vec::new();
        for _ in 0..600 {
            let t = tag("flood");
            pids.push((run_driver(&["report", &t, &big]).pid, t));
        }
        send_signal(tracer.child.id(), "CONT");
        tracer.stderr_with("execs lost in the kernel");
        let (status, out) = tracer.signal_and_wait("INT");
        assert!(status.success());
        tracer.assert_nothing_left();
        let events: Vec<Value> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        let seen = pids
            .iter()
            .filter(|(pid, t)| !events_of(&events, *pid, t).is_empty())
            .count();
        let summary = tracer
            .stderr_seen
            .iter()
            .find(|l| l.contains("execs shown"))
            .unwrap();
        let lost: usize = summary
            .split("lost: ")
            .nth(1)
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{buffer}: {summary}"));
        assert!(lost > 0, "{buffer}: {summary}");
        assert!(
            seen + lost >= pids.len(),
            "{buffer}: {seen} seen + {lost} lost < {} made",
            pids.len()
        );
    }
}

/// SIGHUP (the terminal went away) ends it as Ctrl-C does, with the
/// summary; SIGKILL: the kernel closes the fds, and everything goes.
#[test]
fn killed_leaves_nothing() {
    let _serial = serial();
    let mut hung_up = Execsnoop::start(&["--json"]);
    let (status, _) = hung_up.signal_and_wait("HUP");
    assert!(status.success(), "{status}: {:#?}", hung_up.stderr_seen);
    assert!(
        hung_up
            .stderr_seen
            .iter()
            .any(|l| l.contains("execs shown")),
        "{:#?}",
        hung_up.stderr_seen
    );
    hung_up.assert_nothing_left();

    let mut tracer = Execsnoop::start(&["-x"]);
    let kinds: Vec<_> = tracer.ids.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == corex_sys::ObjectKind::Link)
            .count(),
        5,
        "{:?}",
        tracer.ids
    );
    let (status, _) = tracer.signal_and_wait("KILL");
    assert!(!status.success());
    tracer.assert_nothing_left();
}
