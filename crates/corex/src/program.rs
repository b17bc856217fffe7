//! A loaded program: its kernel id, type, attach point and attach BTF
//! target, what attaching it needs. Dropping it closes its fd (the kernel
//! unloads it once no link, map slot, fd or pin holds it).

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use corex_object::AttachPoint;
use corex_sys::{ProgFd, TestRun, TestRunResult};
use corex_uapi::{AttachType, ProgType};

use crate::error::{Error, Result};

/// The kernel BTF type a program was loaded against (tp_btf, fentry,
/// fexit, fmod_ret, lsm, iter): its `attach_btf_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttachBtf {
    /// The type id in vmlinux's or the module's BTF.
    pub type_id: u32,
    /// The name looked up (`btf_trace_sched_switch`, `do_unlinkat`).
    pub name: String,
    /// The module holding it: its name and kernel BTF object id (`None`:
    /// vmlinux).
    pub module: Option<(String, u32)>,
}

/// A program of a loaded object.
#[derive(Debug)]
pub struct Program {
    pub(crate) name: String,
    pub(crate) section: String,
    pub(crate) id: u32,
    pub(crate) fd: ProgFd,
    pub(crate) prog_type: ProgType,
    pub(crate) expected_attach_type: Option<AttachType>,
    pub(crate) attach: Option<AttachPoint>,
    pub(crate) attach_btf: Option<AttachBtf>,
    /// The object's file or name, for errors.
    pub(crate) object: String,
}

impl Program {
    /// Its name (the C function's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its ELF section (`tracepoint/sched/sched_process_exec`).
    pub fn section(&self) -> &str {
        &self.section
    }

    /// Its kernel id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its program type.
    pub fn prog_type(&self) -> ProgType {
        self.prog_type
    }

    /// The expected attach type it was loaded with, if any.
    pub fn expected_attach_type(&self) -> Option<AttachType> {
        self.expected_attach_type
    }

    /// What its section says about how it attaches and to what.
    pub fn attach_point(&self) -> Option<&AttachPoint> {
        self.attach.as_ref()
    }

    /// The kernel BTF type it was loaded against, for BTF-attached kinds.
    pub fn attach_btf(&self) -> Option<&AttachBtf> {
        self.attach_btf.as_ref()
    }

    /// The program's fd.
    pub fn fd(&self) -> &ProgFd {
        &self.fd
    }

    /// Runs it on given input (`BPF_PROG_TEST_RUN`).
    pub fn test_run(&self, run: &mut TestRun<'_>) -> Result<TestRunResult> {
        self.fd.test_run(run).map_err(|source| Error::ProgramSetup {
            object: self.object.clone(),
            program: self.name.clone(),
            what: "test run".into(),
            source: Box::new(source),
        })
    }

    /// Pins the program at `path` in a BPF file system.
    pub fn pin(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.fd.pin(path).map_err(|source| Error::ProgramSetup {
            object: self.object.clone(),
            program: self.name.clone(),
            what: format!(
                "pinning at '{}'",
                corex_btf::printable(path.as_os_str().as_encoded_bytes())
            ),
            source: Box::new(source),
        })
    }
}

impl AsFd for Program {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
