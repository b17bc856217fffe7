//! The tracer: the BPF object loaded with the settings as `const volatile`
//! globals, the reader opened, the kernel-side filters set, then one exec
//! program attached (the first mode of the list the kernel supports) and,
//! for failed execs, the four syscall programs. Events go to a handler as
//! they are read; drops are counted from the kernel's per-CPU counters, the
//! perf rings' lost records and records that do not decode.
//!
//! Everything the tracer makes is a file descriptor it owns: nothing is
//! pinned, so dropping the tracer, or the process dying in any way, leaves
//! nothing in the kernel.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use corex::attach::{AttachError, AttachOptions, AttachTarget, Link};
use corex::events::{EventsError, PerfBuffer, Poller, RingBuffer, Waker};
use corex::sys::Wakeup;
use corex::{GlobalValue, LoadedObject, OpenObject};

use crate::config::{AttachMode, BufferChoice, BufferKind, Config, ConfigError, Outcomes};
use crate::drops::{DropCounters, Drops};
use crate::event::{DecodeError, Event};

/// `execsnoop.bpf.o`, the ring buffer build (committed; see bpf/README.md).
pub const RING_OBJECT: &[u8] = include_bytes!("../../../bpf/execsnoop/execsnoop.bpf.o");
/// `execsnoop_perf.bpf.o`, the perf buffer build.
pub const PERF_OBJECT: &[u8] = include_bytes!("../../../bpf/execsnoop/execsnoop_perf.bpf.o");

/// The programs that report failed execs, and the `syscalls` tracepoint
/// each is attached to. `exit_execve` serves both exits: the two
/// tracepoints pass the same context (`struct syscall_trace_exit`) and the
/// stage made at entry says which syscall it was, so the object's
/// `exit_execveat` (the same code) is not loaded, which saves its
/// verification (as long as `exit_execve`'s: 16 ms of a 2-CPU VM's start).
pub const SYSCALL_ATTACHMENTS: [(&str, &str); 4] = [
    ("exit_execve", "sys_exit_execve"),
    ("exit_execve", "sys_exit_execveat"),
    ("enter_execve", "sys_enter_execve"),
    ("enter_execveat", "sys_enter_execveat"),
];

/// The programs of [`SYSCALL_ATTACHMENTS`], each once.
pub const SYSCALL_PROGRAMS: [&str; 3] = ["exit_execve", "enter_execve", "enter_execveat"];

/// Bytes waiting in the ring buffer (or in one CPU's perf ring) that make the
/// kernel wake the reader; below that the reader drains on its timer. A
/// batch of this size is hundreds of events: the wake-up, which costs more
/// than building an event, is shared by all of them.
const WAKEUP_BYTES: u32 = 64 << 10;
/// Data pages of each CPU's perf ring (256 KiB with 4 KiB pages).
const PERF_PAGES: usize = 64;

/// Why a tracer could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracerError {
    /// The settings cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Loading, or a map or privilege check, failed.
    #[error(transparent)]
    Library(#[from] corex::Error),
    /// No attach mode of those asked for can be used on this kernel.
    #[error("{}", NoModeSentence(.0))]
    NoMode(Vec<Unusable>),
    /// The syscall programs that report failed execs could not be attached.
    #[error("failed execs cannot be traced: {0}")]
    Syscalls(#[source] AttachError),
    /// The ring buffer is missing and the perf buffer was not allowed, or
    /// the reverse.
    #[error("the {buffer} cannot be used: {source}")]
    Buffer {
        /// The buffer asked for.
        buffer: BufferKind,
        /// Why it cannot.
        #[source]
        source: corex::Error,
    },
    /// The cgroup of `-c` cannot be used.
    #[error("cgroup {}: {why}", corex_btf::printable(path.as_os_str().as_encoded_bytes()))]
    Cgroup {
        /// The path given.
        path: std::path::PathBuf,
        /// Why (not a cgroup v2 directory, unreadable...).
        why: String,
    },
    /// Reading events failed.
    #[error(transparent)]
    Events(#[from] EventsError),
}

/// The sentence of [`TracerError::NoMode`].
struct NoModeSentence<'a>(&'a [Unusable]);

impl std::fmt::Display for NoModeSentence<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            [one] => write!(f, "--attach {}: {}", one.mode, one.why),
            all => {
                f.write_str("no attach mode can be used on this kernel")?;
                for u in all {
                    write!(f, "; {}: {}", u.mode, u.why)?;
                }
                Ok(())
            }
        }
    }
}

