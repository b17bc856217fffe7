//! The process and machine queries, and what an unprivileged user is told:
//! the test runs its own binary again as `nobody` without capabilities
//! (`setpriv`), where each privileged call must fail naming the capability.

use corex_sys::{
    parse_cpu_list, Capabilities, Capability, Limit, MapCreate, MapFd, ObjectKind, ProgFd, ProgLoad,
};
use corex_uapi::{MapType, ProgType};

#[test]
fn cpu_lists() {
    assert_eq!(parse_cpu_list("0-3\n"), Some(vec![0, 1, 2, 3]));
    assert_eq!(parse_cpu_list("0,2-3,7"), Some(vec![0, 2, 3, 7]));
    assert_eq!(parse_cpu_list("5"), Some(vec![5]));
    assert_eq!(parse_cpu_list(""), None);
    assert_eq!(parse_cpu_list("3-1"), None);
    assert_eq!(parse_cpu_list("a-b"), None);
    assert_eq!(parse_cpu_list("0-4294967295"), None);
    let possible = corex_sys::possible_cpus().unwrap();
    let online = corex_sys::online_cpus().unwrap();
    assert!(online.iter().all(|c| possible.contains(c)));
    assert_eq!(
        corex_sys::possible_cpu_count().unwrap(),
        *possible.iter().max().unwrap() as usize + 1
    );
}

#[test]
fn uname_names_this_kernel() {
    let u = corex_sys::uname().unwrap();
    assert_eq!(u.sysname, "Linux");
    let proc_release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(u.release, proc_release.trim());
    assert!(!u.machine.is_empty() && !u.version.is_empty());
}

#[test]
fn capabilities_and_memlock() {
    let caps = Capabilities::current().unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap()
        .trim();
    let mask = u64::from_str_radix(eff, 16).unwrap();
    assert_eq!(caps, Capabilities::from_effective_mask(mask));
    let none = Capabilities::from_effective_mask(0);
    assert!(!none.can_bpf() && !none.can_trace());
    assert_eq!(
        none.missing_for_tracing(),
        [Capability::Bpf, Capability::Perfmon]
    );
    let bpf_only = Capabilities::from_effective_mask(1 << 39);
    assert!(bpf_only.can_bpf() && !bpf_only.can_trace());
    assert_eq!(bpf_only.missing_for_tracing(), [Capability::Perfmon]);
    assert!(Capabilities::from_effective_mask(1 << 21).can_trace());

    let (soft, hard) = corex_sys::memlock_limit().unwrap();
    // Setting what is there always works; raising needs CAP_SYS_RESOURCE.
    corex_sys::set_memlock_limit(soft, hard).unwrap();
    if caps.has(Capability::SysResource) {
        corex_sys::set_memlock_limit(Limit::Infinity, Limit::Infinity).unwrap();
        assert_eq!(
            corex_sys::memlock_limit().unwrap(),
            (Limit::Infinity, Limit::Infinity)
        );
        corex_sys::set_memlock_limit(soft, hard).unwrap();
    }
}

/// Runs in the child only (as `nobody`, no capabilities): each privileged
/// call fails, and the error says which capability is missing.
#[test]
#[ignore = "run by unprivileged_user_is_told_the_capability, as nobody"]
fn unprivileged_child() {
    let caps = Capabilities::current().unwrap();
    assert!(!caps.can_bpf(), "the child must run without capabilities");
    let err = MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 4, 1)).unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    assert!(
        err.to_string()
            .starts_with("BPF_MAP_CREATE failed: EPERM (Operation not permitted): needs CAP_BPF"),
        "{err}"
    );
    let insns = [0xb7u8, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    let err = ProgFd::load(&mut ProgLoad::new(ProgType::TRACEPOINT, &insns, c"GPL")).unwrap_err();
    assert!(
        err.to_string().contains("needs CAP_BPF and CAP_PERFMON"),
        "{err}"
    );
    let err = corex_sys::next_id(ObjectKind::Prog, 0).unwrap_err();
    assert!(err.to_string().contains("needs CAP_SYS_ADMIN"), "{err}");
    assert_eq!(
        caps.missing_for_tracing(),
        [Capability::Bpf, Capability::Perfmon]
    );
    println!("UNPRIVILEGED-CHILD-CHECKED");
}

#[test]
fn unprivileged_user_is_told_the_capability() {
    let caps = Capabilities::current().unwrap();
    assert!(
        caps.has(Capability::SysAdmin),
        "this test needs root: it runs part of itself as nobody with setpriv"
    );
    let exe = std::env::current_exe().unwrap();
    // The binary must be reachable by nobody: copy it somewhere it can read.
    let dir = std::env::temp_dir().join(format!("corex-sys-unpriv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("system-test");
    std::fs::copy(&exe, &copy).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = corex_testkit::as_nobody(&copy)
        .args([
            "--exact",
            "unprivileged_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .expect("setpriv runs");
    std::fs::remove_dir_all(&dir).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("UNPRIVILEGED-CHILD-CHECKED"),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
