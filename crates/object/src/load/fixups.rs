//! Instruction relocations of a linked program (libbpf's
//! `bpf_object__relocate_data`): map and map-value loads become
//! `BPF_PSEUDO_MAP_FD`/`BPF_PSEUDO_MAP_VALUE` with the fd left to the
//! library, loads of maps that are not created are poisoned, externs get
//! their `.kconfig` offset, kernel BTF id or address, kfunc calls their BTF
//! id and `fd_array` slot.

use super::error::{PlanError, Problem};
use super::externs::{ExternClass, Externs};
use super::ksyms::{ExternValue, Resolved};
use super::link::Linked;
use super::maps_plan::{MapId, MapPlan};
use super::target::BtfSource;
use crate::insn::{Insn, PSEUDO_KFUNC_CALL};
use crate::reloc::RelocTarget;
use crate::work::tick;
use crate::Object;
use corex_uapi::flags::pseudo;
use corex_uapi::HelperId;

/// libbpf's base for poisoned map loads: `call 2001000000 + map index`.
pub const MAP_POISON_BASE: i32 = 2_001_000_000;

/// A file descriptor the library writes into an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FdTarget {
    /// The fd of a map (`BPF_PSEUDO_MAP_FD` and `BPF_PSEUDO_MAP_VALUE`
    /// loads: the first slot's immediate).
    Map(MapId),
    /// The fd of a module's BTF object (`BPF_PSEUDO_BTF_ID` loads of a
    /// module variable: the second slot's immediate).
    ModuleBtf(super::target::ModuleId),
}

/// An instruction whose immediate is a file descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FdRef {
    /// The instruction (the first slot of an `ld_imm64`).
    pub insn: usize,
    /// Whose fd.
    pub target: FdTarget,
}

/// The fixed instructions of one program.
#[derive(Debug, Default)]
pub(crate) struct Fixed {
    pub fd_refs: Vec<FdRef>,
    /// Instructions poisoned because the map they load is not created.
    pub poisoned_maps: Vec<(usize, MapId)>,
}

/// Where the plan put each map and data section of the object.
pub(crate) struct MapIndex<'p> {
    pub maps: &'p [MapPlan],
    /// Plan index of each `.maps` definition.
    pub declared: Vec<Option<MapId>>,
    /// Plan index of each global data section.
    pub data: Vec<Option<MapId>>,
    pub kconfig: Option<MapId>,
}

fn ld_imm64_pair(insns: &mut [Insn], at: usize) -> Option<(&mut Insn, &mut Insn)> {
    match insns.get_mut(at..at + 2) {
        Some([a, b]) => Some((a, b)),
        _ => None,
    }
}

