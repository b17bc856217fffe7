//! `bpf_printk` output as a stream: lines of tracefs `trace_pipe`, parsed
//! into task, pid, CPU, timestamp and message.
//!
//! A read of `trace_pipe` consumes what it returns, so two readers of the
//! same pipe take lines from each other. [`TracePipe::open`] therefore makes
//! a tracefs instance of its own (`instances/corex-PID-N`) with the
//! `bpf_trace_printk` event enabled: it sees every `bpf_printk` made while
//! it is open, whoever else reads, and is removed on drop. Kernels without
//! instances or that event (before 5.x) fall back to the shared pipe, as
//! [`TracePipe::open_shared`] opens it.

use crate::attach::tracefs;
use corex_sys::{Epoll, EpollEvent};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// One line of the trace pipe.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceLine {
    /// The task's name (`comm`, at most 16 bytes; `<...>` when the kernel
    /// no longer knew it).
    pub task: String,
    /// The thread id.
    pub pid: u32,
    /// The CPU.
    pub cpu: u32,
    /// The irq/preemption flags column (`d..31`), when shown.
    pub flags: Option<String>,
    /// The timestamp (the trace clock's, by default seconds since boot).
    pub timestamp: Duration,
    /// The event (`bpf_trace_printk`).
    pub event: String,
    /// What the program printed (without its trailing newline).
    pub message: String,
}

/// Parses one line of `trace_pipe`:
/// `TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS.MICROS: EVENT: MESSAGE`. The
/// task may itself hold `-` and spaces; `None` for lines of another shape.
pub fn parse_trace_line(line: &str) -> Option<TraceLine> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    // The CPU column is the first ` [digits]` after a `-digits` pid.
    let mut search = 0;
    let (cpu_start, cpu_end) = loop {
        let open = search + line[search..].find(" [")?;
        let close = open + 2 + line[open + 2..].find(']')?;
        let digits = &line[open + 2..close];
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            break (open, close);
        }
        search = open + 1;
    };
    let cpu = line[cpu_start + 2..cpu_end].parse().ok()?;
    // Before the CPU: `TASK-PID`, maybe followed by `(TGID)`.
    let mut head = line[..cpu_start].trim_end();
    if head.ends_with(')') {
        head = head[..head.rfind('(')?].trim_end();
    }
    let dash = head.rfind('-')?;
    let pid = head[dash + 1..].parse().ok()?;
    let task = head[..dash].trim_start().to_owned();
    // After it: `[FLAGS] TIMESTAMP: EVENT: MESSAGE`.
    let rest = line[cpu_end + 1..].trim_start();
    let (before_event, after) = rest.split_once(": ")?;
    let mut columns = before_event.split_whitespace();
    let (flags, stamp) = match (columns.next()?, columns.next()) {
        (stamp, None) => (None, stamp),
        (flags, Some(stamp)) => (Some(flags.to_owned()), stamp),
    };
    let stamp = stamp.strip_suffix(':').unwrap_or(stamp);
    let timestamp = parse_timestamp(stamp)?;
    let (event, message) = after.split_once(": ").unwrap_or((after, ""));
    Some(TraceLine {
        task,
        pid,
        cpu,
        flags,
        timestamp,
        event: event.trim().to_owned(),
        message: message.to_owned(),
    })
}

/// `SECONDS[.FRACTION]`.
fn parse_timestamp(text: &str) -> Option<Duration> {
    let (secs, fraction) = text.split_once('.').unwrap_or((text, ""));
    let secs: u64 = secs.parse().ok()?;
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u32>().ok()? * 10u32.pow(9 - fraction.len() as u32)
    };
    Some(Duration::new(secs, nanos))
}

/// Why the trace pipe could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracePipeError {
    /// tracefs is not mounted.
    #[error("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)")]
    NoTracefs,
    /// A tracefs file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for lines failed.
    #[error("waiting for trace lines: {0}")]
    Poll(#[from] corex_sys::Error),
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> TracePipeError + '_ {
    move |source| TracePipeError::File {
        path: path.to_owned(),
        source,
    }
}

/// The instance directory corex made, removed on drop.
#[derive(Debug)]
struct Instance {
    dir: PathBuf,
}

const INSTANCE_PREFIX: &str = "corex-";

