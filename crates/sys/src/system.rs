//! The process and the machine: the memlock limit (BPF memory is charged to
//! it before Linux 5.11), capabilities, `uname`, the CPU lists.

use crate::error::{Errno, Error, Result, Syscall};
use std::sync::OnceLock;

/// A resource limit value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// No limit (`RLIM_INFINITY`).
    Infinity,
    /// This many bytes.
    Bytes(u64),
}

impl Limit {
    fn from_raw(v: libc::rlim_t) -> Limit {
        if v == libc::RLIM_INFINITY {
            Limit::Infinity
        } else {
            Limit::Bytes(v)
        }
    }

    fn to_raw(self) -> libc::rlim_t {
        match self {
            Limit::Infinity => libc::RLIM_INFINITY,
            Limit::Bytes(b) => b,
        }
    }
}

/// `RLIMIT_MEMLOCK`: (soft, hard).
pub fn memlock_limit() -> Result<(Limit, Limit)> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is a live rlimit the call fills.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut rl) } != 0 {
        return Err(Error::Syscall {
            call: Syscall::GetRlimit,
            errno: Errno::last(),
        });
    }
    Ok((Limit::from_raw(rl.rlim_cur), Limit::from_raw(rl.rlim_max)))
}

/// Sets `RLIMIT_MEMLOCK` (both limits). libbpf raises it to infinity when
/// the kernel charges BPF memory to memlock (before 5.11, no memcg
/// accounting); deciding that is the caller's job.
pub fn set_memlock_limit(soft: Limit, hard: Limit) -> Result<()> {
    let rl = libc::rlimit {
        rlim_cur: soft.to_raw(),
        rlim_max: hard.to_raw(),
    };
    // SAFETY: `rl` is a live, initialized rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &rl) } != 0 {
        return Err(Error::Syscall {
            call: Syscall::SetRlimit,
            errno: Errno::last(),
        });
    }
    Ok(())
}

/// A Linux capability BPF work needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `CAP_NET_ADMIN` (12): network program types and attach points.
    NetAdmin,
    /// `CAP_SYS_ADMIN` (21): everything, on kernels before 5.8 the only way.
    SysAdmin,
    /// `CAP_SYS_RESOURCE` (24): raising RLIMIT_MEMLOCK.
    SysResource,
    /// `CAP_PERFMON` (38, Linux 5.8+): tracing programs, perf events.
    Perfmon,
    /// `CAP_BPF` (39, Linux 5.8+): maps, programs, BTF.
    Bpf,
}

impl Capability {
    /// The capability's number.
    pub fn number(self) -> u32 {
        match self {
            Capability::NetAdmin => 12,
            Capability::SysAdmin => 21,
            Capability::SysResource => 24,
            Capability::Perfmon => 38,
            Capability::Bpf => 39,
        }
    }

    /// Its name (`CAP_BPF`).
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::SysAdmin => "CAP_SYS_ADMIN",
            Capability::SysResource => "CAP_SYS_RESOURCE",
            Capability::Perfmon => "CAP_PERFMON",
            Capability::Bpf => "CAP_BPF",
        }
    }
}

/// The calling thread's effective capabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    effective: u64,
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

impl Capabilities {
    /// Reads them (`capget`).
    pub fn current() -> Result<Capabilities> {
        let mut header = CapHeader {
            version: CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData::default(); 2];
        // SAFETY: version 3 takes a header and an array of two data
        // structs, both live and of the layout the kernel expects.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_capget,
                &mut header as *mut CapHeader,
                data.as_mut_ptr(),
            )
        };
        if ret != 0 {
            return Err(Error::Syscall {
                call: Syscall::Capget,
                errno: Errno::last(),
            });
        }
        Ok(Capabilities {
            effective: u64::from(data[0].effective) | (u64::from(data[1].effective) << 32),
        })
    }

    /// From an effective-set bit mask (bit N: capability N).
    pub fn from_effective_mask(effective: u64) -> Capabilities {
        Capabilities { effective }
    }

    /// Whether `cap` is effective.
    pub fn has(self, cap: Capability) -> bool {
        self.effective & (1 << cap.number()) != 0
    }

    /// Whether maps, BTF and programs can be made: CAP_BPF or CAP_SYS_ADMIN.
    pub fn can_bpf(self) -> bool {
        self.has(Capability::Bpf) || self.has(Capability::SysAdmin)
    }

    /// Whether tracing programs can be loaded and attached: CAP_BPF and
    /// CAP_PERFMON, or CAP_SYS_ADMIN.
    pub fn can_trace(self) -> bool {
        (self.has(Capability::Bpf) && self.has(Capability::Perfmon))
            || self.has(Capability::SysAdmin)
    }

    /// The capabilities tracing needs that are missing (empty when
    /// [`Capabilities::can_trace`]).
    pub fn missing_for_tracing(self) -> Vec<Capability> {
        if self.can_trace() {
            return Vec::new();
        }
        [Capability::Bpf, Capability::Perfmon]
            .into_iter()
            .filter(|c| !self.has(*c))
            .collect()
    }
}

/// What `uname` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uname {
    /// `Linux`.
    pub sysname: String,
    /// The kernel release (`6.1.0-18-amd64`).
    pub release: String,
    /// The build version (`#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 ...`).
    pub version: String,
    /// The machine (`x86_64`).
    pub machine: String,
}

/// `uname(2)`.
pub fn uname() -> Result<Uname> {
    // SAFETY: utsname is plain old data; all zero is a valid value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a live utsname the call fills.
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(Error::Syscall {
            call: Syscall::Uname,
            errno: Errno::last(),
        });
    }
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(Uname {
        sysname: text(&u.sysname),
        release: text(&u.release),
        version: text(&u.version),
        machine: text(&u.machine),
    })
}

/// Parses a kernel CPU list (`0-3,5,7-8`) into CPU numbers.
pub fn parse_cpu_list(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo.parse::<u32>().ok()?, hi.parse::<u32>().ok()?),
            None => {
                let n = part.parse::<u32>().ok()?;
                (n, n)
            }
        };
        if hi < lo || hi - lo > 1 << 16 {
            return None;
        }
        cpus.extend(lo..=hi);
    }
    (!cpus.is_empty()).then_some(cpus)
}

fn read_cpu_list(path: &str) -> Result<Vec<u32>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::KernelFile {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    parse_cpu_list(&text).ok_or_else(|| Error::KernelFile {
        path: path.to_owned(),
        why: format!("not a CPU list: {:?}", text.trim()),
    })
}

/// The possible CPUs (`/sys/devices/system/cpu/possible`): per-CPU map
/// values and perf buffers have one slot each.
pub fn possible_cpus() -> Result<Vec<u32>> {
    read_cpu_list("/sys/devices/system/cpu/possible")
}

/// The online CPUs (`/sys/devices/system/cpu/online`).
pub fn online_cpus() -> Result<Vec<u32>> {
    read_cpu_list("/sys/devices/system/cpu/online")
}

/// How many slots per-CPU values have: the highest possible CPU + 1 (read
/// once per process, as the kernel's `num_possible_cpus` cannot change).
pub fn possible_cpu_count() -> Result<usize> {
    static COUNT: OnceLock<usize> = OnceLock::new();
    if let Some(n) = COUNT.get() {
        return Ok(*n);
    }
    let n = possible_cpus()?.iter().max().map_or(1, |m| *m as usize + 1);
    Ok(*COUNT.get_or_init(|| n))
}
