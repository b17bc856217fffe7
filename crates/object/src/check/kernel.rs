//! What a kernel's BTF says about the kernel, read once per kernel: its
//! architecture (from `struct pt_regs`), the program, map and attach types
//! and helpers it knows (the enums of its UAPI), and the functions,
//! tracepoints and syscalls the checked objects attach to.

use std::collections::{BTreeSet, HashMap, HashSet};

use corex_btf::{Btf, Kind, Type, TypeId};

use crate::core::{CoreWants, Target};
use crate::name_scan::{kind_bit, NameMatch, NameScan};
use crate::object::Object;

/// A CPU architecture, as the kernel's `struct pt_regs` reveals it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Arch {
    /// x86-64.
    X86_64,
    /// 32-bit x86.
    X86,
    /// 64-bit Arm.
    Arm64,
    /// 32-bit Arm.
    Arm,
    /// IBM Z.
    S390,
    /// RISC-V.
    RiscV,
    /// POWER.
    PowerPc,
    /// MIPS.
    Mips,
    /// LoongArch.
    LoongArch,
}

impl Arch {
    /// The name BTFHub's archive uses for the directory (`x86_64`, `arm64`...).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::X86 => "x86",
            Arch::Arm64 => "arm64",
            Arch::Arm => "arm",
            Arch::S390 => "s390x",
            Arch::RiscV => "riscv64",
            Arch::PowerPc => "ppc64le",
            Arch::Mips => "mips",
            Arch::LoongArch => "loongarch64",
        }
    }

    /// Parses an architecture name as `uname -m` or BTFHub writes it
    /// (`x86_64`, `amd64`, `aarch64`, `arm64`, ...).
    pub fn from_name(name: &str) -> Option<Arch> {
        Some(match name {
            "x86_64" | "amd64" | "x86-64" => Arch::X86_64,
            "x86" | "i386" | "i686" => Arch::X86,
            "arm64" | "aarch64" => Arch::Arm64,
            "arm" | "armv7l" | "armhf" => Arch::Arm,
            "s390x" | "s390" => Arch::S390,
            "riscv64" | "riscv" => Arch::RiscV,
            "ppc64le" | "ppc64" | "powerpc" => Arch::PowerPc,
            "mips" | "mips64" => Arch::Mips,
            "loongarch64" | "loongarch" => Arch::LoongArch,
            _ => return None,
        })
    }

    /// The prefix of the kernel's syscall entry points (`__x64_sys_execve`),
    /// as libbpf's `arch_specific_syscall_pfx`.
    pub fn syscall_prefix(self) -> Option<&'static str> {
        Some(match self {
            Arch::X86_64 => "x64",
            Arch::X86 => "ia32",
            Arch::Arm64 => "arm64",
            Arch::S390 => "s390x",
            Arch::RiscV => "riscv",
            Arch::PowerPc => "powerpc",
            Arch::Arm | Arch::Mips | Arch::LoongArch => return None,
        })
    }

    /// The architecture whose `struct pt_regs` this is (members found by
    /// name, through anonymous members), if it is one of those known.
    pub fn of_pt_regs(t: Type<'_>) -> Option<Arch> {
        let mut names = HashSet::new();
        collect_member_names(t, &mut names, 0);
        let has = |n: &str| names.contains(n);
        Some(if has("r15") && has("di") {
            Arch::X86_64
        } else if has("bx") && has("ip") {
            Arch::X86
        } else if has("pstate") || has("orig_x0") {
            Arch::Arm64
        } else if has("uregs") {
            Arch::Arm
        } else if has("psw") && has("gprs") {
            Arch::S390
        } else if has("epc") && has("ra") {
            Arch::RiscV
        } else if has("nip") && has("gpr") {
            Arch::PowerPc
        } else if has("cp0_epc") {
            Arch::Mips
        } else if has("csr_era") {
            Arch::LoongArch
        } else {
            return None;
        })
    }

    /// The architecture a BTF's `struct pt_regs` (the first with members) reveals.
    pub fn of_btf(btf: &Btf) -> Option<Arch> {
        btf.types()
            .filter(|t| t.kind() == Kind::Struct && t.name() == "pt_regs" && t.vlen() > 0)
            .find_map(Arch::of_pt_regs)
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn collect_member_names<'a>(t: Type<'a>, out: &mut HashSet<&'a str>, depth: usize) {
    if depth > 8 {
        return;
    }
    for m in t.members() {
        if m.name.is_empty() {
            let inner = t.btf().skip_mods_and_typedefs(m.ty);
            collect_member_names(inner, out, depth + 1);
        } else {
            out.insert(m.name);
        }
    }
}