impl Instance {
    /// Makes `instances/corex-PID-N` recording `bpf_trace_printk`, waking
    /// pollers on any data; `None` when the kernel has no instances or no
    /// such event.
    fn create(root: &Path) -> Result<Option<Instance>, TracePipeError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let instances = root.join("instances");
        if !instances.is_dir()
            || !root
                .join("events/bpf_trace/bpf_trace_printk/enable")
                .exists()
        {
            return Ok(None);
        }
        remove_stale_instances(&instances);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = instances.join(format!("{INSTANCE_PREFIX}{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).map_err(file_error(&dir))?;
        let instance = Instance { dir };
        // Wake readers as soon as there is a line (the default waits until
        // the buffer is half full on recent kernels); older kernels have
        // no such file.
        let percent = instance.dir.join("buffer_percent");
        if percent.exists() {
            write_file(&percent, "0")?;
        }
        write_file(
            &instance
                .dir
                .join("events/bpf_trace/bpf_trace_printk/enable"),
            "1",
        )?;
        Ok(Some(instance))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Removes instances a corex process that no longer runs left behind.
fn remove_stale_instances(instances: &Path) {
    let Ok(entries) = std::fs::read_dir(instances) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(INSTANCE_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), TracePipeError> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(file_error(path))
}

/// A reader of `bpf_printk` lines. It never blocks unless asked to wait;
/// its fd can join an epoll set (it is readable when lines are waiting).
#[derive(Debug)]
pub struct TracePipe {
    // Field order is drop order: the pipe closes before its instance goes.
    pipe: File,
    path: PathBuf,
    poller: Epoll,
    pending: Vec<u8>,
    instance: Option<Instance>,
}

impl TracePipe {
    /// A private pipe: a tracefs instance of this reader's own that records
    /// `bpf_trace_printk`, or the shared pipe on kernels without them.
    pub fn open() -> Result<TracePipe, TracePipeError> {
        let root = tracefs::root().ok_or(TracePipeError::NoTracefs)?;
        match Instance::create(root)? {
            Some(instance) => {
                let path = instance.dir.join("trace_pipe");
                TracePipe::open_path(path, Some(instance))
            }
            None => TracePipe::open_path(root.join("trace_pipe"), None),
        }
    }

    /// The top instance's pipe, which `bpftool prog tracelog` and
    /// `cat trace_pipe` read: other readers take lines from it too.
    pub fn open_shared() -> Result<TracePipe, TracePipeError> {
        let root = tracefs::root().ok_or(TracePipeError::NoTracefs)?;
        TracePipe::open_path(root.join("trace_pipe"), None)
    }

    fn open_path(path: PathBuf, instance: Option<Instance>) -> Result<TracePipe, TracePipeError> {
        let pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .map_err(file_error(&path))?;
        let poller = Epoll::new()?;
        poller.add(pipe.as_fd(), libc::EPOLLIN as u32, 0)?;
        Ok(TracePipe {
            pipe,
            path,
            poller,
            pending: Vec::new(),
            instance,
        })
    }

    /// The pipe being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this pipe is a private instance (no other reader takes its
    /// lines).
    pub fn is_private(&self) -> bool {
        self.instance.is_some()
    }

    /// Reads what is there without waiting and calls `on_line` for each
    /// complete line (parsed; lines of another shape come as `Err(text)`).
    /// Returns how many lines were delivered.
    pub fn read_available(
        &mut self,
        mut on_line: impl FnMut(Result<TraceLine, String>),
    ) -> Result<usize, TracePipeError> {
        let mut chunk = [0u8; 16384];
        let mut delivered = 0;
        loop {
            match self.pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(file_error(&self.path)(e)),
            }
        }
        let mut start = 0;
        while let Some(end) = self.pending[start..].iter().position(|b| *b == b'\n') {
            let text = String::from_utf8_lossy(&self.pending[start..start + end]).into_owned();
            start += end + 1;
            if text.is_empty() {
                continue;
            }
            delivered += 1;
            on_line(parse_trace_line(&text).ok_or(text));
        }
        self.pending.drain(..start);
        Ok(delivered)
    }

    /// Waits until lines are waiting or `timeout` passes (`None`: no
    /// limit). Returns whether lines are waiting; a signal ends the wait
    /// early with `false`.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, TracePipeError> {
        let timeout_ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
        let mut events = [EpollEvent {
            events: 0,
            token: 0,
        }];
        match self.poller.wait(&mut events, timeout_ms) {
            Ok(n) => Ok(n > 0),
            Err(e) if e.is_interrupted() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

impl AsFd for TracePipe {
    /// An fd that is readable when lines are waiting (for an epoll set).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.poller.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_are_parsed() {
        let line = " lab-marker-2499-24997   [001] ...21  1111.316540: bpf_trace_printk: \
                    tp_execve_noncore: execve filename=/tmp/x";
        let parsed = parse_trace_line(line).unwrap();
        assert_eq!(parsed.task, "lab-marker-2499");
        assert_eq!(parsed.pid, 24997);
        assert_eq!(parsed.cpu, 1);
        assert_eq!(parsed.flags.as_deref(), Some("...21"));
        assert_eq!(parsed.timestamp, Duration::new(1111, 316_540_000));
        assert_eq!(parsed.event, "bpf_trace_printk");
        assert_eq!(parsed.message, "tp_execve_noncore: execve filename=/tmp/x");
    }

    #[test]
    fn instances_of_dead_corex_processes_are_removed() {
        let dir = std::env::temp_dir().join(format!("corex-instances-{}", std::process::id()));
        // A pid above the kernel's limit (pid_max is at most 2^22) never runs.
        let dead = dir.join("corex-4999999-0");
        let alive = dir.join(format!("corex-{}-0", std::process::id()));
        let other = dir.join("someone-else");
        for d in [&dead, &alive, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        remove_stale_instances(&dir);
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_shapes_of_lines() {
        // No irq-info column, a tgid column, a task with spaces and
        // brackets, a message with ": " in it.
        let line = "  my [task] 1-42 (   40) [003] 5.000001: bpf_trace_printk: a: b";
        let parsed = parse_trace_line(line).unwrap();
        assert_eq!(parsed.task, "my [task] 1");
        assert_eq!((parsed.pid, parsed.cpu), (42, 3));
        assert_eq!(parsed.flags, None);
        assert_eq!(parsed.timestamp, Duration::new(5, 1000));
        assert_eq!(parsed.message, "a: b");
        let counter_clock = "<...>-7 [000] d.... 123456: bpf_trace_printk: x";
        let parsed = parse_trace_line(counter_clock).unwrap();
        assert_eq!(parsed.task, "<...>");
        assert_eq!(parsed.timestamp, Duration::from_secs(123456));
        for bad in [
            "",
            "no cpu column here",
            "task-x [001] 1.0: e: m",
            "task-1 [001] nots.tamp: e: m",
            "task-1 [0x1] 1.0: e: m",
        ] {
            assert_eq!(parse_trace_line(bad), None, "{bad:?}");
        }
    }
}
