//! The load plan: everything libbpf 1.1 does between opening an object and
//! loading it that needs no kernel, computed from the parsed [`Object`], the
//! user's [`LoadConfig`] and what is known of the kernel ([`KernelInputs`]).
//! The plan is the single source of truth for what gets created and
//! loaded; a loader only executes it and reports:
//!
//! 1. load [`LoadPlan::btf`] with `BPF_BTF_LOAD` (if the kernel refuses it,
//!    go on without: maps without BTF types, programs without func and line
//!    info, as libbpf does);
//! 2. for each map of [`LoadPlan::creation_order`] with `autocreate`: reuse
//!    the map pinned at `pin_path` if [`MapPlan::pin_mismatch`] finds
//!    nothing wrong, else create the `inner` map (if any), create the map
//!    (retrying without BTF types on failure), write `initial_value` at
//!    key 0, freeze it if `freeze`, set its [`LoadPlan::map_slots`], pin it;
//! 3. load each of [`LoadPlan::programs`] with the instructions of
//!    [`ProgramPlan::instructions`], `fd_array` filled from
//!    [`LoadPlan::fd_array`], and on failure rewrite the verifier log with
//!    [`LoadPlan::rewrite_verifier_log`]; bind [`LoadPlan::bind_to_programs`];
//! 4. set [`LoadPlan::prog_slots`].
//!
//! ```no_run
//! use corex_object::load::{plan, FdTarget, Features, KernelInputs, LoadConfig};
//! use corex_object::Object;
//! let obj = Object::parse(&std::fs::read("prog.bpf.o").unwrap()).unwrap();
//! let config = LoadConfig::for_file("prog.bpf.o");
//! let kernel = KernelInputs::new(Features::all(), 0x0006_0c00);
//! let plan = plan(&obj, &config, &kernel).unwrap();
//! for p in &plan.programs {
//!     let map_fd = |t: FdTarget| -> i32 { todo!("the fd of {t:?}") };
//!     let insns = p.instructions(map_fd);
//!     println!("{}: {} instructions", p.name, insns.len());
//! }
//! ```

mod abi;
mod assemble;
mod config;
mod core_step;
mod error;
mod exact_index;
mod externs;
mod facts;
mod fixups;
pub(crate) mod globals;
mod inputs;
mod kconfig;
mod ksyms;
mod link;
mod log;
mod maps_plan;
mod prog_btf;
mod programs;
mod sanitize;
#[cfg(test)]
mod scale_tests;
mod slots;
mod target;

use std::collections::BTreeMap;

use corex_btf::Endian;

pub use abi::kernel_version;
pub use config::{object_name_of, LoadConfig, DEFAULT_PIN_ROOT};
pub use core_step::PoisonedRelo;
pub use corex_uapi::{AttachType, MapType, ProgType};
pub use error::{ExternProblem, KconfigType, MapProblem, PlanError, Problem, VariableProblem};
pub use fixups::{FdRef, FdTarget, MAP_POISON_BASE};
pub use globals::GlobalValue;
pub use inputs::{Feature, Features, Kallsyms, KernelInputs, Lazy};
pub use ksyms::{ExternValue, ResolvedExtern};
pub use link::{FuncInfoRec, LineInfoRec};
pub use maps_plan::{MapAdjustment, MapCreate, MapId, MapPlan, MapSource, PinnedMapInfo};
pub use sanitize::probe_btf;
pub use slots::{SlotInit, SlotValue};
pub use target::{BtfSource, KernelBtf, KernelType, ModuleId};

pub(crate) use facts::ElfFacts;

use crate::core::{CoreReport, Outcome, Target};
use crate::insn::Insn;
use crate::Object;

/// The program BTF to load with `BPF_BTF_LOAD`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BtfPlan {
    /// Raw BTF, sanitized for the kernel's features.
    pub bytes: Vec<u8>,
    /// The features whose absence made the plan rewrite types.
    pub rewritten_for: Vec<Feature>,
}

/// A function appended to a program.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkedFunction {
    /// Its name.
    pub name: String,
    /// Index into [`Object::programs`].
    pub program: usize,
    /// Its first instruction in the loaded program.
    pub start: usize,
}

/// One program to load.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgramPlan {
    /// Its name.
    pub name: String,
    /// The name given to the kernel (15 bytes at most; empty when the
    /// kernel takes no names).
    pub kernel_name: String,
    /// Its ELF section, as written.
    pub section: String,
    /// Index into [`Object::programs`].
    pub program: usize,
    /// Program type.
    pub prog_type: ProgType,
    /// Expected attach type, when it has one (and the kernel takes one).
    pub expected_attach_type: Option<AttachType>,
    /// The kernel BTF type it attaches to (`attach_btf_id`, with the
    /// module's BTF fd as `attach_btf_obj_fd`).
    pub attach_btf: Option<KernelType>,
    /// The name looked up for `attach_btf`.
    pub attach_name: Option<String>,
    /// `BPF_F_*` program flags (sleepable, XDP frags).
    pub flags: u32,
    /// License string.
    pub license: String,
    /// `kern_version`.
    pub kern_version: u32,
    /// The instructions, with subprograms appended; fds are 0 until
    /// [`ProgramPlan::instructions`] fills them.
    pub insns: Vec<Insn>,
    /// Instructions that take a file descriptor.
    pub fd_refs: Vec<FdRef>,
    /// The main program (at 0), then each appended function.
    pub functions: Vec<LinkedFunction>,
    /// Func info (empty when the kernel takes none or the object has none).
    pub func_info: Vec<FuncInfoRec>,
    /// Line info (string offsets into [`LoadPlan::btf`]).
    pub line_info: Vec<LineInfoRec>,
    /// Poisoned instructions and the CO-RE relocation behind each.
    pub poisoned: BTreeMap<usize, PoisonedRelo>,
    /// Instructions poisoned because the map they load is not created.
    pub poisoned_maps: Vec<(usize, MapId)>,
}