/// The UAPI enums a check reads from the kernel's BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UapiEnum {
    /// `enum bpf_prog_type`.
    ProgType,
    /// `enum bpf_map_type`.
    MapType,
    /// `enum bpf_attach_type`.
    AttachType,
    /// `enum bpf_func_id`.
    FuncId,
}

impl UapiEnum {
    const ALL: [UapiEnum; 4] = [
        UapiEnum::ProgType,
        UapiEnum::MapType,
        UapiEnum::AttachType,
        UapiEnum::FuncId,
    ];

    /// The enum's C name.
    pub fn name(self) -> &'static str {
        match self {
            UapiEnum::ProgType => "bpf_prog_type",
            UapiEnum::MapType => "bpf_map_type",
            UapiEnum::AttachType => "bpf_attach_type",
            UapiEnum::FuncId => "bpf_func_id",
        }
    }
}

/// The enumerators of one UAPI enum on one kernel.
#[derive(Clone, Debug, Default)]
pub struct Enumerators {
    by_name: HashMap<String, i64>,
    by_value: HashMap<i64, String>,
}

impl Enumerators {
    fn of(t: Type<'_>) -> Enumerators {
        let mut e = Enumerators::default();
        for v in t.enum_values() {
            e.by_name.insert(v.name.to_owned(), v.value);
            e.by_value
                .entry(v.value)
                .or_insert_with(|| v.name.to_owned());
        }
        e
    }

    /// Whether an enumerator is called `name`.
    pub fn has_name(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The name of the enumerator with this value.
    pub fn name_of(&self, value: i64) -> Option<&str> {
        self.by_value.get(&value).map(String::as_str)
    }

    /// Every (value, name) pair.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &str)> + '_ {
        self.by_value.iter().map(|(v, n)| (*v, n.as_str()))
    }
}

/// A kernel's BTF with what checks need from it, read in one pass: the
/// CO-RE candidates of the checked objects ([`Kernel::target`]), the
/// architecture, the UAPI enums and the attach points' names.
pub struct Kernel<'k> {
    btf: &'k Btf,
    target: Target<'k>,
    arch: Option<Arch>,
    enums: HashMap<UapiEnum, Enumerators>,
    /// Wanted names -> (kind, id) of the types so named.
    names: HashMap<String, Vec<(Kind, TypeId)>>,
    has_funcs: bool,
    has_btf_tracepoints: bool,
}

