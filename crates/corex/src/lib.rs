//! corex: eBPF CO-RE in pure Rust, the library a Rust program adds to its
//! Cargo.toml. It takes a BPF object from disk into the kernel in libbpf's
//! phases: **open** (parse, no kernel), **configure** (set `const volatile`
//! globals by name, choose programs, resize maps, pin, point CO-RE at an
//! external BTF), **load** (probe the kernel, sanitize and load BTF, create
//! maps and fill global data, relocate, load programs; all or nothing),
//! then attach and read events. The pure work (parsing, CO-RE, the load
//! plan) lives in `corex-object` and `corex-btf`; every system call goes
//! through `corex-sys`.
//!
//! ```no_run
//! use corex::{GlobalValue, OpenObject};
//!
//! let mut obj = OpenObject::open("execsnoop.bpf.o")?;
//! obj.set_global("target_uid", GlobalValue::Int(1000))?;
//! obj.set_max_entries("events", 1 << 20)?;
//! let loaded = obj.load()?;
//! for prog in loaded.programs() {
//!     println!("{} loaded as id {}", prog.name(), prog.id());
//! }
//! let drops = loaded.global("drops")?;
//! println!("drops: {drops:?}");
//! # Ok::<(), corex::Error>(())
//! ```
//!
//! Everything loaded is released when the [`LoadedObject`] (or the [`Map`]
//! and [`Program`] taken out of it) is dropped, except maps pinned in a BPF
//! file system.

#![warn(missing_docs)]

pub mod attach;
pub mod events;
pub mod trace_pipe;

mod error;
mod kernel;
mod load;
mod loaded;
mod map;
mod object;
mod probe;
mod program;

pub use corex_object::load::{Feature, Features, GlobalValue};
pub use corex_object::{AttachKind, AttachPoint};
/// The kernel layer: fds, element calls, test runs, links, perf events.
pub use corex_sys as sys;
/// The kernel's BPF numbers: program, map and attach types, helpers, flags.
pub use corex_uapi as uapi;
pub use error::{Error, GlobalProblem, LoadFailure, MapStep, Result};
pub use kernel::{Kernel, ModuleBtf};
pub use load::{ItemOutcome, LoadReport, Outcome};
pub use loaded::LoadedObject;
pub use map::{Map, MapOrigin};
pub use object::{OpenObject, OpenProgram};
pub use probe::{Availability, Category, Cause, Missing, ProbeItem, ProbeReport};
pub use program::{AttachBtf, Program};

use corex_sys::Capabilities;

/// Checks that this process may load and attach tracing programs: CAP_BPF
/// and CAP_PERFMON, or CAP_SYS_ADMIN. The error is one sentence naming
/// what is missing.
pub fn check_privileges() -> Result<()> {
    let caps = Capabilities::current().map_err(|source| Error::System {
        what: "reading this process's capabilities",
        source: Box::new(source),
    })?;
    if caps.can_trace() {
        return Ok(());
    }
    Err(Error::NotPermitted {
        missing: caps.missing_for_tracing(),
    })
}

#[cfg(test)]
mod tests {
    /// What a program shares between threads: handles move across threads
    /// (fds and mappings), the kernel handle is shared.
    #[test]
    fn handles_are_send_and_the_kernel_sync() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<super::OpenObject>();
        send::<super::LoadedObject>();
        send::<super::Map>();
        send::<super::Program>();
        send::<super::Error>();
        sync::<super::Kernel>();
        sync::<super::LoadedObject>();
    }
}
