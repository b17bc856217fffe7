//! `.kconfig` externs beside libbpf 1.1: `bpf/loader-tests/kconfig.bpf.o`
//! copies one extern of each kind into `.bss` when run; libbpf
//! (`libbpf/read_global.c`) and corex each load it, run it once and read
//! the section back. Every value agrees but one, on kernels without
//! kprobes: `LINUX_HAS_SYSCALL_WRAPPER`. libbpf 1.1 decides it by opening a
//! kprobe on `__<arch>_sys_bpf` and says 0 whenever that fails, even where
//! the wrappers exist; corex does the same where the kprobe PMU exists and
//! otherwise looks the wrapper up in vmlinux BTF, which tells the truth
//! without kprobes. Needs root.

#[allow(dead_code)] // the CO-RE oracle's helpers are not used here
mod libbpf;
#[path = "../../sys/tests/support/mod.rs"]
mod sys_support;

use std::path::Path;
use std::process::Command;

use corex::sys::{ObjectKind, TestRun};
use corex_btf::Kind;

/// Byte of `struct kconfig_seen` (kconfig.bpf.c) holding
/// `LINUX_HAS_SYSCALL_WRAPPER`.
const SYSCALL_WRAPPER: usize = 37;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(target_arch = "x86_64")]
#[test]
fn kconfig_externs_agree_with_libbpf_but_the_syscall_wrapper_without_kprobes() {
    sys_support::require_privileges();
    let object = corex_testkit::repo_root().join("bpf/loader-tests/kconfig.bpf.o");

    let out = corex_testkit::run(Command::new(libbpf::read_global_bin()).args([
        object.as_os_str(),
        "read_kconfig".as_ref(),
        ".bss".as_ref(),
    ]));
    let libbpf_seen = String::from_utf8(out).unwrap().trim().to_owned();

    let loaded = corex::OpenObject::open(&object).unwrap().load().unwrap();
    let prog = loaded.program("read_kconfig").unwrap();
    assert_eq!(prog.test_run(&mut TestRun::default()).unwrap().retval, 0);
    let mut corex_seen = loaded.global("kconfig_seen").unwrap();
    let made: Vec<(ObjectKind, u32)> = loaded
        .programs()
        .map(|p| (ObjectKind::Prog, p.id()))
        .chain(loaded.maps().map(|m| (ObjectKind::Map, m.id())))
        .collect();
    drop(loaded);
    for (kind, id) in made {
        sys_support::assert_gone(kind, id);
    }

    let kernel = corex::Kernel::running().unwrap();
    let wrapper_in_btf = kernel
        .vmlinux_btf()
        .unwrap()
        .find(Kind::Func, "__x64_sys_bpf")
        .is_some();
    assert!(
        wrapper_in_btf,
        "x86_64 kernels since 4.17 enter system calls through __x64_sys_* wrappers"
    );
    assert_eq!(
        corex_seen[SYSCALL_WRAPPER], 1,
        "corex: LINUX_HAS_SYSCALL_WRAPPER"
    );
    let kprobes = Path::new("/sys/bus/event_source/devices/kprobe").exists();
    let libbpf_says = u8::from_str_radix(
        &libbpf_seen[SYSCALL_WRAPPER * 2..SYSCALL_WRAPPER * 2 + 2],
        16,
    )
    .unwrap();
    if kprobes {
        assert_eq!(libbpf_says, 1, "libbpf's kprobe on __x64_sys_bpf opens");
    } else {
        assert_eq!(
            libbpf_says, 0,
            "without kprobes libbpf's probe (a kprobe on __x64_sys_bpf) fails and says 0"
        );
        corex_seen[SYSCALL_WRAPPER] = 0;
    }
    // Every other value is libbpf's.
    assert_eq!(hex(&corex_seen), libbpf_seen);
}
