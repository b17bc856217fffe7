//! Programs: `BPF_PROG_LOAD`, `BPF_PROG_TEST_RUN`, `BPF_PROG_ATTACH` and
//! `BPF_PROG_DETACH`.

use crate::attr::{ProgAttachAttr, ProgBindMapAttr, ProgLoadAttr, TestRunAttr};
use crate::error::{Error, Result};
use crate::fd::{attr_fd, owned_fd, ProgFd};
use crate::info::{prog_info, prog_jited_func_lens, prog_xlated_insns, ProgInfo};
use crate::map::MapFd;
use crate::object::{fd_by_id, obj_get_kind, obj_pin, object_name, ObjectKind};
use crate::syscall::bpf;
use corex_uapi::{AttachType, BpfCmd, ProgType};
use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

/// The verifier log: a buffer the kernel writes into, and its level
/// (1: the failing path; 2: every instruction; 4: statistics).
#[derive(Debug)]
pub struct VerifierLog<'a> {
    /// Where the kernel writes the log (NUL-terminated text). At most
    /// `u32::MAX` bytes are used.
    pub buf: &'a mut [u8],
    /// `log_level`.
    pub level: u32,
    /// After the call, on kernels that report it (Linux 6.4+): the size the
    /// whole log needs, NUL included; 0 otherwise.
    pub true_size: u32,
}

impl<'a> VerifierLog<'a> {
    /// A log at `level` written into `buf`.
    pub fn new(buf: &'a mut [u8], level: u32) -> Self {
        VerifierLog {
            buf,
            level,
            true_size: 0,
        }
    }

    /// The text the kernel wrote (up to its NUL).
    pub fn text(&self) -> String {
        crate::object::name_from_field(self.buf)
    }

    fn attr_parts(&mut self) -> (u64, u32) {
        let len = self.buf.len().min(u32::MAX as usize) as u32;
        (self.buf.as_mut_ptr() as u64, len)
    }
}

/// BTF records (`bpf_func_info` or `bpf_line_info`) given to the verifier:
/// the bytes, each record `rec_size` long.
#[derive(Clone, Copy, Debug)]
pub struct BtfRecords<'a> {
    /// The records.
    pub bytes: &'a [u8],
    /// Each record's size (the kernel may know a shorter or longer one).
    pub rec_size: u32,
}

/// The attributes of `BPF_PROG_LOAD`. Start from [`ProgLoad::new`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ProgLoad<'a> {
    /// Program type.
    pub prog_type: ProgType,
    /// The instructions: 8 bytes each, in the host's byte order.
    pub insns: &'a [u8],
    /// The license (`"GPL"`...).
    pub license: &'a CStr,
    /// The program's name: at most 15 bytes of `[A-Za-z0-9_.]`.
    pub name: &'a str,
    /// The verifier log, if wanted.
    pub log: Option<VerifierLog<'a>>,
    /// `LINUX_VERSION_CODE` (kprobes on kernels before 5.0 check it).
    pub kern_version: u32,
    /// `corex_uapi::flags::prog::*`.
    pub prog_flags: u32,
    /// Expected attach type, `None` for program types that take none.
    pub expected_attach_type: Option<AttachType>,
    /// Device to offload to.
    pub prog_ifindex: u32,
    /// The program's BTF (for func_info, line_info, global functions).
    pub btf: Option<BorrowedFd<'a>>,
    /// `bpf_func_info` records.
    pub func_info: Option<BtfRecords<'a>>,
    /// `bpf_line_info` records.
    pub line_info: Option<BtfRecords<'a>>,
    /// BTF id of the attach target (tp_btf, fentry, fexit, lsm, freplace...).
    pub attach_btf_id: u32,
    /// The module BTF holding `attach_btf_id` (`None`: vmlinux).
    pub attach_btf_obj: Option<BorrowedFd<'a>>,
    /// freplace/fentry on a BPF program: the target program (instead of
    /// `attach_btf_obj`).
    pub attach_prog: Option<BorrowedFd<'a>>,
    /// fds that `ld_imm64` with `BPF_PSEUDO_MAP_IDX` and kfunc calls refer
    /// to by index.
    pub fd_array: &'a [i32],
}

impl<'a> ProgLoad<'a> {
    /// A program of `prog_type` with these instructions and license, no
    /// name, no log, no BTF.
    pub fn new(prog_type: ProgType, insns: &'a [u8], license: &'a CStr) -> Self {
        ProgLoad {
            prog_type,
            insns,
            license,
            name: "",
            log: None,
            kern_version: 0,
            prog_flags: 0,
            expected_attach_type: None,
            prog_ifindex: 0,
            btf: None,
            func_info: None,
            line_info: None,
            attach_btf_id: 0,
            attach_btf_obj: None,
            attach_prog: None,
            fd_array: &[],
        }
    }
}

