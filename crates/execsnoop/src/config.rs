//! What a tracer is asked to do: where it attaches, which buffer it reads,
//! what it filters in the kernel, and how long an event may wait in the
//! buffer before the reader picks it up.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::embedded::EmbeddedBtf;
use crate::event::{DEFAULT_MAX_ARGS, MAX_ARGS_LIMIT};

/// Where the program that reports successful execs attaches: one program of
/// the object per mode, all running after the new image is in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttachMode {
    /// `raw_tracepoint/sched_process_exec`: the stable tracepoint, called
    /// directly; the arguments read through CO-RE. Needs nothing else.
    RawTracepoint,
    /// `tp_btf/sched_process_exec`: the same tracepoint with typed
    /// arguments; needs the kernel's own BTF to attach.
    TpBtf,
    /// `tracepoint/sched/sched_process_exec`: the perf tracepoint, which
    /// first builds a trace record (copying the filename); needs tracefs.
    Tracepoint,
    /// `fentry/finalize_exec`: a kernel function through a BPF trampoline;
    /// typed, but the function is internal to the kernel.
    Fentry,
    /// `kprobe.multi/finalize_exec`: an fprobe (Linux 5.18 and later).
    KprobeMulti,
    /// `kprobe/finalize_exec`: a kprobe, the costliest.
    Kprobe,
}

impl AttachMode {
    /// Every mode, best first: the order `auto` tries them in. Tracepoint
    /// modes come before function probes (a tracepoint is a stable
    /// interface; `finalize_exec` is a kernel-internal function), and each
    /// family goes from the lightest call to the heaviest. raw_tracepoint
    /// and tp_btf are the same call and cost the same in the kernel
    /// (scripts/bench-execsnoop.sh); raw_tracepoint comes first as it needs
    /// less: no kernel BTF to attach (kernels from 4.17, or with `--btf`),
    /// and no lookup in the kernel's BTF at start.
    pub const AUTO_ORDER: [AttachMode; 6] = [
        AttachMode::RawTracepoint,
        AttachMode::TpBtf,
        AttachMode::Tracepoint,
        AttachMode::Fentry,
        AttachMode::KprobeMulti,
        AttachMode::Kprobe,
    ];

    /// The name users give (`--attach tp_btf`).
    pub fn name(self) -> &'static str {
        match self {
            AttachMode::TpBtf => "tp_btf",
            AttachMode::RawTracepoint => "raw_tracepoint",
            AttachMode::Tracepoint => "tracepoint",
            AttachMode::Fentry => "fentry",
            AttachMode::KprobeMulti => "kprobe_multi",
            AttachMode::Kprobe => "kprobe",
        }
    }

    /// The mode called `name`.
    pub fn from_name(name: &str) -> Option<AttachMode> {
        AttachMode::AUTO_ORDER
            .into_iter()
            .find(|m| m.name() == name)
    }

    /// The object's program for this mode.
    pub fn program(self) -> &'static str {
        match self {
            AttachMode::TpBtf => "exec_tp_btf",
            AttachMode::RawTracepoint => "exec_raw_tp",
            AttachMode::Tracepoint => "exec_tp",
            AttachMode::Fentry => "exec_fentry",
            AttachMode::KprobeMulti => "exec_kprobe_multi",
            AttachMode::Kprobe => "exec_kprobe",
        }
    }

    /// Where it attaches, for people.
    pub fn target(self) -> &'static str {
        match self {
            AttachMode::TpBtf | AttachMode::RawTracepoint => "sched_process_exec",
            AttachMode::Tracepoint => "sched/sched_process_exec",
            AttachMode::Fentry | AttachMode::KprobeMulti | AttachMode::Kprobe => "finalize_exec",
        }
    }
}

impl fmt::Display for AttachMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which attach modes to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachChoice {
    /// The best the kernel supports, in [`AttachMode::AUTO_ORDER`].
    Auto,
    /// These, in this order (one mode: that mode or an error).
    Modes(Vec<AttachMode>),
}

impl AttachChoice {
    /// The modes to try, in order.
    pub fn candidates(&self) -> Vec<AttachMode> {
        match self {
            AttachChoice::Auto => AttachMode::AUTO_ORDER.to_vec(),
            AttachChoice::Modes(modes) => modes.clone(),
        }
    }
}

/// The buffer events come through (the BPF side has these two outputs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BufferKind {
    /// A BPF ring buffer (`execsnoop.bpf.o`, Linux 5.8 and later): one
    /// buffer shared by all CPUs, events in order.
    Ring,
    /// A perf event array (`execsnoop_perf.bpf.o`): a ring per CPU.
    Perf,
}

