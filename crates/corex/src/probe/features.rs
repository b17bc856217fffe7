//! libbpf's kernel features (`enum kern_feature_id`), each probed as libbpf
//! 1.1 probes it, except the syscall wrapper where libbpf's probe cannot
//! answer (see [`syscall_wrapper`]).

use corex_btf::Kind;
use corex_object::load::Feature;
use corex_sys::{MapCreate, MapFd};
use corex_uapi::{flags, AttachType, HelperId, MapType, ProgType};

use super::asm;
use super::programs::Attempt;
use super::{from_call, requires, usual_cause, Availability, Cause, Missing};
use crate::Kernel;

/// Probes one feature.
pub(super) fn probe(kernel: &Kernel, feature: Feature) -> Availability {
    let load = |attempt: &Attempt| from_call(attempt.load(false).0, usual_cause);
    match feature {
        Feature::ProgName => {
            let mut a = Attempt::new(ProgType::SOCKET_FILTER, asm::return_zero());
            a.name = "corex_nametest";
            load(&a)
        }
        Feature::GlobalData => global_data(),
        Feature::ArrayMmap => {
            let mut attrs = MapCreate::new(MapType::ARRAY, 4, 4, 1);
            attrs.map_flags = flags::map::MMAPABLE;
            from_call(MapFd::create(&attrs), usual_cause)
        }
        Feature::ExpAttachType => {
            let mut a = Attempt::new(ProgType::CGROUP_SOCK, asm::return_zero());
            a.expected_attach_type = Some(AttachType::CGROUP_INET_SOCK_CREATE);
            load(&a)
        }
        Feature::ProbeReadKernel => {
            let insns = vec![
                asm::mov_reg(1, 10),
                asm::add_imm(1, -8),
                asm::mov_imm(2, 8),
                asm::mov_imm(3, 0),
                asm::call(HelperId::PROBE_READ_KERNEL.0),
                asm::exit(),
            ];
            load(&Attempt::new(ProgType::TRACEPOINT, insns))
        }
        Feature::ProgBindMap => prog_bind_map(),
        Feature::PerfLink => super::attach::perf_link(),
        Feature::MemcgAccount => {
            // bpf_ktime_get_coarse_ns came in 5.11, with memcg accounting.
            let insns = asm::call_then_exit(HelperId::KTIME_GET_COARSE_NS.0);
            load(&Attempt::new(ProgType::SOCKET_FILTER, insns))
        }
        Feature::BpfCookie => super::attach::bpf_cookie(kernel.version_code()),
        Feature::SyscallWrapper => syscall_wrapper(kernel),
        f => super::btf::probe(f),
    }
}

/// An array map written through a map value address (libbpf's
/// `probe_kern_global_data`).
fn global_data() -> Availability {
    let map = match MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 32, 1)) {
        Ok(map) => map,
        Err(e) => return requires("array maps", &e),
    };
    let fd = std::os::fd::AsRawFd::as_raw_fd(&map);
    let [ld, ld2] = asm::ld_map_value(1, fd);
    let insns = vec![
        ld,
        ld2,
        asm::store_u64(1, 0, 42),
        asm::mov_imm(0, 0),
        asm::exit(),
    ];
    from_call(
        Attempt::new(ProgType::SOCKET_FILTER, insns).load(false).0,
        usual_cause,
    )
}

/// A map bound to a program (libbpf's `probe_prog_bind_map`).
fn prog_bind_map() -> Availability {
    let map = match MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 8, 1)) {
        Ok(map) => map,
        Err(e) => return requires("array maps", &e),
    };
    let prog = match Attempt::new(ProgType::SOCKET_FILTER, asm::return_zero())
        .load(false)
        .0
    {
        Ok(prog) => prog,
        Err(e) => return requires("socket filter programs", &e),
    };
    from_call(prog.bind_map(&map), usual_cause)
}

/// The prefix of system call entry points on this architecture
/// (`__x64_sys_bpf`), as libbpf's `arch_specific_syscall_pfx`.
pub(crate) fn syscall_prefix(machine: &str) -> Option<&'static str> {
    Some(match machine {
        "x86_64" => "x64",
        "i386" | "i686" => "ia32",
        "s390x" => "s390x",
        "s390" => "s390",
        "aarch64" | "arm64" => "arm64",
        "mips" | "mips64" => "mips",
        "riscv64" | "riscv32" => "riscv",
        "ppc64" | "ppc64le" | "powerpc" => "powerpc",
        "loongarch64" => "loongarch",
        _ => return None,
    })
}

/// Whether system calls enter through `__<arch>_sys_*` wrappers that take
/// a `struct pt_regs` (`LINUX_HAS_SYSCALL_WRAPPER`).
///
/// libbpf opens a kprobe on `__<arch>_sys_bpf` and answers "no" whenever
/// that fails, so on a kernel without kprobes it says "no" even where the
/// wrappers exist. corex does what libbpf does when the kprobe PMU exists,
/// and otherwise looks the wrapper up in vmlinux BTF, which tells the
/// truth without kprobes (the answer matters only to `BPF_KSYSCALL`
/// programs and `LINUX_HAS_SYSCALL_WRAPPER` readers).
fn syscall_wrapper(kernel: &Kernel) -> Availability {
    let Some(prefix) = syscall_prefix(kernel.machine()) else {
        return Availability::Missing(Missing {
            errno: None,
            cause: Cause::Unexpected {
                what: format!(
                    "corex does not know the syscall prefix of {}",
                    corex_btf::printable(kernel.machine())
                ),
            },
        });
    };
    let name = format!("__{prefix}_sys_bpf");
    if let Some(pmu) = super::attach::kprobe_pmu() {
        return from_call(super::attach::open_kprobe(pmu, &name), |_| Cause::Unknown);
    }
    // A scan of the FUNCs: cheaper than building the name index for one name.
    let has = |btf: &corex_object::load::KernelBtf| {
        btf.btf()
            .types()
            .any(|t| t.kind() == Kind::Func && t.name() == name)
    };
    match kernel.vmlinux_btf() {
        Ok(btf) if has(btf) => Availability::Supported,
        Ok(_) => Availability::Missing(Missing {
            errno: None,
            cause: Cause::NoTarget {
                what: format!("vmlinux BTF has no function {name}"),
            },
        }),
        Err(e) => Availability::Missing(Missing {
            errno: None,
            cause: Cause::NoTarget {
                what: format!("without kprobes, corex looks {name} up in vmlinux BTF, and {e}"),
            },
        }),
    }
}
