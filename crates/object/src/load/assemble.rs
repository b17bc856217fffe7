//! Putting a plan together: each selected program linked, relocated and
//! given its load attributes; the program BTF (hidden `.text` functions
//! made static, sanitized, on the object's own string section); slot
//! initialisations checked against what is created and loaded.

use std::collections::HashSet;

use super::core_step::CoreOutcome;
use super::error::{MapProblem, PlanError, Problem};
use super::externs::Externs;
use super::fixups::{self, MapIndex};
use super::inputs::{Feature, KernelInputs};
use super::ksyms::Resolved;
use super::link;
use super::maps_plan::{MapId, MapPlan, MapSource};
use super::prog_btf::{self, TypeDefs};
use super::programs;
use super::sanitize;
use super::slots::{SlotInit, SlotValue};
use super::{BtfPlan, LinkedFunction, LoadConfig, ProgramPlan};
use crate::insn::INSN_SIZE;
use crate::Object;
use corex_btf::Btf;

/// libbpf keeps the license in a 64-byte buffer.
const LICENSE_MAX: usize = 63;

/// Where each map and data section of the object went in the plan.
pub(crate) fn map_index<'p>(obj: &Object, maps: &'p [MapPlan]) -> MapIndex<'p> {
    let mut index = MapIndex {
        maps,
        declared: vec![None; obj.maps.len()],
        data: vec![None; obj.data.len()],
        kconfig: None,
    };
    for (i, m) in maps.iter().enumerate() {
        match m.source {
            MapSource::Declared(d) => index.declared[d] = Some(MapId(i)),
            MapSource::Data(d) => index.data[d] = Some(MapId(i)),
            MapSource::Kconfig => index.kconfig = Some(MapId(i)),
        }
    }
    index
}

/// What every program's plan draws on.
pub(crate) struct Context<'a, 'k> {
    pub obj: &'a Object,
    pub config: &'a LoadConfig,
    pub kernel: &'a KernelInputs<'k>,
    pub core: &'a CoreOutcome,
    pub index: MapIndex<'a>,
    pub externs: &'a Externs,
    pub resolved: &'a Resolved,
    /// The `.BTF.ext` blocks by section, when func and line info are
    /// carried (the kernel takes BTF functions).
    pub ext_info: Option<link::ExtIndex>,
}

impl Context<'_, '_> {
    /// The plan of main program `p` (index into [`Object::programs`]).
    pub(crate) fn program(&self, p: usize) -> Result<ProgramPlan, PlanError> {
        let obj = self.obj;
        let prog = &obj.programs[p];
        let attrs = programs::attrs(prog, self.kernel)?;
        let mut linked = link::link(obj, &self.core.bodies, p, self.ext_info.as_ref())?;
        let fixed = fixups::fix(obj, &mut linked, &self.index, self.externs, self.resolved)?;
        if !self.kernel.has(Feature::ProbeReadKernel) {
            fixups::fall_back_probe_read(&mut linked.insns);
        }
        let mut poisoned = std::collections::BTreeMap::new();
        for part in &linked.parts {
            for (_, insn, relo) in self.core.poisoned_in(part.program) {
                poisoned.insert(part.start + insn, relo.clone());
            }
        }
        let functions = linked
            .parts
            .iter()
            .map(|part| LinkedFunction {
                name: obj.programs[part.program].name.clone(),
                program: part.program,
                start: part.start,
            })
            .collect();
        Ok(ProgramPlan {
            name: prog.name.clone(),
            kernel_name: super::maps_plan::kernel_name(&prog.name, self.kernel),
            section: prog.section.clone(),
            program: p,
            prog_type: attrs.prog_type,
            expected_attach_type: attrs.expected_attach_type,
            attach_btf: attrs.attach_btf,
            attach_name: attrs.attach_name,
            flags: attrs.flags,
            license: super::abi::cut(obj.license.as_deref().unwrap_or(""), LICENSE_MAX).to_owned(),
            kern_version: self
                .config
                .kern_version()
                .or(obj.kern_version)
                .unwrap_or(self.kernel.kernel_version),
            insns: linked.insns,
            fd_refs: fixed.fd_refs,
            functions,
            func_info: linked.func_info.unwrap_or_default(),
            line_info: linked.line_info.unwrap_or_default(),
            poisoned,
            poisoned_maps: fixed.poisoned_maps,
        })
    }
}