/// Applies the instruction relocations of every part of `linked`.
pub(crate) fn fix(
    obj: &Object,
    linked: &mut Linked,
    index: &MapIndex<'_>,
    externs: &Externs,
    resolved: &Resolved,
) -> Result<Fixed, PlanError> {
    let mut fixed = Fixed::default();
    let program = obj.programs[linked.parts[0].program].name.clone();
    let relocs: Vec<(usize, RelocTarget)> = linked
        .relocations(&obj.programs)
        .map(|(at, r)| (at, r.target.clone()))
        .collect();
    for (at, target) in relocs {
        tick(1);
        let bad = |why: &str| -> PlanError {
            Problem::Relocation {
                program: program.clone(),
                insn: at,
                why: why.to_owned(),
            }
            .into()
        };
        let map_load = |map: Option<MapId>, value: bool, fixed: &mut Fixed, insns: &mut [Insn]| {
            let map =
                map.ok_or_else(|| bad("it loads a map or section the plan does not create"))?;
            let (a, b) = ld_imm64_pair(insns, at)
                .ok_or_else(|| bad("an ld_imm64 missing its second half"))?;
            if !index.maps[map.0].autocreate {
                let poison = Insn {
                    code: crate::insn::OP_CALL,
                    imm: MAP_POISON_BASE.wrapping_add(map.0 as i32),
                    ..Insn::default()
                };
                *a = poison;
                *b = poison;
                fixed.poisoned_maps.push((at, map));
                return Ok(());
            }
            a.src = if value {
                pseudo::MAP_VALUE
            } else {
                pseudo::MAP_FD
            };
            a.imm = 0;
            fixed.fd_refs.push(FdRef {
                insn: at,
                target: FdTarget::Map(map),
            });
            Ok::<(), PlanError>(())
        };
        match target {
            RelocTarget::Map { map } => map_load(
                index.declared.get(map).copied().flatten(),
                false,
                &mut fixed,
                &mut linked.insns,
            )?,
            RelocTarget::Data { data, offset } => {
                if let Some((_, b)) = ld_imm64_pair(&mut linked.insns, at) {
                    b.imm = offset as u32 as i32;
                }
                map_load(
                    index.data.get(data).copied().flatten(),
                    true,
                    &mut fixed,
                    &mut linked.insns,
                )?
            }
            RelocTarget::Extern { ext } => {
                let symbol = obj.externs[ext].symbol;
                let desc = externs
                    .by_symbol(symbol)
                    .ok_or_else(|| bad("it refers to an extern the plan does not know"))?;
                let value = resolved.value(&desc.name);
                let insn = linked.insns.get(at).copied().unwrap_or_default();
                if insn.is_call() {
                    let (id, slot) = match value {
                        Some(ExternValue::Kfunc {
                            target: Some(t),
                            fd_index,
                        }) => (t.id.0 as i32, *fd_index),
                        _ => (0, 0),
                    };
                    let i = &mut linked.insns[at];
                    i.src = PSEUDO_KFUNC_CALL;
                    i.imm = id;
                    i.off = slot;
                    continue;
                }
                let (a, b) = ld_imm64_pair(&mut linked.insns, at)
                    .ok_or_else(|| bad("an extern load missing its second half"))?;
                match (&desc.class, value) {
                    (ExternClass::Kconfig(slot), _) => {
                        let map = index
                            .kconfig
                            .ok_or_else(|| bad("a .kconfig extern without a .kconfig map"))?;
                        a.src = pseudo::MAP_VALUE;
                        a.imm = 0;
                        b.imm = slot.offset as i32;
                        fixed.fd_refs.push(FdRef {
                            insn: at,
                            target: FdTarget::Map(map),
                        });
                    }
                    // A kfunc's address is loaded like a typed ksym. libbpf 1.1
                    // leaves the module BTF fd 0 for kfuncs (the kernel would
                    // then look the id up in vmlinux); the module's fd is
                    // what the kernel needs.
                    (_, Some(ExternValue::KsymVar { target: Some(t) }))
                    | (
                        _,
                        Some(ExternValue::Kfunc {
                            target: Some(t), ..
                        }),
                    ) => {
                        a.src = pseudo::BTF_ID;
                        a.imm = t.id.0 as i32;
                        b.imm = 0;
                        if let BtfSource::Module(m) = t.source {
                            fixed.fd_refs.push(FdRef {
                                insn: at,
                                target: FdTarget::ModuleBtf(m),
                            });
                        }
                    }
                    (_, value) => {
                        let addr = match value {
                            Some(ExternValue::Address(Some(a))) => *a,
                            _ => 0,
                        };
                        a.imm = addr as u32 as i32;
                        b.imm = (addr >> 32) as u32 as i32;
                    }
                }
            }
            RelocTarget::FuncAddr { .. } | RelocTarget::Call { .. } => {}
        }
    }
    Ok(fixed)
}

/// libbpf's `bpf_object__sanitize_prog`: on kernels without
/// `bpf_probe_read_{kernel,user}[_str]`, calls to them become calls to
/// `bpf_probe_read[_str]`.
pub(crate) fn fall_back_probe_read(insns: &mut [Insn]) {
    let helper = |h: HelperId| h.0 as i32;
    for insn in insns {
        let helper_call = insn.code == crate::insn::OP_CALL && insn.src == 0 && insn.dst == 0;
        if !helper_call {
            continue;
        }
        let id = HelperId(insn.imm as u32);
        insn.imm = match id {
            HelperId::PROBE_READ_KERNEL | HelperId::PROBE_READ_USER => helper(HelperId::PROBE_READ),
            HelperId::PROBE_READ_KERNEL_STR | HelperId::PROBE_READ_USER_STR => {
                helper(HelperId::PROBE_READ_STR)
            }
            _ => insn.imm,
        };
    }
}
