//! `ksyscall/NAME`, `kretsyscall/NAME`: a kprobe on the kernel function
//! that enters syscall NAME on this architecture. Its name is found, not
//! assumed: kallsyms lists the wrappers the kernel was built with
//! (`__x64_sys_execve`, `__arm64_sys_execve`, `__s390x_sys_execve`...), or
//! a plain `sys_execve` on kernels without syscall wrappers; the kernel's
//! BTF says whether the function takes the user's `struct pt_regs` (a
//! wrapper) or the syscall's own arguments.

use super::error::{AttachError, NoTarget, Result};
use super::kallsyms::Kallsyms;
use super::kprobe::{attach_kernel_probe, KprobeOptions};
use super::link::Link;
use corex_btf::{Btf, Kind};
use corex_object::AttachKind;
use corex_sys::ProgFd;
use std::sync::OnceLock;

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

/// The syscall wrapper prefix the kernel uses on `machine` (`uname -m`),
/// only to choose when kallsyms holds several (x86_64 also builds the ia32
/// compatibility wrappers).
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

/// The wrapper prefixes kallsyms has for syscall `name`: `P` of each
/// `__P_sys_NAME` where `P` is a plain lowercase word (so `__se_sys_`,
/// `__do_sys_` and `__pfx_` entries, the kernel's internal helpers and
/// padding labels, are not taken).
fn wrapper_prefixes(kallsyms: &Kallsyms, name: &str) -> Vec<String> {
    let suffix = format!("_sys_{name}");
    let mut prefixes: Vec<String> = kallsyms
        .names()
        .filter_map(|s| s.strip_prefix("__")?.strip_suffix(&suffix))
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

/// The entry function of syscall `name` (`execve`), from `kallsyms`, with
/// `btf` (the kernel's) to tell a wrapper, and `machine` to choose among
/// several wrapper families.
pub fn find_syscall_entry(
    kallsyms: &Kallsyms,
    btf: Option<&Btf>,
    machine: &str,
    name: &str,
) -> Option<SyscallEntry> {
    let prefixes = wrapper_prefixes(kallsyms, name);
    let chosen = match prefixes.as_slice() {
        [] => None,
        [only] => Some(only.as_str()),
        several => native_prefix(machine)
            .filter(|native| several.iter().any(|p| p == native))
            .or_else(|| several.first().map(String::as_str)),
    };
    let (symbol, assumed_wrapper) = match chosen {
        Some(prefix) => (format!("__{prefix}_sys_{name}"), true),
        None => {
            let plain = format!("sys_{name}");
            if !kallsyms.contains(&plain) {
                return None;
            }
            (plain, false)
        }
    };
    let wrapper = btf
        .and_then(|b| takes_pt_regs(b, &symbol))
        .unwrap_or(assumed_wrapper);
    Some(SyscallEntry { symbol, wrapper })
}

/// The running kernel's BTF, parsed once, `None` if it cannot be read.
fn kernel_btf() -> Option<&'static Btf> {
    static BTF: OnceLock<Option<Btf>> = OnceLock::new();
    BTF.get_or_init(|| {
        let data = std::fs::read("/sys/kernel/btf/vmlinux").ok()?;
        Btf::from_vec(data, None).ok()
    })
    .as_ref()
}

/// The entry function of syscall `name` on the running kernel.
pub fn syscall_entry(name: &str) -> Option<SyscallEntry> {
    let machine = corex_sys::uname().map(|u| u.machine).unwrap_or_default();
    find_syscall_entry(Kallsyms::running()?, kernel_btf(), &machine, name)
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

    fn table(names: &[&str]) -> Kallsyms {
        let text: String = names
            .iter()
            .map(|n| format!("ffffffff81000000 T {n}\n"))
            .collect();
        Kallsyms::parse(&text)
    }

    #[test]
    fn the_native_wrapper_is_chosen() {
        let x86 = table(&[
            "__pfx___x64_sys_execve",
            "__x64_sys_execve",
            "__ia32_sys_execve",
            "__ia32_compat_sys_execve",
            "__se_sys_execve",
            "__do_sys_execve",
        ]);
        let entry = find_syscall_entry(&x86, None, "x86_64", "execve").unwrap();
        assert_eq!(entry.symbol, "__x64_sys_execve");
        assert!(entry.wrapper);
        let entry = find_syscall_entry(&x86, None, "i686", "execve").unwrap();
        assert_eq!(entry.symbol, "__ia32_sys_execve");

        let arm64 = table(&["__arm64_sys_execve", "__arm64_compat_sys_execve"]);
        let entry = find_syscall_entry(&arm64, None, "aarch64", "execve").unwrap();
        assert_eq!(entry.symbol, "__arm64_sys_execve");
        // One family: the machine's name is not needed.
        let entry = find_syscall_entry(&arm64, None, "unknown", "execve").unwrap();
        assert_eq!(entry.symbol, "__arm64_sys_execve");
    }

    #[test]
    fn kernels_without_wrappers_use_sys_name() {
        let plain = table(&["sys_execve", "__se_sys_execve"]);
        let entry = find_syscall_entry(&plain, None, "mips", "execve").unwrap();
        assert_eq!(
            entry,
            SyscallEntry {
                symbol: "sys_execve".into(),
                wrapper: false
            }
        );
        assert_eq!(find_syscall_entry(&plain, None, "mips", "nosuch"), None);
    }
}
