//! The load phase: the plan of `corex-object` executed against the kernel
//! in libbpf's order. Probe features (memoized), raise `RLIMIT_MEMLOCK`
//! where the kernel charges BPF memory to it, plan (pure: linking, CO-RE,
//! map plans, externs, BTF sanitizing), load the program BTF, create maps
//! (reusing compatible pinned ones) and fill global data, freeze `.rodata`,
//! load programs with their file descriptors written in, bind `.rodata`,
//! fill program arrays, map global data. On any failure everything made so
//! far is released, maps this load pinned are unpinned, and the error says
//! what failed and why.

mod maps;
mod programs;
mod report;

use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::Arc;

use corex_object::load::{
    plan, FdTarget, Features, KernelInputs, Lazy, LoadConfig, LoadPlan, MapId, ModuleId, PlanError,
    Problem,
};
use corex_object::Object;
use corex_sys::{BtfFd, Capabilities, Errno, MapFd, ProgFd};

use crate::error::{Error, LoadFailure, Result};
use crate::loaded::LoadedObject;
use crate::{Kernel, OpenObject};

pub use report::{ItemOutcome, LoadReport, Outcome};

/// A map this load created or reused.
pub(crate) struct MadeMap {
    pub fd: MapFd,
    pub id: u32,
    /// Reused from its pin rather than created.
    pub reused: bool,
    /// Where it is pinned (by this load or before it).
    pub pin: Option<PathBuf>,
}

/// A program this load loaded.
pub(crate) struct MadeProgram {
    pub fd: ProgFd,
    pub id: u32,
}

/// What failed, for the report.
#[derive(Clone, Copy)]
enum Culprit {
    Map(MapId),
    /// A program of the plan.
    Program(usize),
    /// A program left out of the plan (index into the object's programs).
    Deferred(usize),
}

/// A program whose plan failed in a way libbpf reports only when it comes
/// to load that program (its BTF attach target): left out of the plan,
/// its error raised in its turn.
struct Deferred {
    /// Index into the object's programs.
    program: usize,
    error: PlanError,
}

/// One load in progress: the plan and everything made so far.
pub(crate) struct Session<'a> {
    pub source: &'a str,
    pub object: &'a corex_object::Object,
    pub plan: &'a LoadPlan,
    pub kernel: &'a Kernel,
    /// The features the plan was made for.
    pub features: Features,
    pub btf: Option<BtfFd>,
    /// Why the kernel refused the program BTF (the load went on without).
    pub btf_refused: Option<String>,
    pub maps: Vec<Option<MadeMap>>,
    pub programs: Vec<Option<MadeProgram>>,
    /// Programs whose plan failed, to fail in their turn.
    deferred: Vec<Deferred>,
    /// Pins this load made, removed if it fails.
    pinned_here: Vec<PathBuf>,
    culprit: Option<Culprit>,
}

/// The reason inside a kernel input error, for the plan's own message.
fn why(e: Error) -> String {
    match e {
        Error::Kernel { why, .. } => why,
        e => e.to_string(),
    }
}

/// What the plan needs of `kernel`, each system input read only if the
/// plan asks for it.
fn inputs<'k>(
    kernel: &'k Kernel,
    features: Features,
    core_btf: Option<&Arc<corex_object::load::KernelBtf>>,
) -> Result<KernelInputs<'k>> {
    let mut inputs = KernelInputs::new(features, kernel.version_code());
    inputs.page_size = corex_sys::page_size() as u32;
    inputs.possible_cpus = kernel.possible_cpus()?;
    inputs.kconfig = Lazy::new(move || kernel.kconfig().map(str::to_owned).map_err(why));
    inputs.kallsyms = Lazy::new(move || kernel.kallsyms().cloned().map_err(why));
    inputs.vmlinux = Lazy::new(move || kernel.vmlinux_btf().cloned().map_err(why));
    inputs.modules = Lazy::new(move || {
        kernel
            .module_btfs()
            .map(|m| m.iter().map(|m| m.btf().clone()).collect())
            .map_err(why)
    });
    inputs.core_btf = core_btf.cloned();
    Ok(inputs)
}

/// Plans and loads `open` into `kernel`.
pub(crate) fn load(open: &OpenObject, kernel: &Kernel) -> Result<LoadedObject> {
    let (object, config, core_btf) = open.parts();
    kernel.raise_memlock();
    let features = kernel.load_features(object);
    let inputs = inputs(kernel, features, core_btf)?;
    let (plan, deferred) = plan_deferring(object, config, &inputs)?;
    drop(inputs);
    let mut session = Session {
        source: open.source(),
        object,
        plan: &plan,
        kernel,
        features,
        btf: None,
        btf_refused: None,
        maps: (0..plan.maps.len()).map(|_| None).collect(),
        programs: (0..plan.programs.len()).map(|_| None).collect(),
        deferred,
        pinned_here: Vec::new(),
        culprit: None,
    };
    match session.run() {
        Ok(()) => LoadedObject::assemble(open, &plan, session),
        Err(cause) => Err(session.fail(cause)),
    }
}