impl<'k> Kernel<'k> {
    /// Reads `btf` once: the CO-RE candidates of `objects`' relocations,
    /// its architecture, the UAPI enums, and the types named as the attach
    /// points of `objects` need.
    pub fn new(btf: &'k Btf, objects: &[&Object]) -> Kernel<'k> {
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for obj in objects {
            for p in &obj.programs {
                if let Some(a) = &p.attach {
                    wanted.extend(crate::check::attach::lookup_names(a));
                }
            }
        }
        for e in UapiEnum::ALL {
            wanted.insert(e.name().to_owned());
        }
        wanted.insert("pt_regs".to_owned());
        // Probes for the arch's syscall wrappers (Linux 4.17+ on x86).
        for p in super::attach::SYSCALL_PREFIXES {
            wanted.insert(format!("__{p}_sys_read"));
        }
        // Only functions, typedefs, structs and enums are looked up by name.
        let kinds = [
            Kind::Func,
            Kind::Typedef,
            Kind::Struct,
            Kind::Enum,
            Kind::Enum64,
        ]
        .into_iter()
        .fold(0, |k, kind| k | kind_bit(kind));
        let mut scan = NameScan::default();
        let slots: Vec<(&str, usize)> = wanted
            .iter()
            .map(|n| (n.as_str(), scan.want(n, kinds, NameMatch::Exact)))
            .collect();
        let tracepoints = scan.want("btf_trace_", kind_bit(Kind::Typedef), NameMatch::Prefix);
        let core = CoreWants::ask(&mut scan, objects);
        let mut found = scan.run(btf);
        let names: HashMap<String, Vec<(Kind, TypeId)>> = slots
            .iter()
            .filter(|(_, slot)| !found.found[*slot].is_empty())
            .map(|&(name, slot)| {
                let ids = found.found[slot].iter();
                (
                    name.to_owned(),
                    ids.map(|&id| (btf.ty(id).kind(), id)).collect(),
                )
            })
            .collect();
        let find = |name: &str, kind: fn(Kind) -> bool| {
            names
                .get(name)
                .and_then(|ids| ids.iter().find(|(k, _)| kind(*k)))
                .map(|&(_, id)| btf.ty(id))
        };
        let arch = names.get("pt_regs").and_then(|ids| {
            ids.iter()
                .filter(|(k, _)| *k == Kind::Struct)
                .find_map(|&(_, id)| Arch::of_pt_regs(btf.ty(id)))
        });
        let enums = UapiEnum::ALL
            .iter()
            .filter_map(|&e| Some((e, Enumerators::of(find(e.name(), Kind::is_any_enum)?))))
            .collect();
        Kernel {
            btf,
            target: core.target(btf, &mut found),
            arch,
            enums,
            names,
            has_funcs: found.kind_counts[Kind::Func as usize] > 0,
            has_btf_tracepoints: !found.found[tracepoints].is_empty(),
        }
    }

    /// The CO-RE target: the candidates of the relocations of the objects
    /// given to [`Kernel::new`] found in its pass (others' are looked up in
    /// an index the BTF builds on first use).
    pub fn target(&self) -> &Target<'k> {
        &self.target
    }

    /// The BTF.
    pub fn btf(&self) -> &'k Btf {
        self.btf
    }

    /// The architecture, if `struct pt_regs` tells it.
    pub fn arch(&self) -> Option<Arch> {
        self.arch
    }

    /// The enumerators of a UAPI enum, `None` if the BTF lacks the enum.
    pub fn uapi_enum(&self, e: UapiEnum) -> Option<&Enumerators> {
        self.enums.get(&e)
    }

    /// Whether the BTF describes functions at all (BTF generated from DWARF
    /// for old kernels may have no FUNC records).
    pub fn has_funcs(&self) -> bool {
        self.has_funcs
    }

    /// The type called `name` of a kind `kind` accepts, if an object's attach
    /// point asked for that name when this was made.
    pub fn named(&self, name: &str, kind: fn(Kind) -> bool) -> Option<Type<'k>> {
        self.names
            .get(name)?
            .iter()
            .find(|(k, _)| kind(*k))
            .map(|&(_, id)| self.btf.ty(id))
    }

    /// The FUNC_PROTO of function `name`, for fentry/fexit/kprobe targets.
    pub fn func_proto(&self, name: &str) -> Option<Type<'k>> {
        let f = self.named(name, |k| k == Kind::Func)?;
        let proto = self.btf.ty(f.type_id());
        (proto.kind() == Kind::FuncProto).then_some(proto)
    }

    /// Whether a FUNC is called `name`.
    pub fn has_func(&self, name: &str) -> bool {
        self.named(name, |k| k == Kind::Func).is_some()
    }

    /// Whether the BTF has the arch's syscall entry points (`__x64_sys_read`):
    /// then a syscall that has none does not exist.
    pub fn has_syscall_wrappers(&self) -> bool {
        super::attach::SYSCALL_PREFIXES
            .iter()
            .any(|p| self.has_func(&format!("__{p}_sys_read")))
    }

    /// Whether the BTF has a `btf_trace_*` typedef per tracepoint (Linux 5.5+).
    pub fn has_btf_tracepoints(&self) -> bool {
        self.has_btf_tracepoints
    }
}
