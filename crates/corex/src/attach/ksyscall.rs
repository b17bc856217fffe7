//! `ksyscall/NAME`, `kretsyscall/NAME`: a kprobe on the kernel function
//! that enters syscall NAME on this architecture. Its name is found, not
//! assumed: the kernel's BTF lists the syscall wrappers it was built with
//! (`__x64_sys_execve`, `__arm64_sys_execve`, `__s390x_sys_execve`...) and
//! whether they take the user's `struct pt_regs`, kallsyms confirms the
//! function is there to probe; a kernel without wrappers has `sys_NAME`.

use super::error::{AttachError, NoTarget, Result};
use super::kprobe::{attach_kernel_probe, KprobeOptions};
use super::link::Link;
use corex_btf::{Btf, Kind};
use corex_object::AttachKind;
use corex_sys::ProgFd;

/// The kernel function a syscall enters through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallEntry {
    /// The function's name (`__x64_sys_execve`).
    pub symbol: String,
    /// Whether it is an architecture wrapper taking the user's registers
    /// (`const struct pt_regs *`) rather than the syscall's arguments: what
    /// libbpf's `LINUX_HAS_SYSCALL_WRAPPER` says.
    pub wrapper: bool,
}

/// The syscall wrapper prefix the kernel uses on `machine` (`uname -m`):
/// to choose when the kernel has several families (x86_64 also builds the
/// ia32 compatibility wrappers), and to guess one without BTF.
fn native_prefix(machine: &str) -> Option<&'static str> {
    Some(match machine {
        "x86_64" => "x64",
        "i386" | "i486" | "i586" | "i686" => "ia32",
        "aarch64" | "arm64" => "arm64",
        "s390x" => "s390x",
        "riscv64" => "riscv",
        "ppc64" | "ppc64le" | "ppc" => "powerpc",
        "loongarch64" => "loongarch",
        _ => return None,
    })
}

/// The wrapper prefixes `btf` has functions for: `P` of each FUNC
/// `__P_sys_NAME` (of any syscall when `name` is `None`) where `P` is a
/// plain lowercase word (so the kernel's internal `__se_sys_` and
/// `__do_sys_` helpers are not taken).
fn wrapper_prefixes(btf: &Btf, name: Option<&str>) -> Vec<String> {
    let mut prefixes: Vec<String> = btf
        .types()
        .filter(|t| t.kind() == Kind::Func)
        .filter_map(|t| {
            let rest = t.name().strip_prefix("__")?;
            let (prefix, syscall) = rest.split_once("_sys_")?;
            name.is_none_or(|n| n == syscall).then_some(prefix)
        })
        .filter(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && !matches!(*p, "se" | "do")
        })
        .map(str::to_owned)
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
}

/// Whether BTF function `symbol` takes the user's registers: its only
/// parameter a pointer to (const) `struct pt_regs`. `None` when the BTF has
/// no such function.
fn takes_pt_regs(btf: &Btf, symbol: &str) -> Option<bool> {
    let func = btf
        .types()
        .find(|t| t.kind() == Kind::Func && t.name() == symbol)?;
    let proto = btf.get(func.type_id()).ok()?;
    let params: Vec<_> = proto.params().collect();
    let [param] = params.as_slice() else {
        return Some(false);
    };
    let pointer = btf.skip_mods_and_typedefs(param.ty);
    if pointer.kind() != Kind::Ptr {
        return Some(false);
    }
    let pointee = btf.skip_mods_and_typedefs(pointer.type_id());
    Some(pointee.kind() == Kind::Struct && pointee.name() == "pt_regs")
}