/// An attach mode the tracer could not use, and why.
#[derive(Debug)]
pub struct Unusable {
    /// The mode.
    pub mode: AttachMode,
    /// What the library said.
    pub why: ModeFailure,
}

/// Why a mode could not be used: its program was refused at load, or could
/// not be attached (the library's errors say what the kernel lacks).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModeFailure {
    /// The kernel refused the mode's program.
    #[error("{0}")]
    Load(corex::Error),
    /// The program loaded but could not be attached.
    #[error("{0}")]
    Attach(AttachError),
}

/// What the tracer ended up with.
#[derive(Debug)]
#[non_exhaustive]
pub struct Setup {
    /// The mode attached.
    pub mode: AttachMode,
    /// The modes tried before it, better in the order asked for, and why
    /// each could not be used.
    pub passed_over: Vec<Unusable>,
    /// The buffer read.
    pub buffer: BufferKind,
    /// Why the ring buffer was not used, when the perf buffer was chosen
    /// for want of it.
    pub ring_unusable: Option<corex::Error>,
    /// Whether the syscall programs for failed execs are attached.
    pub syscalls: bool,
    /// Bytes that make the kernel wake the reader (0: every event).
    pub wakeup_bytes: u32,
}

/// What the handler gets: an event, or a record that is not one.
pub type Record<'a> = Result<Event<'a>, DecodeError>;

/// Where records go, and how many went there.
struct Sink<'cb> {
    handler: Box<dyn FnMut(Record<'_>) + Send + 'cb>,
    events: u64,
    undecodable: u64,
}

impl Sink<'_> {
    fn take(&mut self, data: &[u8]) {
        let record = Event::parse(data);
        match record {
            Ok(_) => self.events += 1,
            Err(_) => self.undecodable += 1,
        }
        (self.handler)(record);
    }
}

type SharedSink<'cb> = Arc<Mutex<Sink<'cb>>>;

fn deliver(sink: &SharedSink<'_>, data: &[u8]) {
    sink.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take(data);
}

/// The buffer being read.
enum Reader<'cb> {
    Ring(RingBuffer<'cb>),
    Perf(PerfBuffer<'cb>),
}

impl Reader<'_> {
    fn consume(&mut self) -> Result<usize, EventsError> {
        match self {
            Reader::Ring(r) => r.consume(),
            Reader::Perf(p) => p.consume(),
        }
    }

    fn perf_lost(&self) -> u64 {
        match self {
            Reader::Ring(_) => 0,
            Reader::Perf(p) => p.lost(),
        }
    }
}

/// A running tracer. Events reach the handler given to
/// [`Tracer::start`] from [`Tracer::poll`] (and [`Tracer::stop`]).
pub struct Tracer<'cb> {
    setup: Setup,
    // Field order is drop order: detach first, then stop reading, then
    // unload.
    links: Vec<Link>,
    poller: Poller,
    reader: Reader<'cb>,
    sink: SharedSink<'cb>,
    drops: DropCounters,
    loaded: LoadedObject,
    max_delay: Duration,
}

impl std::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("setup", &self.setup)
            .finish_non_exhaustive()
    }
}

