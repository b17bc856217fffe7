//! Static checks of a BPF object against a kernel's BTF, before the object
//! meets that kernel (`corex check`): will each program load and attach?
//!
//! Per program: every CO-RE relocation that is poisoned or fails, and
//! whether the poisoned instruction is reachable ([`reach`]: a guard such as
//! `if (bpf_core_field_exists(...))` makes it dead, as the verifier prunes
//! it); attach targets the kernel lacks and traced-function arguments that
//! no longer match ([`Problem::MissingTarget`], [`Problem::ArgCount`],
//! [`Problem::ArgType`]); program, attach and map types and helpers the
//! kernel's own UAPI enums do not list; an object built for another
//! architecture than the kernel's `struct pt_regs` shows.
//!
//! ```no_run
//! use corex_object::{check::{check_object, Kernel}, Object};
//! let bytes = std::fs::read("prog.bpf.o").unwrap();
//! let vmlinux = corex_btf::Btf::parse(&std::fs::read("vmlinux.btf").unwrap()).unwrap();
//! let obj = Object::parse(&bytes).unwrap();
//! let kernel = Kernel::new(&vmlinux, &[&obj]);
//! let result = check_object(&obj, &kernel);
//! for p in &result.programs {
//!     println!("{}: {}", p.name, if p.fails() { "fails" } else { "ok" });
//! }
//! ```

pub mod archive;
mod attach;
mod kernel;
mod problem;
pub mod reach;
pub mod tracefs;

use std::collections::{HashMap, HashSet};

use corex_btf::{essential_name, TypeId};

pub use kernel::{Arch, Enumerators, Kernel, UapiEnum};
pub use problem::{Problem, Unresolved};

use crate::attach::AttachKind;
use crate::core::{Outcome, Patched};
use crate::object::Object;

/// The check of one program on one kernel.
#[derive(Debug)]
#[non_exhaustive]
pub struct ProgramCheck {
    /// The program's name.
    pub name: String,
    /// Its ELF section.
    pub section: String,
    /// Its index in [`Object::programs`].
    pub index: usize,
    /// Relocations of the program and the subprograms it calls that are
    /// poisoned or fail, in `.BTF.ext` order.
    pub unresolved: Vec<Unresolved>,
    /// Everything else that keeps it from loading or attaching, and what
    /// cannot be told from the BTF.
    pub problems: Vec<Problem>,
}

impl ProgramCheck {
    /// Whether the program fails on this kernel: a relocation that fails or
    /// is poisoned on a reachable path, or any fatal problem.
    pub fn fails(&self) -> bool {
        self.unresolved.iter().any(Unresolved::is_fatal)
            || self.problems.iter().any(Problem::is_fatal)
    }
}

/// The check of one object on one kernel.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ObjectCheck {
    /// One entry per program libbpf would load (subprograms and programs of
    /// `?` sections excluded), in object order.
    pub programs: Vec<ProgramCheck>,
}

/// Checks `obj` against `kernel` (made with `obj` among its objects, for
/// its CO-RE candidates to be found in the kernel's one pass): applies its
/// CO-RE relocations (`obj` itself is not modified) and runs every check on
/// each program libbpf would load.
pub fn check_object(obj: &Object, kernel: &Kernel<'_>) -> ObjectCheck {
    // The reachability analysis reads the relocated instructions.
    let (report, relocated_insns) = crate::load::core_report(obj, kernel.target());
    let mut relocated: HashMap<(usize, usize), TypeId> = HashMap::new();
    for rec in &obj.core_relos {
        if let Some(p) = rec.program {
            relocated.insert((p, rec.insn), rec.relo.type_id);
        }
    }
    let program_index: HashMap<&str, usize> = obj
        .programs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let unresolved: Vec<(usize, Unresolved)> = report
        .results
        .iter()
        .filter_map(|r| {
            let p = *program_index.get(r.program.as_str())?;
            let (poisoned, explanation) = match &r.outcome {
                Outcome::Applied(Patched::Poisoned { reason }) => (true, reason.clone()),
                Outcome::Applied(_) => return None,
                Outcome::Failed(e) => (false, e.to_string()),
            };
            Some((
                p,
                Unresolved {
                    function: r.program.clone(),
                    section: r.section.clone(),
                    index: r.index,
                    insn: r.insn,
                    kind: r.kind,
                    local: r.local.clone(),
                    poisoned,
                    reachable: false,
                    explanation,
                },
            ))
        })
        .collect();
    let object_arch = obj.btf.as_ref().and_then(Arch::of_btf);
    let shared = object_problems(obj, kernel);
    let mut out = ObjectCheck::default();
    for (i, prog) in obj.programs.iter().enumerate() {
        if prog.subprog || !prog.autoload {
            continue;
        }
        let reach = reach::analyze(obj, &relocated_insns, i);
        // libbpf links every subprogram the program calls, on live paths or
        // not, into it: their relocations are the program's too.
        let linked = called_subprograms(obj, i);
        let mine: Vec<Unresolved> = unresolved
            .iter()
            .filter(|(p, _)| *p == i || linked.contains(p))
            .map(|(p, u)| {
                let mut u = u.clone();
                u.reachable = reach.is_reachable(*p, u.insn);
                u
            })
            .collect();
        let mut problems = shared.clone();
        if let Some(a) = &prog.attach {
            problems.extend(attach::missing_target(kernel, a));
            problems.extend(attach::argument_problems(
                kernel,
                a,
                &reach,
                obj.btf.as_ref(),
                &relocated,
            ));
            problems.extend(type_problems(kernel, a));
        }
        problems.extend(helper_problems(obj, kernel, &reach));
        if let (Some(o), Some(k)) = (object_arch, kernel.arch()) {
            if o != k && uses_pt_regs(obj, i, &reach) {
                problems.push(Problem::ArchMismatch {
                    object: o,
                    kernel: k,
                });
            }
        }
        out.programs.push(ProgramCheck {
            name: prog.name.clone(),
            section: prog.section.clone(),
            index: i,
            unresolved: mine,
            problems,
        });
    }
    out
}