impl ProgramPlan {
    /// The instructions with the file descriptors `fd` gives written in.
    pub fn instructions(&self, mut fd: impl FnMut(FdTarget) -> i32) -> Vec<Insn> {
        let mut insns = self.insns.clone();
        for r in &self.fd_refs {
            let slot = match r.target {
                FdTarget::Map(_) => r.insn,
                FdTarget::ModuleBtf(_) => r.insn + 1,
            };
            if let Some(insn) = insns.get_mut(slot) {
                insn.imm = fd(r.target);
            }
        }
        insns
    }

    /// Func info records as the kernel reads them (8 bytes each).
    pub fn func_info_bytes(&self, endian: Endian) -> Vec<u8> {
        words(
            self.func_info.iter().flat_map(|r| [r.insn, r.type_id.0]),
            endian,
        )
    }

    /// Line info records as the kernel reads them (16 bytes each).
    pub fn line_info_bytes(&self, endian: Endian) -> Vec<u8> {
        words(
            self.line_info
                .iter()
                .flat_map(|r| [r.insn, r.file_name_off, r.line_off, r.line_col]),
            endian,
        )
    }
}

fn words(it: impl Iterator<Item = u32>, endian: Endian) -> Vec<u8> {
    it.flat_map(|w| match endian {
        Endian::Little => w.to_le_bytes(),
        Endian::Big => w.to_be_bytes(),
    })
    .collect()
}

/// Everything to create and load, in order.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoadPlan {
    /// The program BTF (none when the object has no BTF or the kernel
    /// takes none).
    pub btf: Option<BtfPlan>,
    /// The maps, in libbpf's order ([`MapId`] indexes it).
    pub maps: Vec<MapPlan>,
    /// The order to create them in.
    pub creation_order: Vec<MapId>,
    /// Map-in-map slots, set once both maps exist.
    pub map_slots: Vec<SlotInit>,
    /// The programs to load, in object order.
    pub programs: Vec<ProgramPlan>,
    /// Program-array slots, set once the programs are loaded.
    pub prog_slots: Vec<SlotInit>,
    /// `fd_array[i + 1]` is the BTF fd of module `fd_array[i]` (slot 0 is
    /// unused), for kfunc calls into modules.
    pub fd_array: Vec<ModuleId>,
    /// Maps to bind to every loaded program (`BPF_PROG_BIND_MAP`, for
    /// `.rodata` the programs may not reference), as libbpf does.
    pub bind_to_programs: Vec<MapId>,
    /// Every extern and its value.
    pub externs: Vec<ResolvedExtern>,
    /// Every CO-RE relocation and its outcome.
    pub core: CoreReport,
}

impl LoadPlan {
    /// The map called `name` (libbpf's name: `counts`, `prog.rodata`...).
    pub fn map(&self, name: &str) -> Option<MapId> {
        self.maps.iter().position(|m| m.name == name).map(MapId)
    }

    /// The program called `name`.
    pub fn program(&self, name: &str) -> Option<&ProgramPlan> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The verifier log of a failed load of `program`, with libbpf's
    /// rewrite of poisoned instructions: the CO-RE relocation (and why it
    /// failed) or the map that was not created.
    pub fn rewrite_verifier_log(&self, program: &ProgramPlan, log: &str) -> String {
        log::rewrite_verifier_log(log, program, &self.maps)
    }
}