/// What one [`Tracer::poll`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Records read (events and undecodable records).
    pub records: usize,
    /// Whether the waker ended the wait.
    pub woken: bool,
    /// Drops first seen in this poll (each counter's increase).
    pub new_drops: Drops,
}

impl<'cb> Tracer<'cb> {
    /// Loads, opens the reader and attaches, as `config` says; `handler`
    /// gets every record read from then on. Needs CAP_BPF and CAP_PERFMON
    /// (or root).
    pub fn start(
        config: &Config,
        handler: impl FnMut(Record<'_>) + Send + 'cb,
    ) -> Result<Tracer<'cb>, TracerError> {
        config.validate()?;
        corex::check_privileges()?;
        let sink = Arc::new(Mutex::new(Sink {
            handler: Box::new(handler),
            events: 0,
            undecodable: 0,
        }));
        let mut passed_over = Vec::new();
        let mut ring_unusable = None;
        let buffers: &[BufferKind] = match config.buffer {
            BufferChoice::Auto => &[BufferKind::Ring, BufferKind::Perf],
            BufferChoice::Only(BufferKind::Ring) => &[BufferKind::Ring],
            BufferChoice::Only(BufferKind::Perf) => &[BufferKind::Perf],
        };
        for (i, &buffer) in buffers.iter().enumerate() {
            let last_buffer = i + 1 == buffers.len();
            for mode in config.attach.candidates() {
                if passed_over.iter().any(|u: &Unusable| u.mode == mode) {
                    continue;
                }
                match Attempt::run(config, buffer, mode, &sink) {
                    Ok(mut tracer) => {
                        tracer.setup.passed_over = passed_over;
                        tracer.setup.ring_unusable = ring_unusable;
                        return Ok(tracer);
                    }
                    Err(AttemptError::Mode(why)) => passed_over.push(Unusable { mode, why }),
                    Err(AttemptError::Buffer(e)) if !last_buffer => {
                        ring_unusable = Some(e);
                        break;
                    }
                    Err(AttemptError::Buffer(source)) => {
                        return Err(TracerError::Buffer { buffer, source })
                    }
                    Err(AttemptError::Fatal(e)) => return Err(e),
                }
            }
        }
        Err(TracerError::NoMode(passed_over))
    }

    /// The mode, buffer and choices made.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// The loaded object (its programs' and maps' ids, for checking what
    /// the kernel holds).
    pub fn loaded(&self) -> &LoadedObject {
        &self.loaded
    }

    /// The links (one for the exec program, four more with failed execs).
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// A handle that ends a [`Tracer::poll`] wait from another thread (a
    /// signal handler's).
    pub fn waker(&self) -> Waker {
        self.poller.waker()
    }

    /// Waits until the kernel wakes the reader (a batch has gathered, or
    /// with a zero `max_delay` any event), the waker fires or `max_delay`
    /// passes, then hands every waiting record to the handler and reads
    /// the drop counters.
    pub fn poll(&mut self) -> Result<Progress, TracerError> {
        // With no delay allowed the kernel wakes the reader for every
        // event: no timer needed.
        let timeout = Some(self.max_delay).filter(|d| !d.is_zero());
        let woken = self.poller.wait(timeout)?;
        let records = self.reader.consume()?;
        Ok(Progress {
            records,
            woken,
            new_drops: self.read_drops()?,
        })
    }

    fn read_drops(&mut self) -> Result<Drops, TracerError> {
        let undecodable = self
            .sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .undecodable;
        Ok(self
            .drops
            .update(&self.loaded, self.reader.perf_lost(), undecodable)?)
    }

    /// Every drop counted so far.
    pub fn drops(&self) -> Drops {
        self.drops.total()
    }

    /// Events delivered so far.
    pub fn events(&self) -> u64 {
        self.sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .events
    }

    /// Detaches every program, hands the records still in the buffer to
    /// the handler, and returns the last drops seen (the increase since the
    /// last poll). Later polls only drain what is left.
    pub fn stop(&mut self) -> Result<Drops, TracerError> {
        self.links.clear();
        self.reader.consume()?;
        self.read_drops()
    }
}