/// The subprograms program `i` calls, directly or through others.
fn called_subprograms(obj: &Object, i: usize) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut work = vec![i];
    while let Some(p) = work.pop() {
        for c in obj.calls(p) {
            if let Some(callee) = c.callee {
                if callee != i && seen.insert(callee) {
                    work.push(callee);
                }
            }
        }
    }
    seen
}

/// Problems every program of the object shares: map types the kernel lacks
/// (libbpf creates all maps before it loads any program).
fn object_problems(obj: &Object, kernel: &Kernel<'_>) -> Vec<Problem> {
    let Some(types) = kernel.uapi_enum(UapiEnum::MapType) else {
        return if obj.maps.is_empty() {
            Vec::new()
        } else {
            vec![Problem::CannotTell {
                what: "which map types the kernel has: its BTF has no enum bpf_map_type".into(),
            }]
        };
    };
    obj.maps
        .iter()
        .filter(|m| types.name_of(i64::from(m.def.map_type)).is_none())
        .map(|m| Problem::MapType {
            map: m.name.clone(),
            map_type: corex_uapi::MapType(m.def.map_type),
        })
        .collect()
}

/// The program and attach types of an attach point the kernel lacks.
fn type_problems(kernel: &Kernel<'_>, a: &crate::attach::AttachPoint) -> Vec<Problem> {
    let mut out = Vec::new();
    let checks = [
        (UapiEnum::ProgType, a.prog_type.name(), "BPF_PROG_TYPE_"),
        (
            UapiEnum::AttachType,
            a.attach_type.and_then(|t| t.name()),
            "BPF_",
        ),
    ];
    for (e, name, prefix) in checks {
        let Some(name) = name else { continue };
        let Some(values) = kernel.uapi_enum(e) else {
            out.push(Problem::CannotTell {
                what: format!(
                    "whether the kernel has {name}: its BTF has no enum {}",
                    e.name()
                ),
            });
            continue;
        };
        let known = match e {
            UapiEnum::ProgType => corex_uapi::ProgType::from_name(name).and_then(|t| t.c_name()),
            _ => corex_uapi::AttachType::from_name(name).and_then(|t| t.c_name()),
        };
        let enumerator = known.map_or_else(
            || format!("{prefix}{}", name.to_ascii_uppercase()),
            str::to_owned,
        );
        if !values.has_name(&enumerator) {
            out.push(match e {
                UapiEnum::ProgType => Problem::ProgType { enumerator },
                _ => Problem::AttachType { enumerator },
            });
        }
    }
    out
}

/// Helpers called on reachable paths that the kernel's `enum bpf_func_id` lacks.
fn helper_problems(obj: &Object, kernel: &Kernel<'_>, reach: &reach::Reach) -> Vec<Problem> {
    if reach.helpers.is_empty() {
        return Vec::new();
    }
    let Some(ids) = kernel.uapi_enum(UapiEnum::FuncId) else {
        return vec![Problem::CannotTell {
            what: "which helpers the kernel has: its BTF has no enum bpf_func_id".into(),
        }];
    };
    let mut seen = HashSet::new();
    reach
        .helpers
        .iter()
        .filter(|c| {
            let name = ids.name_of(i64::from(c.helper));
            (name.is_none() || name.is_some_and(|n| n.starts_with("__BPF_FUNC_MAX")))
                && seen.insert(c.helper)
        })
        .map(|c| Problem::Helper {
            id: corex_uapi::HelperId(c.helper),
            function: obj.programs[c.program].name.clone(),
            insn: c.insn,
        })
        .collect()
}

/// Whether program `i` reads `struct pt_regs`: a kprobe-style context, or a
/// CO-RE relocation rooted at `pt_regs` in code it reaches.
fn uses_pt_regs(obj: &Object, i: usize, reach: &reach::Reach) -> bool {
    let kprobe_ctx = obj.programs[i].attach.as_ref().is_some_and(|a| {
        matches!(
            a.kind,
            AttachKind::Kprobe
                | AttachKind::Kretprobe
                | AttachKind::Ksyscall
                | AttachKind::Kretsyscall
                | AttachKind::Uprobe
                | AttachKind::Uretprobe
        )
    });
    let Some(local) = obj.btf.as_ref() else {
        return false;
    };
    kprobe_ctx
        || obj.core_relos.iter().any(|r| {
            r.program.is_some_and(|p| reach.is_reachable(p, r.insn))
                && essential_name(local.ty(r.relo.type_id).name()) == "pt_regs"
        })
}
