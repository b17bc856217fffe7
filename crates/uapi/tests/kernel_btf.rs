//! corex-uapi's enums against the BTF of real kernels: Debian's 6.1 and 6.12
//! (fetched by scripts/fetch-kernels.sh) and the running kernel. The kernel's
//! own BTF holds every enumerator with its value, so this checks the entries
//! newer than the 6.12 header too, and fails, naming them, when a kernel has
//! enumerators the tables lack.

use corex_btf::{Btf, Kind};
use corex_uapi::{
    AttachType, BpfCmd, HelperId, LinkType, MapType, ProgType, StatsType, TaskFdType,
};

/// (C enum, the table's (value, C name) rows).
fn tables() -> Vec<(&'static str, Vec<(u32, &'static str)>)> {
    macro_rules! rows {
        ($ty:ty) => {
            (
                <$ty>::C_ENUM,
                <$ty>::KNOWN
                    .iter()
                    .map(|v| (v.0, v.c_name().unwrap()))
                    .collect(),
            )
        };
    }
    vec![
        rows!(BpfCmd),
        rows!(MapType),
        rows!(ProgType),
        rows!(AttachType),
        rows!(LinkType),
        rows!(HelperId),
        rows!(TaskFdType),
        rows!(StatsType),
    ]
}

/// Checks every enum of the tables against `btf`: each enumerator the kernel
/// has is known under its value (aliases and `__MAX` markers aside), and each
/// C name the table gives that the kernel has carries the table's value.
/// Returns the problems found.
fn check(btf: &Btf, tables: &[(&str, Vec<(u32, &str)>)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (c_enum, rows) in tables {
        let name = c_enum.strip_prefix("enum ").unwrap();
        let Some(ty) = btf
            .types()
            .find(|t| t.kind() == Kind::Enum && t.name() == name)
        else {
            problems.push(format!("{c_enum} is not in the kernel's BTF"));
            continue;
        };
        for e in ty.enum_values() {
            if e.name.starts_with("__") {
                continue;
            }
            let value = e.value as u32;
            match rows.iter().find(|r| r.0 == value) {
                None => problems.push(format!(
                    "{c_enum}: the kernel has {} = {value}, which corex-uapi lacks",
                    e.name
                )),
                Some((_, c_name)) if *c_name == e.name => {}
                // A second name for a known value (BPF_PROG_RUN,
                // BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED).
                Some(_) => {}
            }
            if let Some(r) = rows.iter().find(|r| r.1 == e.name) {
                if r.0 != value {
                    problems.push(format!(
                        "{c_enum}: {} is {value} in the kernel, {} in corex-uapi",
                        e.name, r.0
                    ));
                }
            }
        }
    }
    problems
}

fn check_file(path: &std::path::Path) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let btf = corex_btf::load(&data, None).unwrap().btf;
    let problems = check(&btf, &tables());
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        path.display(),
        problems.join("\n")
    );
}

#[test]
fn enums_match_debian_6_1_btf() {
    check_file(&corex_testkit::kernel_file("debian-6.1", "vmlinux.btf"));
}

#[test]
fn enums_match_debian_6_12_btf() {
    check_file(&corex_testkit::kernel_file("debian-6.12", "vmlinux.btf"));
}

/// The running kernel (6.18 on the development machine): a kernel newer than
/// the tables fails here, naming what to add.
#[test]
fn enums_match_running_kernel_btf() {
    let path = std::path::Path::new("/sys/kernel/btf/vmlinux");
    assert!(
        path.exists(),
        "/sys/kernel/btf/vmlinux is missing: this kernel was built without CONFIG_DEBUG_INFO_BTF"
    );
    check_file(path);
}

/// The checker reports a wrong value and a missing enumerator.
#[test]
fn checker_reports_differences() {
    let data = std::fs::read(corex_testkit::kernel_file("debian-6.12", "vmlinux.btf")).unwrap();
    let btf = corex_btf::load(&data, None).unwrap().btf;
    let mut rows: Vec<(u32, &str)> = MapType::KNOWN
        .iter()
        .map(|v| (v.0, v.c_name().unwrap()))
        .filter(|r| r.1 != "BPF_MAP_TYPE_ARENA")
        .collect();
    rows.iter_mut()
        .find(|r| r.1 == "BPF_MAP_TYPE_RINGBUF")
        .unwrap()
        .0 = 99;
    let problems = check(&btf, &[("enum bpf_map_type", rows)]);
    assert_eq!(
        problems,
        [
            "enum bpf_map_type: the kernel has BPF_MAP_TYPE_RINGBUF = 27, which corex-uapi lacks",
            "enum bpf_map_type: BPF_MAP_TYPE_RINGBUF is 27 in the kernel, 99 in corex-uapi",
            "enum bpf_map_type: the kernel has BPF_MAP_TYPE_ARENA = 33, which corex-uapi lacks",
        ]
    );
}