/// Why one attempt (one buffer, one mode) failed.
enum AttemptError {
    /// The mode cannot be used: try the next.
    Mode(ModeFailure),
    /// The buffer cannot be used: try the other.
    Buffer(corex::Error),
    /// Nothing else will do better.
    Fatal(TracerError),
}

impl From<corex::Error> for AttemptError {
    fn from(e: corex::Error) -> AttemptError {
        AttemptError::Fatal(e.into())
    }
}

impl From<EventsError> for AttemptError {
    fn from(e: EventsError) -> AttemptError {
        AttemptError::Fatal(e.into())
    }
}

/// One try: load with `mode`'s program, open the reader, attach.
struct Attempt;

impl Attempt {
    fn run<'cb>(
        config: &Config,
        buffer: BufferKind,
        mode: AttachMode,
        sink: &SharedSink<'cb>,
    ) -> Result<Tracer<'cb>, AttemptError> {
        let wakeup_bytes = if config.max_delay.is_zero() {
            0
        } else {
            WAKEUP_BYTES
        };
        let open = configure(config, buffer, mode, wakeup_bytes)?;
        let loaded = match open.load() {
            Ok(l) => l,
            Err(e) => return Err(classify_load_error(e, mode)),
        };
        let reader = open_reader(&loaded, buffer, wakeup_bytes, sink)?;
        let mut poller = Poller::new()?;
        match &reader {
            Reader::Ring(r) => poller.add(r)?,
            Reader::Perf(p) => poller.add(p)?,
        }
        if let Some(path) = &config.cgroup {
            set_cgroup(&loaded, path).map_err(AttemptError::Fatal)?;
        }
        let exec = loaded
            .program(mode.program())
            .ok_or_else(|| AttemptError::Fatal(missing_program(&loaded, mode.program())))?;
        let mut links = vec![exec
            .attach()
            .map_err(|e| AttemptError::Mode(ModeFailure::Attach(e)))?];
        let syscalls = config.outcomes != Outcomes::Successful;
        if syscalls {
            for (name, tracepoint) in SYSCALL_ATTACHMENTS {
                let prog = loaded
                    .program(name)
                    .ok_or_else(|| AttemptError::Fatal(missing_program(&loaded, name)))?;
                let target = AttachTarget::Tracepoint {
                    category: "syscalls".to_owned(),
                    name: tracepoint.to_owned(),
                };
                let link = prog
                    .attach_to(&target, &AttachOptions::default())
                    .map_err(|e| AttemptError::Fatal(TracerError::Syscalls(e)))?;
                links.push(link);
            }
        }
        Ok(Tracer {
            setup: Setup {
                mode,
                passed_over: Vec::new(),
                buffer,
                ring_unusable: None,
                syscalls,
                wakeup_bytes,
            },
            links,
            poller,
            reader,
            sink: sink.clone(),
            drops: DropCounters::default(),
            loaded,
            max_delay: config.max_delay,
        })
    }
}

fn missing_program(loaded: &LoadedObject, name: &str) -> TracerError {
    TracerError::Library(corex::Error::NotFound {
        object: loaded.source().to_owned(),
        kind: "program",
        name: name.to_owned(),
    })
}

