//! Attach targets on one kernel: does the function, tracepoint or syscall a
//! program attaches to exist there, and does the program read more of its
//! arguments than the kernel's prototype has, or use one as a pointer to a
//! type the kernel's prototype no longer passes.

use std::collections::HashMap;

use corex_btf::{essential_name, Btf, Kind, Type, TypeId};

use super::kernel::{Arch, Kernel};
use super::reach::Reach;
use super::Problem;
use crate::attach::{AttachKind, AttachPoint};

/// Every syscall entry-point prefix a kernel may use (`__x64_sys_X`...).
pub(crate) const SYSCALL_PREFIXES: [&str; 6] =
    ["x64", "ia32", "arm64", "s390x", "riscv", "powerpc"];

/// The traced-object names an attach point needs looked up: functions,
/// `btf_trace_*` typedefs, `trace_event_raw_*` structs, syscall entry points.
pub(crate) fn lookup_names(a: &AttachPoint) -> Vec<String> {
    match target_of(a) {
        Some(Traced::Function(f)) => vec![f.into_owned()],
        Some(Traced::Syscall(sys)) => syscall_names(sys, SYSCALL_PREFIXES.iter().copied()),
        Some(Traced::Tracepoint(tp)) => tracepoint_names(tp),
        Some(Traced::BtfTracepoint(tp)) => vec![format!("btf_trace_{tp}")],
        None => Vec::new(),
    }
}

/// What an attach point traces.
enum Traced<'a> {
    /// A kernel function (fentry, kprobe, lsm and iter hooks).
    Function(std::borrow::Cow<'a, str>),
    /// A syscall (ksyscall, `syscalls/sys_enter_X` tracepoints).
    Syscall(&'a str),
    /// A tracepoint by name (classic and raw tracepoints).
    Tracepoint(&'a str),
    /// A tracepoint that needs its BTF (tp_btf).
    BtfTracepoint(&'a str),
}

fn target_of(a: &AttachPoint) -> Option<Traced<'_>> {
    let target = a.target.as_deref()?;
    Some(match a.kind {
        AttachKind::Fentry | AttachKind::Fexit | AttachKind::FmodRet => {
            Traced::Function(target.into())
        }
        AttachKind::Kprobe | AttachKind::Kretprobe => {
            Traced::Function(target.split('+').next().unwrap_or(target).into())
        }
        AttachKind::Lsm => Traced::Function(format!("bpf_lsm_{target}").into()),
        AttachKind::Iter => Traced::Function(format!("bpf_iter_{target}").into()),
        AttachKind::Ksyscall | AttachKind::Kretsyscall => Traced::Syscall(target),
        AttachKind::TpBtf => Traced::BtfTracepoint(target),
        AttachKind::RawTracepoint | AttachKind::RawTracepointWritable => Traced::Tracepoint(target),
        AttachKind::Tracepoint => match syscall_of_tracepoint(target) {
            Some(sys) => Traced::Syscall(sys),
            None => Traced::Tracepoint(target.rsplit('/').next().unwrap_or(target)),
        },
        _ => return None,
    })
}

/// `syscalls/sys_enter_X` and `syscalls/sys_exit_X` trace syscall X.
fn syscall_of_tracepoint(target: &str) -> Option<&str> {
    let name = target.strip_prefix("syscalls/")?;
    name.strip_prefix("sys_enter_")
        .or_else(|| name.strip_prefix("sys_exit_"))
}

/// The functions that implement syscall `sys`: the arch's entry points,
/// and the names older kernels use (`SyS_X`, `sys_X`, ...).
fn syscall_names<'p>(sys: &str, prefixes: impl IntoIterator<Item = &'p str>) -> Vec<String> {
    let mut out: Vec<String> = prefixes
        .into_iter()
        .map(|p| format!("__{p}_sys_{sys}"))
        .collect();
    for form in ["sys_", "SyS_", "__se_sys_", "__do_sys_"] {
        out.push(format!("{form}{sys}"));
    }
    out
}

fn tracepoint_names(tp: &str) -> Vec<String> {
    vec![format!("btf_trace_{tp}"), format!("trace_event_raw_{tp}")]
}

/// Whether the attach point's target exists on `kernel`: `None` when it
/// does, else the problem (missing, or not told by this BTF).
pub(crate) fn missing_target(kernel: &Kernel<'_>, a: &AttachPoint) -> Option<Problem> {
    let traced = target_of(a)?;
    let func = |n: &String| kernel.named(n, |k| k == Kind::Func).is_some();
    let any_type = |n: &String| {
        kernel
            .named(n, |k| k == Kind::Typedef || k == Kind::Struct)
            .is_some()
    };
    let (looked_for, found, reliable) = match traced {
        Traced::Function(f) => {
            let names = vec![f.into_owned()];
            let found = names.iter().any(func);
            (names, found, kernel.has_funcs())
        }
        Traced::Syscall(sys) => {
            let pfx = kernel.arch().and_then(Arch::syscall_prefix);
            let names = syscall_names(sys, pfx);
            let found = names.iter().any(func);
            (names, found, kernel.has_syscall_wrappers())
        }
        Traced::Tracepoint(tp) => {
            let names = tracepoint_names(tp);
            let found = names.iter().any(any_type);
            (names, found, kernel.has_btf_tracepoints())
        }
        Traced::BtfTracepoint(tp) => {
            let names = vec![format!("btf_trace_{tp}")];
            let found = names.iter().any(any_type);
            (names, found, true)
        }
    };
    let target = a.target.clone().unwrap_or_default();
    match (found, reliable) {
        (true, _) => None,
        (false, true) => Some(Problem::MissingTarget {
            kind: a.kind,
            target,
            looked_for,
        }),
        (false, false) => Some(Problem::CannotTell {
            what: format!(
                "whether {} target {target} exists: this kernel's BTF does not describe every one (looked for {})",
                a.kind,
                looked_for.join(", ")
            ),
        }),
    }
}

/// The prototype a program's arguments come from on `kernel`, and how many
/// context words it may read (the return value too, after fexit).
fn traced_prototype<'k>(kernel: &Kernel<'k>, a: &AttachPoint) -> Option<(Type<'k>, usize, usize)> {
    let target = a.target.as_deref()?;
    let btf = kernel.btf();
    match a.kind {
        AttachKind::Fentry | AttachKind::Fexit | AttachKind::FmodRet => {
            let proto = kernel.func_proto(target)?;
            let n = arity(proto);
            let extra = usize::from(a.kind != AttachKind::Fentry);
            Some((proto, 0, n + extra))
        }
        AttachKind::TpBtf | AttachKind::RawTracepoint | AttachKind::RawTracepointWritable => {
            let td = kernel.named(&format!("btf_trace_{target}"), |k| k == Kind::Typedef)?;
            let ptr = btf.skip_mods_and_typedefs(td.type_id());
            let proto = btf.ty(ptr.type_id());
            if ptr.kind() != Kind::Ptr || proto.kind() != Kind::FuncProto {
                return None;
            }
            // The first parameter is the tracepoint's private data.
            Some((proto, 1, arity(proto).saturating_sub(1)))
        }
        _ => None,
    }
}