fn bad(why: String) -> Error {
    Error::BadArgument {
        call: "BPF_PROG_LOAD",
        why,
    }
}

fn records(r: Option<BtfRecords<'_>>, what: &str) -> Result<(u64, u32, u32)> {
    let Some(r) = r else { return Ok((0, 0, 0)) };
    if r.rec_size == 0 || r.bytes.len() % r.rec_size as usize != 0 {
        return Err(bad(format!(
            "{what} has {} bytes, not a multiple of its record size {}",
            r.bytes.len(),
            r.rec_size
        )));
    }
    let count = r.bytes.len() / r.rec_size as usize;
    let count = u32::try_from(count).map_err(|_| bad(format!("{what} has too many records")))?;
    Ok((r.bytes.as_ptr() as u64, r.rec_size, count))
}

impl ProgFd {
    /// Loads a program (`BPF_PROG_LOAD`). On failure the log, if given,
    /// holds the verifier's reasons; `load.log.true_size` is set on kernels
    /// that report the size the log needs.
    pub fn load(load: &mut ProgLoad<'_>) -> Result<ProgFd> {
        if load.insns.is_empty() || !load.insns.len().is_multiple_of(8) {
            return Err(bad(format!(
                "{} bytes of instructions: not a positive multiple of 8",
                load.insns.len()
            )));
        }
        if load.attach_btf_obj.is_some() && load.attach_prog.is_some() {
            return Err(bad(
                "an attach target BTF object and an attach target program were both given".into(),
            ));
        }
        let insn_cnt =
            u32::try_from(load.insns.len() / 8).map_err(|_| bad("too many instructions".into()))?;
        let (func_info, func_info_rec_size, func_info_cnt) = records(load.func_info, "func_info")?;
        let (line_info, line_info_rec_size, line_info_cnt) = records(load.line_info, "line_info")?;
        let fd_array_cnt = load.fd_array.len();
        let (log_buf, log_size) = load.log.as_mut().map_or((0, 0), |l| l.attr_parts());
        let mut attr = ProgLoadAttr {
            prog_type: load.prog_type.0,
            insn_cnt,
            insns: load.insns.as_ptr() as u64,
            license: load.license.as_ptr() as u64,
            log_level: if log_size > 0 {
                load.log.as_ref().map_or(0, |l| l.level)
            } else {
                0
            },
            log_size,
            log_buf,
            kern_version: load.kern_version,
            prog_flags: load.prog_flags,
            prog_name: object_name("BPF_PROG_LOAD", load.name)?,
            prog_ifindex: load.prog_ifindex,
            expected_attach_type: load.expected_attach_type.map_or(0, |t| t.0),
            prog_btf_fd: load.btf.map_or(0, attr_fd),
            func_info_rec_size,
            func_info,
            func_info_cnt,
            line_info_rec_size,
            line_info,
            line_info_cnt,
            attach_btf_id: load.attach_btf_id,
            attach_target_fd: load.attach_btf_obj.or(load.attach_prog).map_or(0, attr_fd),
            fd_array: if fd_array_cnt == 0 {
                0
            } else {
                load.fd_array.as_ptr() as u64
            },
            ..Default::default()
        };
        let result = bpf(BpfCmd::PROG_LOAD, &mut attr);
        if let Some(log) = load.log.as_mut() {
            log.true_size = attr.log_true_size;
        }
        result.map(|fd| ProgFd::from_owned(owned_fd(fd)))
    }

    /// The program with this id (`BPF_PROG_GET_FD_BY_ID`).
    pub fn from_id(id: u32) -> Result<ProgFd> {
        fd_by_id(ObjectKind::Prog, id).map(ProgFd::from_owned)
    }

    /// The program pinned at `path` (another kind of object is an error).
    pub fn from_pinned(path: &Path) -> Result<ProgFd> {
        obj_get_kind(path, 0, ObjectKind::Prog).map(ProgFd::from_owned)
    }

    /// What the kernel says about the program.
    pub fn info(&self) -> Result<ProgInfo> {
        prog_info(self.as_fd())
    }

    /// The program's kernel id: one `BPF_OBJ_GET_INFO_BY_FD`, without the
    /// second call [`ProgFd::info`] makes for the map ids.
    pub fn id(&self) -> Result<u32> {
        crate::info::prog_id(self.as_fd())
    }

    /// The program's instructions after the verifier's rewrites.
    pub fn xlated_insns(&self) -> Result<Vec<u8>> {
        prog_xlated_insns(self.as_fd())
    }

    /// The byte length of each JIT-compiled function.
    pub fn jited_func_lens(&self) -> Result<Vec<u32>> {
        prog_jited_func_lens(self.as_fd())
    }

    /// Pins the program at `path` in a BPF file system.
    pub fn pin(&self, path: &Path) -> Result<()> {
        obj_pin(self.as_fd(), path)
    }

