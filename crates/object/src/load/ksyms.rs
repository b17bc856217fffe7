//! Resolving externs as libbpf's `bpf_object__resolve_externs`: virtual
//! `LINUX_*` kconfig values, `CONFIG_*` from the kernel configuration,
//! typeless ksyms from kallsyms, typed ksyms and kfuncs by exact BTF lookup
//! in vmlinux then module BTFs (with libbpf's type compatibility check),
//! weak externs left at zero when absent.

use std::collections::HashMap;
use std::sync::Arc;

use corex_btf::{Endian, Kind, TypeId};

use super::error::{c_type, ExternProblem, PlanError, Problem};
use super::externs::{ExternClass, ExternDesc, Externs};
use super::inputs::{Feature, KernelInputs};
use super::kconfig::{apply_kconfig, set_number};
use super::target::{find_kernel_type, BtfSource, KernelBtf, KernelType, ModuleId};
use crate::work::tick;

/// What an extern resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExternValue {
    /// A `.kconfig` value: its bytes in the `.kconfig` map (all zero for a
    /// weak extern the kernel does not set).
    Kconfig {
        /// Offset in the `.kconfig` map.
        offset: u32,
        /// The value's bytes.
        bytes: Vec<u8>,
        /// Whether a value was found (else it is a weak extern left at 0).
        set: bool,
    },
    /// A typed `__ksym` variable: its kernel BTF VAR (`None`: weak and
    /// absent, loaded as address 0).
    KsymVar {
        /// Where it was found.
        target: Option<KernelType>,
    },
    /// A typeless `__ksym` variable: its kallsyms address (`None`: weak and
    /// absent, 0).
    Address(Option<u64>),
    /// A kfunc: its kernel BTF FUNC and the `fd_array` slot of its module
    /// BTF (0 for vmlinux); `None`: weak and absent.
    Kfunc {
        /// Where it was found.
        target: Option<KernelType>,
        /// Index into [`LoadPlan::fd_array`](super::LoadPlan::fd_array)
        /// written in the call's offset.
        fd_index: i16,
    },
}

/// An extern and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedExtern {
    /// The extern's name.
    pub name: String,
    /// Declared `__weak`.
    pub weak: bool,
    /// Its value.
    pub value: ExternValue,
}

/// Every extern's value, and what the program load needs for them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Resolved {
    pub list: Vec<ResolvedExtern>,
    by_name: HashMap<String, usize>,
    /// The `.kconfig` map's contents (when the object has kconfig externs).
    pub kconfig_data: Option<Vec<u8>>,
    /// `fd_array[1..]`: module BTFs of kfuncs (slot 0 stays unused).
    pub fd_array: Vec<ModuleId>,
}

impl Resolved {
    /// The value of extern `name`.
    pub(crate) fn value(&self, name: &str) -> Option<&ExternValue> {
        self.by_name.get(name).map(|&i| &self.list[i].value)
    }
}

fn err(name: &str, why: ExternProblem) -> PlanError {
    Problem::Extern {
        name: name.to_owned(),
        why,
    }
    .into()
}

/// The module BTFs, when the kernel has them (module BTF needs BTF).
pub(crate) fn modules(kernel: &KernelInputs<'_>) -> Result<Vec<Arc<KernelBtf>>, PlanError> {
    if !kernel.has(Feature::ModuleBtf) || !kernel.has(Feature::Btf) {
        return Ok(Vec::new());
    }
    kernel.modules.get("module BTF").cloned()
}

fn kernel_btf<'a>(
    vmlinux: &'a KernelBtf,
    mods: &'a [Arc<KernelBtf>],
    source: BtfSource,
) -> &'a KernelBtf {
    match source {
        BtfSource::Vmlinux => vmlinux,
        BtfSource::Module(m) => &mods[m.0],
    }
}

/// Resolves a typed ksym or kfunc against the kernel's BTF.
fn resolve_typed(
    obj_btf: &corex_btf::Btf,
    ext: &ExternDesc,
    local: TypeId,
    func: bool,
    kernel: &KernelInputs<'_>,
    mods: &mut Option<Vec<Arc<KernelBtf>>>,
) -> Result<Option<KernelType>, PlanError> {
    let vmlinux = kernel.vmlinux.get("vmlinux BTF")?;
    let kind = if func { Kind::Func } else { Kind::Var };
    let found = find_kernel_type(
        vmlinux,
        || {
            if mods.is_none() {
                *mods = Some(modules(kernel)?);
            }
            Ok(mods.clone().unwrap_or_default())
        },
        kind,
        &ext.name,
    )?;
    let Some(found) = found else {
        if ext.weak {
            return Ok(None);
        }
        let place = if func {
            "the kernel's or modules' BTF"
        } else {
            "the kernel's BTF"
        };
        return Err(err(&ext.name, ExternProblem::NotFound { place }));
    };
    let list = mods.clone().unwrap_or_default();
    let kbtf = kernel_btf(vmlinux, &list, found.source).btf();
    let kt = kbtf.ty(found.id);
    let targ = if func {
        kt.type_id()
    } else {
        kbtf.skip_mods_and_typedefs(kt.type_id()).id()
    };
    let compat = crate::core::types_compat(obj_btf, local, kbtf, targ).unwrap_or(false);
    if !compat {
        return Err(err(
            &ext.name,
            ExternProblem::Incompatible {
                local: c_type(obj_btf, local),
                kernel: c_type(kbtf, targ),
            },
        ));
    }
    Ok(Some(found))
}

