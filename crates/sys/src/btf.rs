//! BTF in the kernel: `BPF_BTF_LOAD`, BTF objects by id, their info and data.

use crate::attr::BtfLoadAttr;
use crate::error::{Error, Result};
use crate::fd::{owned_fd, BtfFd};
use crate::info::{btf_data, btf_info, BtfInfo};
use crate::object::{fd_by_id, ObjectKind};
use crate::prog::VerifierLog;
use crate::syscall::bpf;
use corex_uapi::BpfCmd;
use std::os::fd::AsFd;

impl BtfFd {
    /// Loads raw BTF (header, types, strings) into the kernel
    /// (`BPF_BTF_LOAD`). On failure the log, if given, says why.
    pub fn load(data: &[u8], mut log: Option<&mut VerifierLog<'_>>) -> Result<BtfFd> {
        let btf_size = u32::try_from(data.len()).map_err(|_| Error::BadArgument {
            call: "BPF_BTF_LOAD",
            why: format!("{} bytes of BTF: more than 4 GiB", data.len()),
        })?;
        let (log_buf, log_size, log_level) = match log.as_deref_mut() {
            Some(l) => {
                let len = l.buf.len().min(u32::MAX as usize) as u32;
                (
                    l.buf.as_mut_ptr() as u64,
                    len,
                    if len > 0 { l.level } else { 0 },
                )
            }
            None => (0, 0, 0),
        };
        let mut attr = BtfLoadAttr {
            btf: data.as_ptr() as u64,
            btf_size,
            btf_log_buf: log_buf,
            btf_log_size: log_size,
            btf_log_level: log_level,
            ..Default::default()
        };
        let result = bpf(BpfCmd::BTF_LOAD, &mut attr);
        if let Some(l) = log {
            l.true_size = attr.btf_log_true_size;
        }
        result.map(|fd| BtfFd::from_owned(owned_fd(fd)))
    }

    /// The BTF object with this id (`BPF_BTF_GET_FD_BY_ID`): vmlinux, a
    /// module's, a program's.
    pub fn from_id(id: u32) -> Result<BtfFd> {
        fd_by_id(ObjectKind::Btf, id).map(BtfFd::from_owned)
    }

    /// What the kernel says about it (id, size, name).
    pub fn info(&self) -> Result<BtfInfo> {
        btf_info(self.as_fd())
    }

    /// The raw BTF the kernel holds.
    pub fn data(&self) -> Result<Vec<u8>> {
        btf_data(self.as_fd())
    }
}
