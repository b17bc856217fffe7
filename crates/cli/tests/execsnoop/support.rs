//! Running `corex execsnoop` as a child, the driver that makes the execs,
//! the expected events (the BPF side's documented rules for what is sent,
//! applied to what the process itself saw in /proc), and the ids the child
//! held.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use corex_sys::ObjectKind;
use serde_json::Value;

/// A minute: a guard against a hang, not a measure.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// One test at a time: some flood the buffers on purpose, and every tracer
/// sees every exec.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The driver (driver.c), built once per test run.
pub fn driver() -> &'static Path {
    static DRIVER: OnceLock<PathBuf> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/execsnoop/driver.c");
        // 15 characters: the whole name is the comm.
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corex-es-driver");
        corex_testkit::compile_c(&source, &out, &["-pthread"]);
        out
    })
}

/// A tag no other exec has.
pub fn tag(what: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("corex-es-{}-{what}-{n}", std::process::id())
}

/// What a driver run printed and who it was.
pub struct DriverRun {
    pub pid: u32,
    pub lines: Vec<String>,
}

impl DriverRun {
    /// The value of the first `key=` line (`fd`, `tid`, `errno`).
    pub fn value(&self, key: &str) -> i64 {
        let prefix = format!("{key}=");
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key}= in {:?}", self.lines))
            .parse()
            .unwrap()
    }

    /// The `report` line: the pid, comm and cmdline the exec'd process
    /// saw.
    pub fn report(&self) -> (u32, Vec<u8>, Vec<u8>) {
        let line = self
            .lines
            .iter()
            .find(|l| l.starts_with("report "))
            .unwrap_or_else(|| panic!("no report in {:?}", self.lines));
        let field = |name: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(&format!("{name}=")))
                .unwrap()
                .to_owned()
        };
        (
            field("pid").parse().unwrap(),
            unhex(&field("comm")),
            unhex(&field("cmdline")),
        )
    }
}

/// Runs the driver with `args`; waits for it. Every mode of the driver
/// execs in place, so `pid` is the pid of every exec it makes.
pub fn run_driver<S: AsRef<OsStr>>(args: &[S]) -> DriverRun {
    run_driver_as(Command::new(driver()).args(args))
}

/// Runs `command` (the driver, perhaps behind setpriv); waits for it.
pub fn run_driver_as(command: &mut Command) -> DriverRun {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{command:?}: {}", out.status);
    DriverRun {
        pid,
        lines: String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
    }
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// `corex execsnoop` running as a child.
pub struct Execsnoop {
    pub child: Child,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    stderr: Receiver<String>,
    pub stderr_seen: Vec<String>,
    /// The kernel objects the child held once attached.
    pub ids: Vec<(ObjectKind, u32)>,
}

impl Execsnoop {
    /// Starts it and waits until it says it is tracing.
    pub fn start(args: &[&str]) -> Execsnoop {
        let mut run = Execsnoop::spawn(args);
        run.stderr_with("tracing execs with");
        run.ids = bpf_ids_of(run.child.id());
        assert!(
            run.ids.iter().any(|(k, _)| *k == ObjectKind::Link),
            "no link among {:?}",
            run.ids
        );
        run
    }

    /// Starts it, whatever happens next.
    pub fn spawn(args: &[&str]) -> Execsnoop {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corex"))
            .arg("execsnoop")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stdout.read_to_end(&mut all);
            all
        });
        let stderr = child.stderr.take().unwrap();
        let (send, receive) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Execsnoop {
            child,
            stdout: Some(stdout),
            stderr: receive,
            stderr_seen: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `text`; returns it.
    pub fn stderr_with(&mut self, text: &str) -> String {
        loop {
            match self.stderr.recv_timeout(PATIENCE) {
                Ok(line) => {
                    self.stderr_seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no {text:?} on stderr: {:#?}", self.stderr_seen),
            }
        }
    }

    /// Sends `signal`, waits for the exit; returns the status, stdout and
    /// the rest of stderr.
    pub fn signal_and_wait(&mut self, signal: &str) -> (ExitStatus, Vec<u8>) {
        send_signal(self.child.id(), signal);
        self.wait()
    }

    /// Waits for the exit; returns the status and stdout (stderr lines go
    /// to `stderr_seen`).
    pub fn wait(&mut self) -> (ExitStatus, Vec<u8>) {
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.stderr.recv_timeout(PATIENCE) {
            self.stderr_seen.push(line);
        }
        let out = self.stdout.take().unwrap().join().unwrap();
        (status, out)
    }

    /// Stops it with Ctrl-C; returns every JSON event it printed. Asserts
    /// a clean exit, the summary, and that nothing it held is left.
    pub fn stop_json(mut self) -> (Vec<Value>, Vec<String>) {
        let (status, out) = self.signal_and_wait("INT");
        assert!(status.success(), "{status}: {:#?}", self.stderr_seen);
        assert!(
            self.stderr_seen.iter().any(|l| l.contains("execs shown")),
            "no summary: {:#?}",
            self.stderr_seen
        );
        self.assert_nothing_left();
        let events = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_slice(l)
                    .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(l)))
            })
            .collect();
        (events, self.stderr_seen)
    }

    /// Every program, map and link the child held is gone from the kernel.
    pub fn assert_nothing_left(&self) {
        for &(kind, id) in &self.ids {
            crate::sys_support::assert_gone(kind, id);
        }
    }
}