/// `LINUX_VERSION_CODE` from a kernel release (`6.1.0-18-amd64`), as
/// libbpf reads `uname -r`: `None` if it does not start with three numbers.
pub fn kernel_version_code(release: &str) -> Option<u32> {
    let mut parts = release.splitn(3, '.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(kernel_version(major, minor, patch.parse().ok()?))
}

/// The CO-RE report of `obj` against `target` with its default programs
/// (what `corex reloc` shows), and the functions CO-RE patched.
pub(crate) fn core_report(
    obj: &Object,
    target: &Target<'_>,
) -> (CoreReport, Vec<Option<Vec<Insn>>>) {
    let targets = core_step::Targets {
        main: target,
        modules: None,
    };
    let relocate = |p: usize| link::is_subprog(obj, p) || obj.programs[p].autoload;
    match core_step::run(obj, Some(targets), &relocate) {
        Ok(out) => (out.report, out.bodies),
        // Only reading module BTFs can fail, and no module is searched here.
        Err(_) => (CoreReport::default(), Vec::new()),
    }
}

/// Plans loading `obj` into the kernel `kernel` with the choices in
/// `config`. Errors name the object and what is wrong.
pub fn plan(
    obj: &Object,
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
) -> Result<LoadPlan, PlanError> {
    build(obj, config, kernel).map_err(|e| e.in_object(config.source()))
}

fn check_object(
    obj: &Object,
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
) -> Result<Vec<usize>, PlanError> {
    if obj.endian != kernel.endian {
        return Err(Problem::Endian {
            object: obj.endian,
            kernel: kernel.endian,
        }
        .into());
    }
    if obj.facts.section_size(".struct_ops").is_some_and(|s| s > 0) {
        return Err(Problem::Unsupported {
            what: "struct_ops maps (section '.struct_ops')".into(),
        }
        .into());
    }
    if let Some(p) = obj.programs.iter().find(|p| !p.subprog && !p.global) {
        return Err(Problem::StaticProgram {
            program: p.name.clone(),
            section: p.section.clone(),
        }
        .into());
    }
    Ok((0..obj.programs.len())
        .filter(|&i| config.loads(obj, i))
        .collect())
}

fn build(
    obj: &Object,
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
) -> Result<LoadPlan, PlanError> {
    let selected = check_object(obj, config, kernel)?;
    let externs = externs::collect(obj)?;
    let mut defs = match &obj.btf {
        Some(btf) => Some(prog_btf::fixed_up(btf, &externs, &obj.facts)?),
        None => None,
    };
    let resolved = ksyms::resolve(obj, &externs, kernel, obj.endian)?;
    let empty = prog_btf::TypeDefs::default();
    let maps = maps_plan::plan_maps(
        obj,
        config,
        kernel,
        defs.as_ref().unwrap_or(&empty),
        resolved.kconfig_data.clone(),
    )?;
    let slots = slots::collect(obj, &maps)?;
    let creation_order = slots::creation_order(&maps, &slots)?;

    let core = run_core(obj, config, kernel)?;
    let programs = {
        let context = assemble::Context {
            obj,
            config,
            kernel,
            core: &core,
            index: assemble::map_index(obj, &maps),
            externs: &externs,
            resolved: &resolved,
            ext_info: (kernel.has(Feature::BtfFunc) && kernel.has(Feature::Btf))
                .then(|| link::ExtIndex::new(obj)),
        };
        selected
            .iter()
            .map(|&p| context.program(p))
            .collect::<Result<Vec<_>, _>>()?
    };
    let btf = match (defs.as_mut(), obj.btf.as_ref()) {
        (Some(d), Some(original)) if kernel.has(Feature::Btf) => {
            Some(assemble::btf_plan(obj, original, d, kernel, &programs)?)
        }
        _ => None,
    };
    let (map_slots, prog_slots) = assemble::split_slots(obj, &maps, &programs, slots)?;
    let bind_to_programs = if kernel.has(Feature::ProgBindMap) {
        maps.iter()
            .enumerate()
            .filter(|(_, m)| m.autocreate && m.freeze && matches!(m.source, MapSource::Data(_)))
            .map(|(i, _)| MapId(i))
            .collect()
    } else {
        Vec::new()
    };
    Ok(LoadPlan {
        btf,
        maps,
        creation_order,
        map_slots,
        programs,
        prog_slots,
        fd_array: resolved.fd_array.clone(),
        bind_to_programs,
        externs: resolved.list,
        core: core.report,
    })
}

/// CO-RE against the `--btf` override or vmlinux (read only when the
/// object has CO-RE records, as libbpf); the first failure stops the plan.
fn run_core(
    obj: &Object,
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
) -> Result<core_step::CoreOutcome, PlanError> {
    let relocate = |p: usize| link::is_subprog(obj, p) || config.loads(obj, p);
    if obj.core_relos.is_empty() {
        return core_step::run(obj, None, &relocate);
    }
    let kbtf = match &kernel.core_btf {
        Some(b) => b.clone(),
        None => kernel.vmlinux.get("vmlinux BTF")?.clone(),
    };
    let target = kbtf.core_target(obj);
    let load_modules = || ksyms::modules(kernel);
    let targets = core_step::Targets {
        main: &target,
        // With a BTF that replaces vmlinux, libbpf searches no module.
        modules: match kernel.core_btf {
            Some(_) => None,
            None => Some(&load_modules),
        },
    };
    let mut core = core_step::run(obj, Some(targets), &relocate)?;
    let failed = core
        .report
        .results
        .iter()
        .position(|r| matches!(r.outcome, Outcome::Failed(_)));
    if let Some(at) = failed {
        let r = core.report.results.swap_remove(at);
        if let Outcome::Failed(source) = r.outcome {
            return Err(Problem::Core {
                program: r.program,
                index: r.index,
                relocation: format!("<{}> {}", r.kind, r.local),
                source,
            }
            .into());
        }
    }
    Ok(core)
}
