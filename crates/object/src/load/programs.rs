//! A program's load attributes from its section name, as libbpf's
//! `libbpf_prepare_prog_load`: program type, expected attach type (dropped
//! where optional on kernels without it), sleepable and XDP-frags flags,
//! and for BTF attach points the kernel type found by exact name (a
//! `btf_trace_` typedef for tp_btf, a `bpf_lsm_` function for lsm, a
//! `bpf_iter_` function for iterators, the function itself for fentry,
//! fexit and fmod_ret) in vmlinux, then in module BTFs.

use corex_btf::Kind;

use corex_uapi::flags::prog as prog_flags;
use corex_uapi::{AttachType, ProgType};

use super::error::{PlanError, Problem};
use super::inputs::{Feature, KernelInputs};
use super::target::{find_kernel_type, KernelType};
use crate::Program;

/// libbpf's `BTF_MAX_NAME_SIZE`, with the NUL.
const BTF_MAX_NAME_SIZE: usize = 128;

/// A program's load attributes other than its instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LoadAttrs {
    pub prog_type: ProgType,
    pub expected_attach_type: Option<AttachType>,
    pub flags: u32,
    pub attach_btf: Option<KernelType>,
    /// The name looked up for `attach_btf`.
    pub attach_name: Option<String>,
}

/// The prefix and kind libbpf looks up for a BTF attach type
/// (`btf_get_kernel_prefix_kind`).
fn prefix_kind(attach: Option<AttachType>) -> (&'static str, Kind) {
    match attach {
        Some(AttachType::TRACE_RAW_TP) => ("btf_trace_", Kind::Typedef),
        Some(AttachType::LSM_MAC) | Some(AttachType::LSM_CGROUP) => ("bpf_lsm_", Kind::Func),
        Some(AttachType::TRACE_ITER) => ("bpf_iter_", Kind::Func),
        _ => ("", Kind::Func),
    }
}

/// The load attributes of `prog`.
pub(crate) fn attrs(prog: &Program, kernel: &KernelInputs<'_>) -> Result<LoadAttrs, PlanError> {
    let section = prog.section.strip_prefix('?').unwrap_or(&prog.section);
    let point = prog.attach.as_ref().ok_or_else(|| -> PlanError {
        Problem::UnknownSection {
            program: prog.name.clone(),
            section: prog.section.clone(),
        }
        .into()
    })?;
    let prog_type = point.prog_type;
    let mut expected_attach_type = point.attach_type;
    if point.attach_type_optional && !kernel.has(Feature::ExpAttachType) {
        expected_attach_type = None;
    }
    let mut flags = 0;
    if point.sleepable {
        flags |= prog_flags::SLEEPABLE;
    }
    if prog_type == ProgType::XDP && point.xdp_frags {
        flags |= prog_flags::XDP_HAS_FRAGS;
    }
    let mut out = LoadAttrs {
        prog_type,
        expected_attach_type,
        flags,
        attach_btf: None,
        attach_name: None,
    };
    if !point.attach_btf {
        return Ok(out);
    }
    let target = section
        .split_once('/')
        .map(|(_, t)| t)
        .ok_or_else(|| -> PlanError {
            Problem::NoAttachTarget {
                program: prog.name.clone(),
                section: prog.section.clone(),
            }
            .into()
        })?;
    if prog_type == ProgType::EXT {
        return Err(Problem::Unsupported {
            what: format!(
                "program '{}' replaces a function of a loaded program (freplace)",
                prog.name
            ),
        }
        .into());
    }
    let (prefix, kind) = prefix_kind(expected_attach_type);
    let name = format!("{prefix}{target}");
    let missing = || -> PlanError {
        Problem::AttachTarget {
            program: prog.name.clone(),
            name: name.clone(),
            kind,
            modules_searched: kernel.has(Feature::ModuleBtf) && kernel.has(Feature::Btf),
        }
        .into()
    };
    if name.len() >= BTF_MAX_NAME_SIZE {
        return Err(missing());
    }
    let vmlinux = kernel.vmlinux.get("vmlinux BTF")?;
    let found = find_kernel_type(vmlinux, || super::ksyms::modules(kernel), kind, &name)?;
    out.attach_btf = Some(found.ok_or_else(missing)?);
    out.attach_name = Some(name);
    Ok(out)
}