/// Resolves every extern of `externs` (the `.kconfig` map has
/// `externs.kconfig_size` bytes, written in `endian`).
pub(crate) fn resolve(
    obj: &crate::Object,
    externs: &Externs,
    kernel: &KernelInputs<'_>,
    endian: Endian,
) -> Result<Resolved, PlanError> {
    let mut out = Resolved::default();
    if externs.list.is_empty() {
        return Ok(out);
    }
    let slots = externs.kconfig_slots();
    let mut data = vec![0u8; externs.kconfig_size as usize];
    let mut set = vec![false; slots.len()];
    let mut need_config = false;
    for (i, slot) in slots.iter().enumerate() {
        let name = slot.name.as_str();
        if name.starts_with("CONFIG_") {
            need_config = true;
            continue;
        }
        let ext = externs.by_name(name);
        let weak = ext.is_some_and(|e| e.weak);
        let value = match name {
            "LINUX_KERNEL_VERSION" => {
                if kernel.kernel_version == 0 {
                    return Err(Problem::InputUnavailable {
                        input: "the kernel version",
                        why: "it is 0 (unknown)".into(),
                    }
                    .into());
                }
                u64::from(kernel.kernel_version)
            }
            "LINUX_HAS_BPF_COOKIE" => u64::from(kernel.has(Feature::BpfCookie)),
            "LINUX_HAS_SYSCALL_WRAPPER" => u64::from(kernel.has(Feature::SyscallWrapper)),
            _ if name.starts_with("LINUX_") && weak => 0,
            _ => return Err(err(name, ExternProblem::UnknownVirtual)),
        };
        set_number(&mut data, slot, value, endian)?;
        set[i] = true;
    }
    if need_config {
        let text = kernel.kconfig.get("the kernel configuration")?;
        apply_kconfig(text, &slots, &mut set, &mut data, endian)?;
    }
    let obj_btf = obj.btf.as_ref();
    let mut kallsyms = None;
    let mut mods = None;
    let mut fd_modules: Vec<ModuleId> = Vec::new();
    let slot_of = super::kconfig::slot_index(&slots);
    for ext in &externs.list {
        tick(1);
        let value = match &ext.class {
            ExternClass::Kconfig(slot) => {
                let i = slot_of.get(slot.name.as_str()).copied().unwrap_or(0);
                let at = slot.offset as usize;
                ExternValue::Kconfig {
                    offset: slot.offset,
                    bytes: data
                        .get(at..at + slot.size as usize)
                        .unwrap_or(&[])
                        .to_vec(),
                    set: set.get(i).copied().unwrap_or(false),
                }
            }
            ExternClass::Ksym {
                type_id,
                func: false,
            } if *type_id == TypeId::VOID => {
                if kallsyms.is_none() {
                    kallsyms = Some(kernel.kallsyms.get("/proc/kallsyms")?.clone());
                }
                let addrs = kallsyms
                    .as_ref()
                    .map_or(&[][..], |k| k.addresses(&ext.name));
                if addrs.len() > 1 {
                    return Err(err(
                        &ext.name,
                        ExternProblem::Ambiguous {
                            addresses: [addrs[0], addrs[1]],
                        },
                    ));
                }
                ExternValue::Address(addrs.first().copied())
            }
            ExternClass::Ksym { type_id, func } => {
                let Some(btf) = obj_btf else {
                    return Err(err(&ext.name, ExternProblem::NoBtf));
                };
                let target = resolve_typed(btf, ext, *type_id, *func, kernel, &mut mods)?;
                if *func {
                    let fd_index = match target.map(|t| t.source) {
                        Some(BtfSource::Module(m)) => {
                            let slot = match fd_modules.iter().position(|x| *x == m) {
                                Some(p) => p + 1,
                                None => {
                                    fd_modules.push(m);
                                    fd_modules.len()
                                }
                            };
                            i16::try_from(slot)
                                .map_err(|_| err(&ext.name, ExternProblem::TooManyModules))?
                        }
                        _ => 0,
                    };
                    ExternValue::Kfunc { target, fd_index }
                } else {
                    ExternValue::KsymVar { target }
                }
            }
        };
        let resolved = match &value {
            ExternValue::Kconfig { set, .. } => *set,
            ExternValue::KsymVar { target } | ExternValue::Kfunc { target, .. } => target.is_some(),
            ExternValue::Address(a) => a.is_some(),
        };
        if !resolved && !ext.weak {
            let place = match value {
                ExternValue::Kconfig { .. } => "the kernel configuration",
                _ => "/proc/kallsyms",
            };
            return Err(err(&ext.name, ExternProblem::NotFound { place }));
        }
        out.by_name.insert(ext.name.clone(), out.list.len());
        out.list.push(ResolvedExtern {
            name: ext.name.clone(),
            weak: ext.weak,
            value,
        });
    }
    out.fd_array = fd_modules;
    if !slots.is_empty() {
        out.kconfig_data = Some(data);
    }
    Ok(out)
}
