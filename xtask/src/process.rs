//! Running host programs: their name and status in every error, and bounded runs
//! whose output lines are timed as they arrive (qemu's console, the native driver).

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};

fn describe(cmd: &Command) -> String {
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

/// Runs `cmd` (output to the terminal) and fails unless it exits 0.
pub fn run_checked(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    ensure!(status.success(), "{} failed ({status})", describe(cmd));
    Ok(())
}

/// Runs `cmd` and returns its standard output; fails with its standard error unless it exits 0.
pub fn run_output(cmd: &mut Command) -> Result<String> {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd
        .output()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    ensure!(
        status.success(),
        "{} failed ({status}): {}",
        describe(cmd),
        String::from_utf8_lossy(&stderr).trim()
    );
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// What a bounded run printed and how it ended.
pub struct Captured {
    /// Standard output lines with the time each arrived, from the start.
    pub lines: Vec<(Duration, String)>,
    /// Standard error.
    pub stderr: String,
    /// How it ended; `None` when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    /// Time from start to end.
    pub elapsed: Duration,
}

impl Captured {
    /// Standard output as one text.
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// When the first line containing `needle` arrived.
    pub fn first(&self, needle: &str) -> Option<Duration> {
        self.lines
            .iter()
            .find(|(_, l)| l.contains(needle))
            .map(|(t, _)| *t)
    }

    /// The log file's text: each line stamped with its arrival time, then standard error.
    pub fn log(&self) -> String {
        let mut out: String = self
            .lines
            .iter()
            .map(|(t, l)| format!("[+{:8.3}s] {l}\n", t.as_secs_f64()))
            .collect();
        if !self.stderr.is_empty() {
            out += "--- standard error ---\n";
            out += &self.stderr;
        }
        out
    }
}

/// Runs `cmd` with its output captured, killing it and every process it started
/// (its own process group) after `timeout`.
pub fn run_with_deadline(cmd: &mut Command, timeout: Duration) -> Result<Captured> {
    let start = Instant::now();
    let mut child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", describe(cmd)))?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut stderr = child.stderr.take().context("stderr")?;
    std::thread::scope(|s| {
        let out = s.spawn(move || {
            let mut lines = Vec::new();
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            while reader.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
                let line = String::from_utf8_lossy(&buf);
                lines.push((
                    start.elapsed(),
                    line.trim_end_matches(['\n', '\r']).to_string(),
                ));
                buf.clear();
            }
            lines
        });
        let err = s.spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if start.elapsed() >= timeout {
                // The group: a driver's children would hold the output pipe open.
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .arg(format!("-{}", child.id()))
                    .status();
                let _ = child.kill();
                child.wait()?;
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let elapsed = start.elapsed();
        Ok(Captured {
            lines: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
            status,
            elapsed,
        })
    })
}