/// The program BTF for the kernel: hidden `.text` functions made static,
/// types the kernel lacks rewritten, the object's string section kept (so
/// the programs' line info keeps its string offsets, checked here).
pub(crate) fn btf_plan(
    obj: &Object,
    btf: &Btf,
    defs: &mut TypeDefs,
    kernel: &KernelInputs<'_>,
    programs: &[ProgramPlan],
) -> Result<BtfPlan, PlanError> {
    let hidden = obj.programs.iter().enumerate().filter(|&(i, p)| {
        let at = (p.section_index, (p.section_insn * INSN_SIZE) as u64);
        link::is_subprog(obj, i) && obj.facts.hidden_functions.contains(&at)
    });
    prog_btf::make_funcs_static(defs, hidden.map(|(_, p)| p.name.as_str()));
    let rewritten_for: Vec<Feature> = if sanitize::needs_sanitizing(kernel.features) {
        Feature::SANITIZED
            .into_iter()
            .filter(|f| !kernel.has(*f))
            .collect()
    } else {
        Vec::new()
    };
    let sanitized;
    let (kernel_defs, dots_in_place) = if rewritten_for.is_empty() {
        (&*defs, Vec::new())
    } else {
        let (d, datasecs) = sanitize::sanitize(defs, kernel.features);
        sanitized = d;
        (&sanitized, datasecs)
    };
    // Line info keeps the object's string offsets (the section is kept).
    let bad_line = programs
        .iter()
        .flat_map(|p| &p.line_info)
        .flat_map(|l| [l.file_name_off, l.line_off])
        .find(|&off| btf.str_at(off).is_none());
    if let Some(off) = bad_line {
        return Err(Problem::Datasec {
            section: ".BTF.ext".into(),
            why: format!("line info refers to string offset {off}, which .BTF does not have"),
        }
        .into());
    }
    let bytes =
        sanitize::encode(kernel_defs, obj.endian, btf, &dots_in_place).map_err(|source| {
            PlanError::from(Problem::Object(crate::Error::Btf {
                section: ".BTF",
                error: source,
            }))
        })?;
    Ok(BtfPlan {
        bytes,
        rewritten_for,
    })
}

/// Slots of created maps, split into map slots and program slots; a slot
/// that holds a map not created or a program not loaded is an error, as
/// libbpf's load fails on it.
pub(crate) fn split_slots(
    obj: &Object,
    maps: &[MapPlan],
    programs: &[ProgramPlan],
    slots: Vec<SlotInit>,
) -> Result<(Vec<SlotInit>, Vec<SlotInit>), PlanError> {
    let mut map_slots = Vec::new();
    let mut prog_slots = Vec::new();
    let planned: HashSet<usize> = programs.iter().map(|p| p.program).collect();
    for s in slots {
        if !maps[s.map.0].autocreate {
            continue;
        }
        let missing = |target: String, what| -> PlanError {
            Problem::Map {
                map: maps[s.map.0].name.clone(),
                why: MapProblem::SlotTarget {
                    slot: s.slot,
                    target,
                    what,
                },
            }
            .into()
        };
        match s.value {
            SlotValue::Map(t) if !maps[t.0].autocreate => {
                return Err(missing(maps[t.0].name.clone(), "map"))
            }
            SlotValue::Map(_) => map_slots.push(s),
            SlotValue::Program(p) if !planned.contains(&p) => {
                return Err(missing(obj.programs[p].name.clone(), "program"))
            }
            SlotValue::Program(_) => prog_slots.push(s),
        }
    }
    Ok((map_slots, prog_slots))
}
