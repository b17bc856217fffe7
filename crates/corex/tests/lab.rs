//! The seed's lab (bpf/lab/lab.bpf.o) through the library: each program
//! loaded on its own and attached by its section. The kinds this kernel
//! supports print the exec'd filename (read through a private trace pipe);
//! the others fail, at load or attach, with the sentence that says what
//! the kernel lacks. Needs root.

mod support;

use corex::trace_pipe::TracePipe;
use corex::{GlobalValue, OpenObject};
use std::time::Duration;
use support::{exec_unique, require_privileges};

fn lab() -> OpenObject {
    let path = corex_testkit::repo_root().join("bpf/lab/lab.bpf.o");
    let mut obj = OpenObject::open(path).unwrap();
    // The programs that see every syscall filter on this number.
    obj.set_global("execve_nr", GlobalValue::Int(libc::SYS_execve.into()))
        .unwrap();
    obj
}

/// Loads and attaches `program` alone; on success, checks it prints the
/// filename of a unique exec, detaches, and checks it no longer runs.
fn run_lab_program(program: &str) -> Result<(), String> {
    let mut obj = lab();
    obj.load_only(&[program]).unwrap();
    let loaded = obj.load().map_err(|e| e.to_string())?;
    let prog = loaded.program(program).unwrap();
    let mut pipe = TracePipe::open().unwrap();
    let link = prog.attach().map_err(|e| e.to_string())?;
    let (filename, pid) = exec_unique(program);
    let expected = format!("{program}: execve filename={filename}");
    let mut seen = None;
    for _ in 0..60 {
        pipe.read_available(|l| {
            if let Ok(l) = l {
                if l.message == expected {
                    seen = Some(l);
                }
            }
        })
        .unwrap();
        if seen.is_some() {
            break;
        }
        pipe.wait(Some(Duration::from_secs(1))).unwrap();
    }
    let line = seen.unwrap_or_else(|| panic!("{program}: no line {expected:?}"));
    // The syscall-entry programs run before the exec, the others after: in
    // both the process is the one that exec'd.
    assert_eq!(line.pid, pid, "{program}");
    drop(link);
    let (again, _) = exec_unique(program);
    drop(loaded);
    let mut late = Vec::new();
    pipe.read_available(|l| late.extend(l.ok().map(|l| l.message)))
        .unwrap();
    assert!(
        !late.contains(&format!("{program}: execve filename={again}")),
        "{program} ran after detaching"
    );
    Ok(())
}

#[test]
fn supported_kinds_print_the_exec() {
    require_privileges();
    for program in [
        "tp_execve_noncore",
        "tp_execve_core",
        "raw_tp_sys_enter",
        "tp_btf_sys_enter",
    ] {
        run_lab_program(program).unwrap_or_else(|e| panic!("{program}: {e}"));
    }
}

/// The kprobe, ksyscall and kprobe.multi programs where this kernel lacks
/// kprobes and fprobe, and fentry where it refuses trampolines: the error
/// says so. (On kernels that have them, they print the exec.)
#[test]
fn other_kinds_print_the_exec_or_say_what_is_missing() {
    require_privileges();
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap();
    let kprobes = kallsyms.contains(" register_kprobe\n");
    let fprobe = kallsyms.contains(" register_fprobe_ips\n");
    let cases = [
        (
            "kprobe_execve_noncore",
            kprobes,
            "cannot attach ksyscall: this kernel has no kprobes (CONFIG_KPROBES is off)".to_owned(),
        ),
        (
            "kprobe_execve_core",
            kprobes,
            "cannot attach ksyscall: this kernel has no kprobes (CONFIG_KPROBES is off)".to_owned(),
        ),
        (
            "kprobe_multi_bprm_execve",
            fprobe,
            "cannot attach kprobe.multi: this kernel has no fprobe (CONFIG_FPROBE is off)"
                .to_owned(),
        ),
    ];
    for (program, supported, message) in cases {
        match run_lab_program(program) {
            Ok(()) => assert!(supported, "{program} attached without the mechanism"),
            Err(e) => {
                assert!(!supported, "{program}: {e}");
                assert_eq!(e, message, "{program}");
            }
        }
    }
    // Refused at load: the kernel checks the trampoline's target then.
    if let Err(e) = run_lab_program("fentry_bprm_execve") {
        assert!(
            e.ends_with(
                "program 'fentry_bprm_execve' (section 'fentry/bprm_execve'): fentry needs BPF \
                 trampolines, which this kernel refused: EPERM"
            ),
            "{e}"
        );
    }
}