/// The entry function of syscall `name` (`execve`): wrapper families from
/// `btf` (the kernel's, if it has one: its wrappers of `name`, else of any
/// syscall, as BTF leaves some functions out), confirmed by `symbol`
/// (whether kallsyms has a name; `None` when it cannot be read), `machine`
/// choosing among several.
pub fn find_syscall_entry(
    btf: Option<&Btf>,
    symbol: &dyn Fn(&str) -> Option<bool>,
    machine: &str,
    name: &str,
) -> Option<SyscallEntry> {
    let exists = |s: &str| symbol(s) != Some(false);
    let native = native_prefix(machine);
    let confirmed = |mut prefixes: Vec<String>| {
        prefixes.retain(|p| exists(&format!("__{p}_sys_{name}")));
        prefixes
    };
    let mut prefixes = match btf {
        Some(btf) => confirmed(wrapper_prefixes(btf, Some(name))),
        None => Vec::new(),
    };
    if prefixes.is_empty() {
        let families = match btf {
            Some(btf) => wrapper_prefixes(btf, None),
            None => native.map(str::to_owned).into_iter().collect(),
        };
        prefixes = confirmed(families)
            .into_iter()
            .filter(|p| symbol(&format!("__{p}_sys_{name}")).is_some() || btf.is_none())
            .collect();
    }
    let chosen = native
        .filter(|n| prefixes.iter().any(|p| p == n))
        .or_else(|| prefixes.first().map(String::as_str));
    let (symbol_name, assumed_wrapper) = match chosen {
        Some(prefix) => (format!("__{prefix}_sys_{name}"), true),
        None => {
            let plain = format!("sys_{name}");
            let known = symbol(&plain)
                .or_else(|| btf.map(|b| takes_pt_regs(b, &plain).is_some()))
                .unwrap_or(false);
            if !known {
                return None;
            }
            (plain, false)
        }
    };
    let wrapper = btf
        .and_then(|b| takes_pt_regs(b, &symbol_name))
        .unwrap_or(assumed_wrapper);
    Some(SyscallEntry {
        symbol: symbol_name,
        wrapper,
    })
}

/// The entry function of syscall `name` on the running kernel.
pub fn syscall_entry(name: &str) -> Option<SyscallEntry> {
    let kernel = crate::Kernel::running().ok()?;
    let btf = kernel.vmlinux_btf().ok();
    find_syscall_entry(
        btf.map(|b| b.btf()),
        &super::kernel_symbol,
        kernel.machine(),
        name,
    )
}