impl BufferKind {
    /// The name users give (`--buffer ringbuf`).
    pub fn name(self) -> &'static str {
        match self {
            BufferKind::Ring => "ringbuf",
            BufferKind::Perf => "perf",
        }
    }
}

impl fmt::Display for BufferKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BufferKind::Ring => "ring buffer",
            BufferKind::Perf => "perf buffer",
        })
    }
}

/// Which buffer to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BufferChoice {
    /// The ring buffer where the kernel has one, else the perf buffer.
    Auto,
    /// This one or an error.
    Only(BufferKind),
}

/// Which execs are reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcomes {
    /// Successful execs only (the syscall programs are not even loaded).
    #[default]
    Successful,
    /// Successful and failed execs (`-x`).
    All,
    /// Failed execs only.
    Failed,
}

/// A tracer's settings. `Config::default()` is `corex execsnoop` with no
/// option.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Where to attach.
    pub attach: AttachChoice,
    /// Which buffer.
    pub buffer: BufferChoice,
    /// Arguments sent per exec, argv\[0\] included: 1 to
    /// [`MAX_ARGS_LIMIT`] (default [`DEFAULT_MAX_ARGS`]).
    pub max_args: u32,
    /// Which execs.
    pub outcomes: Outcomes,
    /// Only execs whose real uid is this (filtered in the kernel).
    pub uid: Option<u32>,
    /// Only execs of tasks in this cgroup v2 directory or below it
    /// (filtered in the kernel).
    pub cgroup: Option<PathBuf>,
    /// BTF to relocate CO-RE against, for kernels without their own.
    pub core_btf: Option<CoreBtf>,
    /// Longest an event waits in the buffer before the reader takes it.
    /// The kernel wakes the reader only when a batch has gathered, and the
    /// reader also drains the buffer this often; zero wakes it for every
    /// event, as libbpf-tools' execsnoop does (much costlier in the
    /// kernel).
    pub max_delay: Duration,
}

/// BTF for CO-RE other than the running kernel's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreBtf {
    /// A file: raw BTF, an ELF file with `.BTF`, `.xz` or BTFHub's
    /// `.btf.tar.xz`.
    File(PathBuf),
    /// One of the BTFs built into this crate.
    Embedded(&'static EmbeddedBtf),
}

/// How long an event may wait by default: short for a person watching,
/// long enough for the kernel to batch an exec storm.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_millis(100);

impl Default for Config {
    fn default() -> Config {
        Config {
            attach: AttachChoice::Auto,
            buffer: BufferChoice::Auto,
            max_args: DEFAULT_MAX_ARGS,
            outcomes: Outcomes::Successful,
            uid: None,
            cgroup: None,
            core_btf: None,
            max_delay: DEFAULT_MAX_DELAY,
        }
    }
}

/// A setting no tracer can run with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_args` out of range.
    #[error("--max-args {0}: must be 1 to {MAX_ARGS_LIMIT}")]
    MaxArgs(u32),
    /// No attach mode to try.
    #[error("no attach mode to try")]
    NoModes,
    /// A mode named twice.
    #[error("attach mode {0} is named twice")]
    RepeatedMode(AttachMode),
}

impl Config {
    /// Checks the settings before anything reaches the kernel.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_ARGS_LIMIT).contains(&self.max_args) {
            return Err(ConfigError::MaxArgs(self.max_args));
        }
        let modes = self.attach.candidates();
        if modes.is_empty() {
            return Err(ConfigError::NoModes);
        }
        for (i, mode) in modes.iter().enumerate() {
            if modes[..i].contains(mode) {
                return Err(ConfigError::RepeatedMode(*mode));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_by_name() {
        for mode in AttachMode::AUTO_ORDER {
            assert_eq!(AttachMode::from_name(mode.name()), Some(mode));
        }
        assert_eq!(AttachMode::from_name("fprobe"), None);
        assert_eq!(
            AttachChoice::Auto.candidates()[0],
            AttachMode::RawTracepoint
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut c = Config::default();
        assert_eq!(c.validate(), Ok(()));
        c.max_args = 0;
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "--max-args 0: must be 1 to 256"
        );
        c.max_args = 257;
        assert!(c.validate().is_err());
        c.max_args = 256;
        c.attach = AttachChoice::Modes(vec![]);
        assert_eq!(c.validate(), Err(ConfigError::NoModes));
        c.attach = AttachChoice::Modes(vec![AttachMode::Kprobe, AttachMode::Kprobe]);
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "attach mode kprobe is named twice"
        );
    }
}