/// Sends `signal` (`INT`, `TERM`, `HUP`, `KILL`, `STOP`, `CONT`) to `pid`, by its
/// pid only.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// The BPF programs, maps and links process `pid` holds, from its fdinfo.
pub fn bpf_ids_of(pid: u32) -> Vec<(ObjectKind, u32)> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
    {
        let fd = entry.file_name();
        let Ok(info) =
            std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.to_string_lossy()))
        else {
            continue;
        };
        for line in info.lines() {
            let (kind, id) = match line.split_once(':') {
                Some(("prog_id", id)) => (ObjectKind::Prog, id),
                Some(("map_id", id)) => (ObjectKind::Map, id),
                Some(("link_id", id)) => (ObjectKind::Link, id),
                Some(("btf_id", id)) => (ObjectKind::Btf, id),
                _ => continue,
            };
            ids.push((kind, id.trim().parse().unwrap()));
        }
    }
    ids.sort_by_key(|(k, id)| (format!("{k:?}"), *id));
    ids.dedup();
    ids
}

/// The exact bytes of a text field: its `_hex` twin when there is one.
pub fn exact(event: &Value, field: &str) -> Vec<u8> {
    match event.get(format!("{field}_hex")) {
        Some(hex) => unhex(hex.as_str().unwrap()),
        None => event[field].as_str().unwrap().as_bytes().to_vec(),
    }
}

/// The exact arguments of an event.
pub fn exact_args(event: &Value) -> Vec<Vec<u8>> {
    let args = event["args"].as_array().unwrap();
    args.iter()
        .enumerate()
        .map(|(i, a)| match event.get("args_hex").map(|h| &h[i]) {
            Some(Value::String(hex)) => unhex(hex),
            _ => a.as_str().unwrap().as_bytes().to_vec(),
        })
        .collect()
}

/// The events with pid `pid` whose arguments include `tag`.
pub fn events_of<'e>(events: &'e [Value], pid: u32, tag: &str) -> Vec<&'e Value> {
    events
        .iter()
        .filter(|e| e["pid"] == pid && exact_args(e).iter().any(|a| a == tag.as_bytes()))
        .collect()
}

/// What the BPF side sends of a command line (`/proc/PID/cmdline`'s
/// strings) under `max_args` and the 4096-byte limit, and the flags it
/// sets: the rules of execsnoop.h, applied the way the BPF loop applies
/// them.
pub fn expected_args(strings: &[Vec<u8>], max_args: usize) -> (Vec<Vec<u8>>, Vec<&'static str>) {
    const ARGS_MAX: usize = 4096;
    let mut sent = Vec::new();
    let mut used = 0;
    for (i, s) in strings.iter().enumerate() {
        if i >= max_args {
            return (sent, vec!["args_truncated"]);
        }
        if used >= ARGS_MAX {
            return (sent, vec!["args_cut"]);
        }
        let room = ARGS_MAX - used;
        if s.len() + 1 > room {
            sent.push(s[..room - 1].to_vec());
            return (sent, vec!["args_cut"]);
        }
        sent.push(s.clone());
        used += s.len() + 1;
    }
    (sent, vec![])
}

/// `/proc/PID/cmdline` bytes as strings.
pub fn cmdline_strings(cmdline: &[u8]) -> Vec<Vec<u8>> {
    let body = cmdline.strip_suffix(&[0]).unwrap_or(cmdline);
    body.split(|b| *b == 0).map(<[u8]>::to_vec).collect()
}

/// An argument of arbitrary bytes.
pub fn os(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}