/// Attaches `prog` (a kprobe program) to the entry of syscall `syscall`
/// (`execve`), or its return with `options.retprobe`. The program reads the
/// syscall's arguments as [`SyscallEntry::wrapper`] says (libbpf's
/// `BPF_KSYSCALL` does).
pub fn attach_ksyscall(prog: &ProgFd, syscall: &str, options: &KprobeOptions) -> Result<Link> {
    let kind = if options.retprobe {
        AttachKind::Kretsyscall
    } else {
        AttachKind::Ksyscall
    };
    if options.offset != 0 {
        return Err(AttachError::BadTarget {
            kind,
            target: syscall.to_owned(),
            why: "a syscall probe takes no offset".into(),
        });
    }
    let entry = syscall_entry(syscall).ok_or_else(|| AttachError::NoTarget {
        kind,
        target: NoTarget::Syscall {
            name: syscall.to_owned(),
        },
    })?;
    attach_kernel_probe(prog, kind, &entry.symbol, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
    use corex_btf::{Endian, IntInfo, Linkage, TypeId};

    /// BTF with `struct pt_regs`, a wrapper prototype taking a pointer to
    /// it, a prototype taking a char pointer, and a FUNC per `(name,
    /// wrapper)`.
    fn btf(funcs: &[(&str, bool)]) -> Btf {
        let mut builder = BtfBuilder::new();
        let mut add = |name: &str, body| {
            let (name, kflag) = (name.into(), false);
            builder.add(&TypeDef { name, kflag, body })
        };
        let long = add(
            "long",
            Body::Int {
                size: 8,
                info: IntInfo::from_word(64 | (1 << 24)),
            },
        );
        let regs = add(
            "pt_regs",
            Body::Composite {
                is_union: false,
                size: 8,
                members: vec![MemberDef {
                    name: "di".into(),
                    ty: long,
                    bit_offset: 0,
                    bitfield_size: 0,
                }],
            },
        );
        let regs_ptr = add(
            "",
            Body::Ref {
                kind: Kind::Ptr,
                target: regs,
            },
        );
        let wrapper_proto = add(
            "",
            Body::FuncProto {
                ret: long,
                params: vec![("regs".into(), regs_ptr)],
            },
        );
        let long_ptr = add(
            "",
            Body::Ref {
                kind: Kind::Ptr,
                target: long,
            },
        );
        let plain_proto = add(
            "",
            Body::FuncProto {
                ret: long,
                params: vec![("filename".into(), long_ptr), ("argv".into(), long_ptr)],
            },
        );
        for (name, wrapper) in funcs {
            let proto: TypeId = if *wrapper { wrapper_proto } else { plain_proto };
            add(
                name,
                Body::Func {
                    proto,
                    linkage: Linkage::Static,
                },
            );
        }
        Btf::from_vec(builder.to_bytes(Endian::native()).unwrap(), None).unwrap()
    }

    #[test]
    fn the_native_wrapper_is_chosen() {
        let x86 = btf(&[
            ("__x64_sys_execve", true),
            ("__ia32_sys_execve", true),
            ("__ia32_compat_sys_execve", true),
            ("__se_sys_execve", false),
            ("__do_sys_execve", false),
        ]);
        let all = |_: &str| Some(true);
        let entry = find_syscall_entry(Some(&x86), &all, "x86_64", "execve").unwrap();
        assert_eq!(
            entry,
            SyscallEntry {
                symbol: "__x64_sys_execve".into(),
                wrapper: true
            }
        );
        let entry = find_syscall_entry(Some(&x86), &all, "i686", "execve").unwrap();
        assert_eq!(entry.symbol, "__ia32_sys_execve");
        // One family: the machine's name is not needed.
        let arm64 = btf(&[
            ("__arm64_sys_execve", true),
            ("__arm64_compat_sys_execve", true),
        ]);
        let entry = find_syscall_entry(Some(&arm64), &all, "unknown", "execve").unwrap();
        assert_eq!(entry.symbol, "__arm64_sys_execve");
        // What kallsyms lacks cannot be probed.
        let no_x64 = |s: &str| Some(s != "__x64_sys_execve");
        let entry = find_syscall_entry(Some(&x86), &no_x64, "x86_64", "execve").unwrap();
        assert_eq!(entry.symbol, "__ia32_sys_execve");
        // A wrapper BTF left out: the families BTF shows, kallsyms confirms.
        let entry = find_syscall_entry(Some(&x86), &all, "x86_64", "getppid").unwrap();
        assert_eq!(entry.symbol, "__x64_sys_getppid");
        assert!(entry.wrapper);
        let unreadable = |_: &str| None;
        assert_eq!(
            find_syscall_entry(Some(&x86), &unreadable, "x86_64", "getppid"),
            None,
            "nothing confirms it"
        );
    }

    #[test]
    fn kernels_without_wrappers_use_sys_name() {
        let plain = btf(&[("sys_execve", false), ("__se_sys_execve", false)]);
        let all = |_: &str| Some(true);
        let entry = find_syscall_entry(Some(&plain), &all, "mips", "execve").unwrap();
        assert_eq!(
            entry,
            SyscallEntry {
                symbol: "sys_execve".into(),
                wrapper: false
            }
        );
        let kallsyms_says_no = |_: &str| Some(false);
        assert_eq!(
            find_syscall_entry(Some(&plain), &kallsyms_says_no, "mips", "execve"),
            None
        );
    }

    #[test]
    fn without_btf_kallsyms_and_the_machine_decide() {
        let has = |s: &str| Some(s == "__x64_sys_execve");
        let entry = find_syscall_entry(None, &has, "x86_64", "execve").unwrap();
        assert_eq!(entry.symbol, "__x64_sys_execve");
        assert!(entry.wrapper);
        let plain = |s: &str| Some(s == "sys_execve");
        let entry = find_syscall_entry(None, &plain, "x86_64", "execve").unwrap();
        assert_eq!(entry.symbol, "sys_execve");
        assert!(!entry.wrapper);
        assert_eq!(
            find_syscall_entry(None, &|_| Some(false), "x86_64", "x"),
            None
        );
        // Nothing to ask: the machine's wrapper, unconfirmed.
        let guess = find_syscall_entry(None, &|_| None, "x86_64", "execve").unwrap();
        assert_eq!(guess.symbol, "__x64_sys_execve");
    }

    #[test]
    fn this_kernels_entries() {
        for name in ["execve", "getppid"] {
            let entry = syscall_entry(name).expect("an entry in kallsyms");
            assert!(entry.symbol.ends_with(&format!("_sys_{name}")), "{entry:?}");
        }
    }
}