/// The object for `buffer`, configured for `mode` and `config`.
fn configure(
    config: &Config,
    buffer: BufferKind,
    mode: AttachMode,
    wakeup_bytes: u32,
) -> Result<OpenObject, AttemptError> {
    let (name, bytes) = match buffer {
        BufferKind::Ring => ("execsnoop.bpf.o", RING_OBJECT),
        BufferKind::Perf => ("execsnoop_perf.bpf.o", PERF_OBJECT),
    };
    let mut open = OpenObject::from_bytes(name, bytes)?;
    let syscalls = config.outcomes != Outcomes::Successful;
    let mut programs = vec![mode.program()];
    if syscalls {
        programs.extend(SYSCALL_PROGRAMS);
    }
    open.load_only(&programs)?;
    let int = |v: u32| GlobalValue::Int(i128::from(v));
    open.set_global("max_args", int(config.max_args))?;
    open.set_global("filter_uid", GlobalValue::Bool(config.uid.is_some()))?;
    open.set_global("target_uid", int(config.uid.unwrap_or(0)))?;
    open.set_global("filter_cgroup", GlobalValue::Bool(config.cgroup.is_some()))?;
    open.set_global(
        "report_success",
        GlobalValue::Bool(config.outcomes != Outcomes::Failed),
    )?;
    open.set_global("stage_failed", GlobalValue::Bool(syscalls))?;
    if buffer == BufferKind::Ring {
        open.set_global("wakeup_bytes", int(wakeup_bytes))?;
    }
    if let Some(btf) = &config.core_btf {
        open.set_core_btf(btf)?;
    }
    Ok(open)
}

/// Whether a failed load is the mode's program (try another mode), the
/// event map (try another buffer) or anything else (give up).
fn classify_load_error(e: corex::Error, mode: AttachMode) -> AttemptError {
    let cause = e.cause();
    match cause {
        corex::Error::Program { program, .. }
        | corex::Error::TrampolinesRefused { program, .. }
            if program == mode.program() =>
        {
            AttemptError::Mode(ModeFailure::Load(e))
        }
        corex::Error::Map { map, .. } if map == "events" => AttemptError::Buffer(e),
        _ => AttemptError::Fatal(e.into()),
    }
}

/// Opens the reader of the object's `events` map, before anything is
/// attached (a perf event array drops events for CPUs without a reader).
fn open_reader<'cb>(
    loaded: &LoadedObject,
    buffer: BufferKind,
    wakeup_bytes: u32,
    sink: &SharedSink<'cb>,
) -> Result<Reader<'cb>, AttemptError> {
    let map = loaded.map("events").ok_or_else(|| {
        AttemptError::Fatal(TracerError::Library(corex::Error::NotFound {
            object: loaded.source().to_owned(),
            kind: "map",
            name: "events".into(),
        }))
    })?;
    let sink = sink.clone();
    Ok(match buffer {
        BufferKind::Ring => Reader::Ring(
            RingBuffer::builder()
                .add(map.fd(), move |data: &[u8]| deliver(&sink, data))?
                .build()?,
        ),
        BufferKind::Perf => {
            let wakeup = match wakeup_bytes {
                0 => Wakeup::Events(1),
                bytes => Wakeup::Watermark(bytes),
            };
            Reader::Perf(
                PerfBuffer::builder(map.fd())
                    .pages(PERF_PAGES)
                    .wakeup(wakeup)
                    .on_sample(move |_cpu, data| deliver(&sink, data))
                    .build()?,
            )
        }
    })
}

/// Puts the cgroup directory `path` at index 0 of `cgroup_filter`.
fn set_cgroup(loaded: &LoadedObject, path: &std::path::Path) -> Result<(), TracerError> {
    let bad = |why: String| TracerError::Cgroup {
        path: path.to_owned(),
        why,
    };
    let dir = File::open(path).map_err(|e| bad(e.to_string()))?;
    let map = loaded.map("cgroup_filter").ok_or_else(|| {
        TracerError::Library(corex::Error::NotFound {
            object: loaded.source().to_owned(),
            kind: "map",
            name: "cgroup_filter".into(),
        })
    })?;
    let fd = dir.as_raw_fd() as u32;
    map.update(&0u32.to_ne_bytes(), &fd.to_ne_bytes(), 0)
        .map_err(|e| {
            bad(format!(
                "not a cgroup v2 directory (the kernel refused it: {e})"
            ))
        })
}
