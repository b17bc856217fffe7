//! `BPF_ENABLE_STATS` and `BPF_TASK_FD_QUERY`.

use crate::attr::{EnableStatsAttr, TaskFdQueryAttr};
use crate::error::{Errno, Error, Result};
use crate::fd::{owned_fd, StatsFd};
use crate::syscall::{bpf, bpf_errno};
use corex_uapi::{BpfCmd, StatsType, TaskFdType};

/// Turns a statistic on for every program (`BPF_ENABLE_STATS`;
/// `StatsType::RUN_TIME` fills `run_time_ns` and `run_cnt`) while the
/// returned fd is open.
pub fn enable_stats(stats: StatsType) -> Result<StatsFd> {
    let mut attr = EnableStatsAttr {
        stats_type: stats.0,
    };
    bpf(BpfCmd::ENABLE_STATS, &mut attr).map(|fd| StatsFd::from_owned(owned_fd(fd)))
}

/// What `BPF_TASK_FD_QUERY` reports about a process's fd.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskFdInfo {
    /// Id of the program attached through the fd.
    pub prog_id: u32,
    /// The kind of attachment.
    pub fd_type: TaskFdType,
    /// The tracepoint, function or file name.
    pub name: String,
    /// kprobe/uprobe offset.
    pub probe_offset: u64,
    /// kprobe address.
    pub probe_addr: u64,
}

/// Asks what BPF program process `pid`'s fd `fd` (a perf event or raw
/// tracepoint) runs (`BPF_TASK_FD_QUERY`).
pub fn task_fd_query(pid: u32, fd: u32) -> Result<TaskFdInfo> {
    let cmd = BpfCmd::TASK_FD_QUERY;
    let mut buf = vec![0u8; 256];
    loop {
        let mut attr = TaskFdQueryAttr {
            pid,
            fd,
            buf_len: buf.len() as u32,
            buf: buf.as_mut_ptr() as u64,
            ..Default::default()
        };
        match bpf_errno(cmd, &mut attr) {
            Ok(_) => {
                return Ok(TaskFdInfo {
                    prog_id: attr.prog_id,
                    fd_type: TaskFdType(attr.fd_type),
                    name: crate::object::name_from_field(&buf),
                    probe_offset: attr.probe_offset,
                    probe_addr: attr.probe_addr,
                })
            }
            // The kernel sets buf_len to the size the name needs.
            Err(Errno::ENOSPC) if (attr.buf_len as usize) >= buf.len() && buf.len() < 1 << 16 => {
                buf = vec![0u8; attr.buf_len as usize + 1];
            }
            Err(errno) => return Err(Error::Bpf { cmd, errno }),
        }
    }
}