/// Number of named parameters (a trailing `void` means `...`).
fn arity(proto: Type<'_>) -> usize {
    let n = proto.vlen();
    match proto.params().last() {
        Some(p) if p.ty == TypeId::VOID => n - 1,
        _ => n,
    }
}

/// Problems with the arguments program `program` reads on `kernel`: more
/// context words than the prototype has, or a pointer argument the program
/// reads through CO-RE as another type than the kernel passes.
/// `relocated` maps (program, instruction) to the local root type of the
/// CO-RE relocation there.
pub(crate) fn argument_problems(
    kernel: &Kernel<'_>,
    a: &AttachPoint,
    reach: &Reach,
    local: Option<&Btf>,
    relocated: &HashMap<(usize, usize), TypeId>,
) -> Vec<Problem> {
    let Some((proto, first, allowed)) = traced_prototype(kernel, a) else {
        return Vec::new();
    };
    let function = a.target.clone().unwrap_or_default();
    let mut out = Vec::new();
    let words = reach
        .ctx_reads
        .iter()
        .filter(|r| r.offset >= 0)
        .map(|r| (r.offset as usize + r.size.max(1) as usize - 1) / 8 + 1)
        .max()
        .unwrap_or(0);
    if words > allowed {
        out.push(Problem::ArgCount {
            kind: a.kind,
            function: function.clone(),
            reads: words,
            has: allowed,
        });
    }
    let Some(local) = local else { return out };
    let btf = kernel.btf();
    let mut seen = Vec::new();
    for u in &reach.arg_uses {
        let Some(&root) = relocated.get(&(u.program, u.insn)) else {
            continue;
        };
        let arg = usize::from(u.arg);
        if seen.contains(&arg) {
            continue;
        }
        let Some(param) = proto.params().nth(first + arg) else {
            continue;
        };
        let lt = local.skip_mods_and_typedefs(root);
        let want = essential_name(lt.name());
        let pt = btf.skip_mods_and_typedefs(param.ty);
        let pointee = (pt.kind() == Kind::Ptr).then(|| btf.skip_mods_and_typedefs(pt.type_id()));
        let same = pointee.is_some_and(|t| {
            t.kind() == lt.kind() || (t.kind() == Kind::Fwd && lt.kind().is_composite())
        } && essential_name(t.name()) == want);
        if !same && !want.is_empty() {
            seen.push(arg);
            out.push(Problem::ArgType {
                kind: a.kind,
                function: function.clone(),
                arg,
                local: crate::core::type_name(local, lt.id()),
                kernel: describe_param(btf, param.ty),
            });
        }
    }
    out
}

/// A parameter type in C-like words: `struct filename *`, `char *`, `int`.
fn describe_param(btf: &Btf, id: TypeId) -> String {
    let named = |t: Type<'_>| match t.kind() {
        Kind::Void => "void".to_owned(),
        Kind::Int | Kind::Float => t.name().to_owned(),
        _ => crate::core::type_name(btf, t.id()),
    };
    let t = btf.skip_mods_and_typedefs(id);
    if t.kind() == Kind::Ptr {
        return format!("{} *", named(btf.skip_mods_and_typedefs(t.type_id())));
    }
    named(t)
}
