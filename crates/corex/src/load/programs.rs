//! Programs: the planned instructions with map and module BTF fds written
//! in, loaded with their BTF, func and line info, attach target and
//! `fd_array`. A program the kernel refuses is loaded again with a
//! verifier log, grown until the log fits (as far as libbpf's largest
//! buffer), and the log gets libbpf's rewrite of poisoned instructions.

use std::ffi::CString;
use std::os::fd::AsFd;

use corex_btf::Endian;
use corex_object::load::{BtfSource, ProgramPlan};
use corex_object::Insn;
use corex_sys::{BtfRecords, Errno, ProgFd, ProgLoad, VerifierLog};

use super::{MadeProgram, Session};
use crate::error::{Error, Result};

/// The first verifier log buffer.
const FIRST_LOG: usize = 1 << 20;
/// The largest (libbpf's `BPF_LOG_BUF_SIZE`, `UINT32_MAX >> 8`).
const MAX_LOG: usize = (u32::MAX >> 8) as usize;

/// The parts of one `BPF_PROG_LOAD` that outlive the attribute struct.
struct Parts {
    insns: Vec<u8>,
    license: CString,
    func_info: Vec<u8>,
    line_info: Vec<u8>,
    fd_array: Vec<i32>,
}

/// `bytes` as records of `rec_size` bytes, `None` when there are none.
fn records(bytes: &[u8], rec_size: u32) -> Option<BtfRecords<'_>> {
    (!bytes.is_empty()).then_some(BtfRecords { bytes, rec_size })
}

impl Session<'_> {
    fn parts(&self, plan: &ProgramPlan) -> Parts {
        let insns = plan.instructions(|target| self.fd_of(target));
        let endian = Endian::native();
        let with_btf = self.program_btf().is_some();
        let license = plan.license.split('\0').next().unwrap_or_default();
        Parts {
            insns: Insn::encode_all(&insns, endian),
            license: CString::new(license).unwrap_or_default(),
            func_info: if with_btf {
                plan.func_info_bytes(endian)
            } else {
                Vec::new()
            },
            line_info: if with_btf {
                plan.line_info_bytes(endian)
            } else {
                Vec::new()
            },
            fd_array: if self.plan.fd_array.is_empty() {
                Vec::new()
            } else {
                std::iter::once(0)
                    .chain(self.plan.fd_array.iter().map(|m| self.module_fd(*m)))
                    .collect()
            },
        }
    }

    /// The BTF programs get (with their func and line info): the program
    /// BTF if it loaded and the kernel knows BTF functions, as libbpf.
    fn program_btf(&self) -> Option<&corex_sys::BtfFd> {
        self.btf
            .as_ref()
            .filter(|_| self.features.has(corex_object::load::Feature::BtfFunc))
    }

    /// One `BPF_PROG_LOAD` of `plan`, with `log` if given.
    fn load_once(
        &self,
        plan: &ProgramPlan,
        parts: &Parts,
        log: Option<VerifierLog<'_>>,
    ) -> (corex_sys::Result<ProgFd>, u32) {
        let mut load = ProgLoad::new(plan.prog_type, &parts.insns, &parts.license);
        load.name = &plan.kernel_name;
        load.kern_version = plan.kern_version;
        load.prog_flags = plan.flags;
        load.expected_attach_type = plan.expected_attach_type;
        load.btf = self.program_btf().map(AsFd::as_fd);
        load.func_info = records(&parts.func_info, 8);
        load.line_info = records(&parts.line_info, 16);
        if let Some(target) = plan.attach_btf {
            load.attach_btf_id = target.id.0;
            if let BtfSource::Module(m) = target.source {
                let module = self
                    .kernel
                    .module_btfs()
                    .ok()
                    .and_then(|mods| mods.get(m.0));
                load.attach_btf_obj = module.map(|m| m.fd());
            }
        }
        load.fd_array = &parts.fd_array;
        load.log = log;
        let result = ProgFd::load(&mut load);
        let true_size = load.log.map_or(0, |l| l.true_size);
        (result, true_size)
    }

    /// Loads program `index` of the plan.
    pub(super) fn load_program(&self, index: usize) -> Result<MadeProgram> {
        let plan = &self.plan.programs[index];
        let parts = self.parts(plan);
        let (first, _) = self.load_once(plan, &parts, None);
        let (result, log) = match first {
            Ok(fd) => (Ok(fd), None),
            Err(e) if e.errno() == Some(Errno::EPERM) => (Err(e), None),
            Err(_) => {
                let (result, log) = self.load_with_log(plan, &parts);
                (result, Some(log))
            }
        };
        let error = |source: corex_sys::Error| Error::Program {
            object: self.source.to_owned(),
            program: plan.name.clone(),
            section: plan.section.clone(),
            source: Box::new(source),
            log: log
                .as_deref()
                .map(|l| self.plan.rewrite_verifier_log(plan, l)),
        };
        if let Err(e) = &result {
            if let Some(kind) = self.refused_trampoline(plan, e) {
                return Err(Error::TrampolinesRefused {
                    object: self.source.to_owned(),
                    program: plan.name.clone(),
                    section: plan.section.clone(),
                    kind,
                });
            }
        }
        let fd = result.map_err(&error)?;
        let id = fd.id().map_err(&error)?;
        Ok(MadeProgram { fd, id })
    }

    /// The attach kind of `plan` when `e` is the kernel refusing its BPF
    /// trampoline: EPERM for a trampoline kind, with the capabilities.
    fn refused_trampoline(&self, plan: &ProgramPlan, e: &corex_sys::Error) -> Option<&'static str> {
        use corex_object::AttachKind as K;
        if e.errno() != Some(Errno::EPERM) {
            return None;
        }
        let kind = self.object.programs[plan.program].attach.as_ref()?.kind;
        if !matches!(
            kind,
            K::Fentry | K::Fexit | K::FmodRet | K::Lsm | K::Freplace
        ) {
            return None;
        }
        let privileged = corex_sys::Capabilities::current().is_ok_and(|c| c.can_trace());
        privileged.then_some(kind.name())
    }

    /// Loads `plan` with a verifier log, growing the buffer while the
    /// kernel says the log did not fit (ENOSPC), up to [`MAX_LOG`]; the
    /// kernel's own error and the log text.
    fn load_with_log(
        &self,
        plan: &ProgramPlan,
        parts: &Parts,
    ) -> (corex_sys::Result<ProgFd>, String) {
        let mut size = FIRST_LOG;
        loop {
            let mut buf = vec![0u8; size];
            let (result, true_size) =
                self.load_once(plan, parts, Some(VerifierLog::new(&mut buf, 1)));
            let text = VerifierLog::new(&mut buf, 1).text();
            let truncated = matches!(&result, Err(e) if e.errno() == Some(Errno::ENOSPC));
            if !truncated || size >= MAX_LOG {
                return (result, text);
            }
            // Linux 6.4+ says how large the whole log is; older kernels
            // do not, and the buffer grows fourfold.
            let needed = true_size as usize;
            size = if needed > size { needed } else { size * 4 }.min(MAX_LOG);
        }
    }
}