impl Session<'_> {
    fn run(&mut self) -> Result<()> {
        self.load_btf()?;
        for &id in &self.plan.creation_order {
            self.create_map(id).inspect_err(|_| {
                self.culprit = Some(Culprit::Map(id));
            })?;
        }
        for index in 0..self.plan.programs.len() {
            self.raise_deferred(self.plan.programs[index].program)?;
            let program = self.load_program(index).inspect_err(|_| {
                self.culprit = Some(Culprit::Program(index));
            })?;
            self.programs[index] = Some(program);
        }
        self.raise_deferred(usize::MAX)?;
        self.bind_rodata();
        self.fill_program_arrays()
    }

    /// Whether object program `index` was left out of the plan to fail in
    /// its turn.
    pub(crate) fn is_deferred(&self, index: usize) -> bool {
        self.deferred.iter().any(|d| d.program == index)
    }

    /// Fails with the first deferred program before object program `next`.
    fn raise_deferred(&mut self, next: usize) -> Result<()> {
        let Some(at) = self.deferred.iter().position(|d| d.program < next) else {
            return Ok(());
        };
        let d = self.deferred.remove(at);
        self.culprit = Some(Culprit::Deferred(d.program));
        Err(Error::Plan(d.error))
    }

    /// The fd written into instructions for `target`.
    pub(crate) fn fd_of(&self, target: FdTarget) -> RawFd {
        match target {
            FdTarget::Map(id) => self.maps[id.0].as_ref().map_or(-1, |m| m.fd.as_raw_fd()),
            FdTarget::ModuleBtf(m) => self.module_fd(m),
        }
    }

    /// The fd of module BTF `m`, -1 if the modules cannot be read (the
    /// plan read them, so they can).
    pub(crate) fn module_fd(&self, m: ModuleId) -> RawFd {
        self.kernel
            .module_btfs()
            .ok()
            .and_then(|mods| mods.get(m.0))
            .map_or(-1, |b| b.fd().as_raw_fd())
    }

    /// Loads the program BTF; if the kernel refuses it, goes on without
    /// (maps without BTF types, programs without func and line info), as
    /// libbpf does.
    fn load_btf(&mut self) -> Result<()> {
        let Some(btf) = &self.plan.btf else {
            return Ok(());
        };
        match BtfFd::load(&btf.bytes, None) {
            Ok(fd) => self.btf = Some(fd),
            Err(e) => {
                let mut buf = vec![0u8; 1 << 16];
                let mut log = corex_sys::VerifierLog::new(&mut buf, 1);
                let _ = BtfFd::load(&btf.bytes, Some(&mut log));
                let text = log.text();
                let last = text.trim_end().lines().last().unwrap_or_default();
                self.btf_refused = Some(format!("{e} ({})", corex_btf::printable(last)));
            }
        }
        Ok(())
    }

    /// Binds the frozen global data maps to every program, as libbpf does
    /// (failures are not fatal there either).
    fn bind_rodata(&self) {
        for made in self.programs.iter().flatten() {
            for id in &self.plan.bind_to_programs {
                if let Some(map) = &self.maps[id.0] {
                    let _ = made.fd.bind_map(&map.fd);
                }
            }
        }
    }

    /// Pins `map` at `path` (making its directory), remembering to unpin
    /// it if the load fails.
    pub(crate) fn pin(&mut self, map: &MapFd, path: &str) -> corex_sys::Result<()> {
        let path = PathBuf::from(path);
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        map.pin(&path)?;
        self.pinned_here.push(path);
        Ok(())
    }

    /// The error for a failed load: the cause (a missing capability said
    /// as such), with what had been made; releases everything.
    fn fail(mut self, cause: Error) -> Error {
        for path in self.pinned_here.drain(..) {
            let _ = std::fs::remove_file(path);
        }
        let cause = permission_sentence(cause);
        let report = report::of_session(&self, self.culprit);
        Error::Load(Box::new(LoadFailure { cause, report }))
    }
}

/// The plan of `object`; a program whose BTF attach target is missing is
/// left out and its error kept for its turn, as libbpf looks attach
/// targets up only when it loads each program (so an earlier program's
/// failure comes first).
fn plan_deferring(
    object: &Object,
    config: &LoadConfig,
    inputs: &KernelInputs<'_>,
) -> Result<(LoadPlan, Vec<Deferred>)> {
    let mut config = config.clone();
    let mut deferred = Vec::new();
    loop {
        let error = match plan(object, &config, inputs) {
            Ok(plan) => return Ok((plan, deferred)),
            Err(e) => e,
        };
        let name = match error.problem() {
            Problem::AttachTarget { program, .. } | Problem::NoAttachTarget { program, .. } => {
                program.clone()
            }
            _ => return Err(error.into()),
        };
        let index = object.programs.iter().position(|p| p.name == name);
        match index {
            Some(i) if config.loads(object, i) => {
                config.set_autoload(object, &name, false)?;
                deferred.push(Deferred { program: i, error });
            }
            _ => return Err(error.into()),
        }
    }
}

/// `cause`, or the one sentence naming the missing capability when the
/// kernel said EPERM to a process without it.
fn permission_sentence(cause: Error) -> Error {
    if cause.errno() != Some(Errno::EPERM) {
        return cause;
    }
    match Capabilities::current() {
        Ok(caps) if !caps.can_trace() => Error::NotPermitted {
            missing: caps.missing_for_tracing(),
        },
        _ => cause,
    }
}
