//! corex execsnoop's tracer: every exec on the machine, with its full
//! arguments read from the new process image, on whatever kernel runs.
//!
//! The BPF side (`bpf/execsnoop/`, its objects embedded here) reports
//! successful execs after the new image is in place, and failed execs
//! (optionally) at the syscall's exit; this crate loads it through the
//! corex library with the settings as `const volatile` globals, picks the
//! attach mode and buffer the kernel supports, reads and decodes the
//! events, and counts every drop. The `corex execsnoop` command is a thin
//! front over it (text and JSON output, signals); tests and the kernel
//! matrix drive it directly.
//!
//! ```no_run
//! use corex_execsnoop::{Config, Tracer};
//! let mut tracer = Tracer::start(&Config::default(), |record| match record {
//!     Ok(event) => println!("{} {:?}", event.pid, event.args),
//!     Err(bad) => eprintln!("undecodable record: {bad}"),
//! })?;
//! eprintln!("attached with {}", tracer.setup().mode);
//! loop {
//!     let progress = tracer.poll()?;
//!     if !progress.new_drops.is_empty() {
//!         eprintln!("lost: {:?}", progress.new_drops);
//!     }
//! }
//! # Ok::<(), corex_execsnoop::TracerError>(())
//! ```

#![warn(missing_docs)]

mod clock;
mod config;
mod drops;
mod errno;
pub mod event;
mod tracer;

pub use clock::{monotonic_ns, Clock};
pub use config::{
    AttachChoice, AttachMode, BufferChoice, BufferKind, Config, ConfigError, Outcomes,
    DEFAULT_MAX_DELAY,
};
pub use drops::{sum_per_cpu, Drops, DROP_OUTPUT, DROP_REASONS, DROP_STAGE};
pub use errno::errno_name;
pub use event::{Args, ArgsIter, DecodeError, Event, Flags};
pub use tracer::{
    ModeFailure, Progress, Record, Setup, Tracer, TracerError, Unusable, PERF_OBJECT, RING_OBJECT,
    SYSCALL_ATTACHMENTS, SYSCALL_PROGRAMS,
};