    /// Makes the program hold `map` as if its instructions used it
    /// (`BPF_PROG_BIND_MAP`, Linux 5.10+): the map lives as long as the
    /// program. libbpf binds `.rodata` this way, so the kernel shows it among
    /// the program's maps even when no instruction loads it.
    pub fn bind_map(&self, map: &MapFd) -> Result<()> {
        let mut attr = ProgBindMapAttr {
            prog_fd: attr_fd(self.as_fd()),
            map_fd: attr_fd(map.as_fd()),
            flags: 0,
        };
        bpf(BpfCmd::PROG_BIND_MAP, &mut attr).map(drop)
    }

    /// Runs the program once or more on given input (`BPF_PROG_TEST_RUN`).
    pub fn test_run(&self, run: &mut TestRun<'_>) -> Result<TestRunResult> {
        let len32 = |n: usize, what: &str| {
            u32::try_from(n).map_err(|_| Error::BadArgument {
                call: "BPF_PROG_TEST_RUN",
                why: format!("{what} is larger than 4 GiB"),
            })
        };
        let ptr = |s: &[u8]| if s.is_empty() { 0 } else { s.as_ptr() as u64 };
        let mut attr = TestRunAttr {
            prog_fd: attr_fd(self.as_fd()),
            data_size_in: len32(run.data_in.len(), "data_in")?,
            data_in: ptr(run.data_in),
            data_size_out: len32(run.data_out.as_deref().map_or(0, <[u8]>::len), "data_out")?,
            data_out: run.data_out.as_deref().map_or(0, ptr),
            ctx_size_in: len32(run.ctx_in.len(), "ctx_in")?,
            ctx_in: ptr(run.ctx_in),
            ctx_size_out: len32(run.ctx_out.as_deref().map_or(0, <[u8]>::len), "ctx_out")?,
            ctx_out: run.ctx_out.as_deref().map_or(0, ptr),
            repeat: run.repeat,
            flags: run.flags,
            cpu: run.cpu,
            ..Default::default()
        };
        bpf(BpfCmd::PROG_TEST_RUN, &mut attr)?;
        Ok(TestRunResult {
            retval: attr.retval,
            duration_ns: attr.duration,
            data_size_out: attr.data_size_out,
            ctx_size_out: attr.ctx_size_out,
        })
    }
}

/// Input and output buffers of [`ProgFd::test_run`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct TestRun<'a> {
    /// Packet data (network programs).
    pub data_in: &'a [u8],
    /// Where the kernel writes the data after the run.
    pub data_out: Option<&'a mut [u8]>,
    /// The context (for example a `struct pt_regs` or raw tracepoint args).
    pub ctx_in: &'a [u8],
    /// Where the kernel writes the context after the run.
    pub ctx_out: Option<&'a mut [u8]>,
    /// Runs (0 and 1: once).
    pub repeat: u32,
    /// `corex_uapi::flags::test_run::*`.
    pub flags: u32,
    /// CPU, with `flags::test_run::RUN_ON_CPU`.
    pub cpu: u32,
}

/// What [`ProgFd::test_run`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestRunResult {
    /// The program's return value.
    pub retval: u32,
    /// Mean run time in nanoseconds.
    pub duration_ns: u32,
    /// Bytes of data written to `data_out`.
    pub data_size_out: u32,
    /// Bytes of context written to `ctx_out`.
    pub ctx_size_out: u32,
}

/// Attaches `prog` to `target` (a cgroup, a socket map...) the old way
/// (`BPF_PROG_ATTACH`); `flags`: `flags::attach::*`; `replace`: the program
/// to replace, with `flags::attach::REPLACE`.
pub fn prog_attach(
    target: BorrowedFd<'_>,
    prog: &ProgFd,
    attach_type: AttachType,
    flags: u32,
    replace: Option<&ProgFd>,
) -> Result<()> {
    let mut attr = ProgAttachAttr {
        target_fd: attr_fd(target),
        attach_bpf_fd: attr_fd(prog.as_fd()),
        attach_type: attach_type.0,
        attach_flags: flags,
        replace_bpf_fd: replace.map_or(0, |p| attr_fd(p.as_fd())),
        ..Default::default()
    };
    bpf(BpfCmd::PROG_ATTACH, &mut attr).map(drop)
}

/// Detaches `prog` (or, for attach points holding one program, whatever is
/// there when `None`) from `target` (`BPF_PROG_DETACH`).
pub fn prog_detach(
    target: BorrowedFd<'_>,
    prog: Option<&ProgFd>,
    attach_type: AttachType,
) -> Result<()> {
    let mut attr = ProgAttachAttr {
        target_fd: attr_fd(target),
        attach_bpf_fd: prog.map_or(0, |p| attr_fd(p.as_fd())),
        attach_type: attach_type.0,
        ..Default::default()
    };
    bpf(BpfCmd::PROG_DETACH, &mut attr).map(drop)
}
