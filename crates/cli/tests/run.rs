//! `corex run` on this kernel: the lab's programs the kernel supports, each
//! run alone, print the exec'd filename of a unique exec; the others make
//! corex name the program and what the kernel lacks, exit 1, or with
//! --keep-going run the rest; ring and perf buffer records are printed; a
//! SIGTERM or the duration ends the run, and nothing corex loaded is left.
//! Needs root.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

fn repo(path: &str) -> PathBuf {
    corex_testkit::repo_root().join(path)
}

/// A `corex run` in progress, its output read line by line.
struct Run {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    seen_stderr: Vec<String>,
}

fn lines(source: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// A minute: a guard against a hang, not a measure.
const PATIENCE: Duration = Duration::from_secs(60);

impl Run {
    fn start(args: &[&str]) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corex"))
            .arg("run")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Run {
            child,
            stdout,
            stderr,
            seen_stderr: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `text`; returns it.
    fn stderr_with(&mut self, text: &str) -> String {
        loop {
            match self.stderr.recv_timeout(PATIENCE) {
                Ok(line) => {
                    self.seen_stderr.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no {text:?} on stderr: {:#?}", self.seen_stderr),
            }
        }
    }

    /// Waits for a stdout line containing `text`.
    fn stdout_with(&mut self, text: &str) -> String {
        loop {
            match self.stdout.recv_timeout(PATIENCE) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("no {text:?} on stdout; stderr: {:#?}", self.seen_stderr),
            }
        }
    }

    /// Sends SIGTERM and returns the exit status and the rest of stderr.
    fn terminate(self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        self.finish()
    }

    fn finish(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = self.child.wait().unwrap();
        self.seen_stderr.extend(self.stderr.iter());
        (status, self.seen_stderr)
    }
}

/// Runs `/bin/true` through a symlink with a unique name; returns that
/// name.
fn exec_unique(tag: &str) -> String {
    let dir = std::env::temp_dir().join(format!("corex-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(tag);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/bin/true", &link).unwrap();
    assert!(Command::new(&link).status().unwrap().success());
    std::fs::remove_file(&link).unwrap();
    link.to_str().unwrap().to_owned()
}

/// The program id in a `corex: attached NAME (SECTION, program id N) to
/// TARGET` line.
fn program_id(attached: &str) -> u32 {
    let (_, rest) = attached.split_once("program id ").unwrap();
    rest.split(')').next().unwrap().parse().unwrap()
}

fn assert_gone(id: u32) {
    use corex::sys::{ids, ObjectKind};
    for _ in 0..3000 {
        if !ids(ObjectKind::Prog).any(|i| i.unwrap() == id) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("program id {id} is still loaded");
}

fn execve_nr() -> String {
    format!("execve_nr={}", libc::SYS_execve)
}

#[test]
fn each_supported_lab_program_prints_the_exec() {
    let lab = repo("bpf/lab/lab.bpf.o");
    let nr = execve_nr();
    for program in [
        "tp_execve_noncore",
        "tp_execve_core",
        "raw_tp_sys_enter",
        "tp_btf_sys_enter",
    ] {
        let mut run = Run::start(&[lab.to_str().unwrap(), "-p", program, "--set", &nr]);
        let attached = run.stderr_with("corex: attached");
        let id = program_id(&attached);
        let filename = exec_unique(program);
        run.stdout_with(&format!("{program}: execve filename={filename}"));
        let (status, stderr) = run.terminate();
        assert!(status.success(), "{program}: {status}: {stderr:#?}");
        assert_gone(id);
    }
}

#[test]
fn unsupported_lab_programs_are_named_with_the_reason() {
    let lab = repo("bpf/lab/lab.bpf.o");
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap();
    let mut cases = Vec::new();
    if !kallsyms.contains(" register_kprobe\n") {
        cases.push((
            "kprobe_execve_core",
            "corex: program kprobe_execve_core (ksyscall/execve): cannot attach ksyscall: this \
             kernel has no kprobes (CONFIG_KPROBES is off)",
        ));
    }
    if !kallsyms.contains(" register_fprobe_ips\n") {
        cases.push((
            "kprobe_multi_bprm_execve",
            "corex: program kprobe_multi_bprm_execve (kprobe.multi/bprm_execve): cannot attach \
             kprobe.multi: this kernel has no fprobe (CONFIG_FPROBE is off)",
        ));
    }
    for (program, message) in cases {
        let run = Run::start(&[lab.to_str().unwrap(), "-p", program]);
        let (status, stderr) = run.finish();
        assert_eq!(status.code(), Some(1), "{program}: {stderr:#?}");
        assert!(
            stderr.iter().any(|l| l == message),
            "{program}: {stderr:#?}"
        );
    }
    // fentry: refused at load where the kernel refuses trampolines.
    let run = Run::start(&[
        lab.to_str().unwrap(),
        "-p",
        "fentry_bprm_execve",
        "--duration",
        "0",
    ]);
    let (status, stderr) = run.finish();
    if !status.success() {
        assert_eq!(status.code(), Some(1));
        assert!(
            stderr.iter().any(|l| l.ends_with(
                "program 'fentry_bprm_execve' (section 'fentry/bprm_execve'): fentry needs BPF \
                 trampolines, which this kernel refused: EPERM"
            )),
            "{stderr:#?}"
        );
    }
}

#[test]
fn keep_going_runs_the_rest() {
    let lab = repo("bpf/lab/lab.bpf.o");
    let nr = execve_nr();
    let mut run = Run::start(&[lab.to_str().unwrap(), "--keep-going", "--set", &nr]);
    run.stderr_with("corex: running without the");
    let filename = exec_unique("keep-going");
    for program in [
        "tp_execve_noncore",
        "tp_execve_core",
        "raw_tp_sys_enter",
        "tp_btf_sys_enter",
    ] {
        run.stdout_with(&format!("{program}: execve filename={filename}"));
    }
    let (status, stderr) = run.terminate();
    assert!(status.success(), "{stderr:#?}");
}

/// Hex bytes of `text`, as corex prints undecoded records.
fn hex(text: &str) -> String {
    text.bytes()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn ring_and_perf_buffer_records_are_printed() {
    for (object, prefix) in [
        ("bpf/execsnoop/execsnoop.bpf.o", "events: "),
        ("bpf/execsnoop/execsnoop_perf.bpf.o", "events (cpu "),
    ] {
        let mut run = Run::start(&[repo(object).to_str().unwrap(), "-p", "exec_tp"]);
        run.stderr_with("corex: attached exec_tp");
        let filename = exec_unique("buffers");
        // The record holds argv[0], the path run.
        let line = run.stdout_with(&hex(&filename));
        assert!(line.starts_with(prefix), "{object}: {line}");
        let (status, stderr) = run.terminate();
        assert!(status.success(), "{object}: {stderr:#?}");
    }
}

#[test]
fn the_duration_ends_the_run() {
    let lab = repo("bpf/lab/lab.bpf.o");
    let run = Run::start(&[
        lab.to_str().unwrap(),
        "-p",
        "tp_execve_core",
        "--duration",
        "0.5",
    ]);
    let (status, stderr) = run.finish();
    assert!(status.success(), "{stderr:#?}");
    let id = program_id(
        stderr
            .iter()
            .find(|l| l.contains("corex: attached"))
            .unwrap(),
    );
    assert_gone(id);
}
