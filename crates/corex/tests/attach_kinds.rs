//! Each attach kind on the running kernel: the kinds it supports attach,
//! see the real event (an exec with a unique name, calls of a function in
//! this test binary) and leave nothing behind once detached (the program,
//! link and perf event ids gone, no tracefs probe left); the kinds it lacks
//! fail with a sentence that says what is missing. Needs root.

mod support;

use corex::attach::{
    attach_kprobe, attach_kprobe_multi, attach_ksyscall, attach_raw_tracepoint, attach_tracepoint,
    attach_tracing, attach_uprobe, corex_probes, AttachError, KprobeMultiOptions,
    KprobeMultiTarget, KprobeOptions, Link, Missing, ProbeMethod, TracepointOptions,
    TracingOptions, UprobeOptions,
};
use corex::trace_pipe::{TraceLine, TracePipe};
use corex_btf::Kind;
use corex_sys::{LinkDetail, ObjectKind};
use corex_uapi::{AttachType, ProgType};
use std::path::Path;
use std::time::Duration;
use support::*;

/// Waits (up to a minute, a guard against a hang, not a measure) for a line
/// whose message is `message`.
fn wait_for_line(pipe: &mut TracePipe, message: &str) -> TraceLine {
    for _ in 0..60 {
        let mut found = None;
        pipe.read_available(|line| {
            if let Ok(line) = line {
                if line.message == message {
                    found = Some(line);
                }
            }
        })
        .unwrap();
        if let Some(line) = found {
            return line;
        }
        pipe.wait(Some(Duration::from_secs(1))).unwrap();
    }
    panic!("no trace line {message:?} in {}", pipe.path().display());
}

/// Runs an exec with a unique name and checks that `link`'s program printed
/// it with `tag`; then detaches and checks the kernel holds nothing of it.
fn sees_exec_then_leaves_nothing(tag: &str, prog: corex_sys::ProgFd, link: Link) {
    let mut pipe = TracePipe::open().unwrap();
    assert!(pipe.is_private(), "this kernel has tracefs instances");
    let (filename, pid) = exec_unique(tag);
    let line = wait_for_line(&mut pipe, &format!("{tag} {filename}"));
    assert_eq!((line.event.as_str(), line.pid), ("bpf_trace_printk", pid));

    let prog_id = prog.info().unwrap().id;
    let link_id = link.link_fd().map(|l| l.info().unwrap().id);
    let perf = link.perf_event().is_some();
    if perf {
        assert_eq!(perf_events_running(prog_id).len(), 1);
    }
    without_forks(|| drop(link));
    assert!(perf_events_running(prog_id).is_empty());
    // Detached: a second exec prints nothing from this program.
    let (again, _) = exec_unique(tag);
    drop(prog);
    assert_gone(ObjectKind::Prog, prog_id);
    if let Some(id) = link_id {
        assert_gone(ObjectKind::Link, id);
    }
    let mut leftover = Vec::new();
    pipe.read_available(|l| leftover.extend(l.ok().map(|l| l.message)))
        .unwrap();
    assert!(
        !leftover.contains(&format!("{tag} {again}")),
        "the program ran after it was detached"
    );
}

#[test]
fn tracepoint_sees_exec() {
    require_privileges();
    let offset = tracepoint_field_offset("syscalls", "sys_enter_execve", "filename");
    let insns = exec_printer("tp", FilenameAt::UserPointer(offset));
    let prog = load(ProgType::TRACEPOINT, &insns, None, 0).unwrap();
    let link = attach_tracepoint(
        &prog,
        "syscalls",
        "sys_enter_execve",
        &TracepointOptions::default(),
    )
    .unwrap();
    assert_eq!(link.target(), "syscalls/sys_enter_execve");
    let info = link.info().unwrap();
    assert!(
        matches!(&info.detail, LinkDetail::PerfEvent { name, .. } if name == "sys_enter_execve"),
        "{info:?}"
    );
    sees_exec_then_leaves_nothing("tp", prog, link);
}

#[test]
fn tracepoint_errors_name_the_tracepoint() {
    require_privileges();
    let prog = load(ProgType::TRACEPOINT, &return_zero(), None, 0).unwrap();
    let err = attach_tracepoint(
        &prog,
        "syscalls",
        "sys_enter_corex_none",
        &Default::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot attach tracepoint: this kernel has no tracepoint syscalls/sys_enter_corex_none \
         (no events/syscalls/sys_enter_corex_none/id in tracefs)"
    );
    let err = attach_tracepoint(&prog, "..", "x", &Default::default()).unwrap_err();
    assert!(err.to_string().contains("each a plain name"), "{err}");
}

#[test]
fn raw_tracepoint_sees_exec() {
    require_privileges();
    let at = FilenameAt::Bprm {
        arg: 2,
        offset: member_offset("linux_binprm", "filename"),
    };
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &exec_printer("rawtp", at),
        None,
        0,
    )
    .unwrap();
    let link = attach_raw_tracepoint(&prog, "sched_process_exec").unwrap();
    assert!(link.perf_event().is_none());
    let err = attach_raw_tracepoint(&prog, "corex_no_such_tracepoint").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot attach raw_tracepoint: this kernel has no raw tracepoint corex_no_such_tracepoint"
    );
    sees_exec_then_leaves_nothing("rawtp", prog, link);
}

#[test]
fn tp_btf_sees_exec() {
    require_privileges();
    let at = FilenameAt::Bprm {
        arg: 2,
        offset: member_offset("linux_binprm", "filename"),
    };
    let target = btf_id(Kind::Typedef, "btf_trace_sched_process_exec");
    let prog = load(
        ProgType::TRACING,
        &exec_printer("tpbtf", at),
        Some(AttachType::TRACE_RAW_TP),
        target,
    )
    .unwrap();
    let link = attach_tracing(
        &prog,
        AttachType::TRACE_RAW_TP,
        "sched_process_exec",
        &TracingOptions::default(),
    )
    .unwrap();
    assert_eq!(link.kind(), corex_object::AttachKind::TpBtf);
    sees_exec_then_leaves_nothing("tpbtf", prog, link);
}

/// fentry where the kernel runs BPF trampolines: attached, it sees the
/// exec. This kernel refuses the load (EPERM; tests/lab.rs checks the
/// library's sentence for it), which is then all this test can check.
#[test]
fn fentry_sees_exec_where_trampolines_work() {
    require_privileges();
    let filename = member_offset("linux_binprm", "filename");
    let insns = exec_printer(
        "fentry",
        FilenameAt::Bprm {
            arg: 0,
            offset: filename,
        },
    );
    let target = btf_id(Kind::Func, "bprm_execve");
    match load(
        ProgType::TRACING,
        &insns,
        Some(AttachType::TRACE_FENTRY),
        target,
    ) {
        Ok(prog) => {
            let link = attach_tracing(
                &prog,
                AttachType::TRACE_FENTRY,
                "bprm_execve",
                &Default::default(),
            )
            .unwrap();
            sees_exec_then_leaves_nothing("fentry", prog, link);
        }
        Err(e) => assert!(
            e.errno() == Some(corex_sys::Errno::EPERM) || e.is_not_supported(),
            "{e}"
        ),
    }
}

/// kprobes where the kernel has them (the kprobe PMU or kprobe_events);
/// else the sentence that says which option is off.
#[test]
fn kprobe_attaches_or_says_kprobes_are_missing() {
    require_privileges();
    let (map, prog) = call_counter();
    let have = Path::new("/sys/bus/event_source/devices/kprobe").exists()
        || Path::new("/sys/kernel/tracing/kprobe_events").exists();
    let syscall = corex::attach::syscall_entry("getppid").expect("getppid's entry in kallsyms");
    let result = attach_kprobe(&prog, &syscall.symbol, &KprobeOptions::default());
    let ksyscall = attach_ksyscall(&prog, "getppid", &KprobeOptions::default());
    if have {
        let link = result.unwrap();
        let ksyscall = ksyscall.unwrap();
        assert_eq!(ksyscall.target(), syscall.symbol);
        let _ = std::os::unix::process::parent_id();
        assert!(read_counter(&map) >= 2, "both probes ran");
        drop((link, ksyscall));
    } else {
        let err = result.unwrap_err();
        let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap();
        let expected = if kallsyms.contains(" register_kprobe\n") {
            Missing::KprobeEvents
        } else {
            Missing::Kprobes
        };
        assert_eq!(err.missing(), Some(expected), "{err}");
        if expected == Missing::Kprobes {
            assert_eq!(
                err.to_string(),
                "cannot attach kprobe: this kernel has no kprobes (CONFIG_KPROBES is off)"
            );
        }
        assert_eq!(
            ksyscall.unwrap_err().to_string(),
            format!("cannot attach ksyscall: {expected}")
        );
    }
}

/// kprobe.multi where the kernel has fprobe; else the sentence.
#[test]
fn kprobe_multi_attaches_or_says_fprobe_is_missing() {
    require_privileges();
    let insns = return_zero();
    let prog = load(
        ProgType::KPROBE,
        &insns,
        Some(AttachType::TRACE_KPROBE_MULTI),
        0,
    )
    .unwrap();
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap();
    let fprobe = kallsyms.contains(" register_fprobe_ips\n");
    let mut options = KprobeMultiOptions::default();
    options.cookies = vec![42];
    let result = attach_kprobe_multi(
        &prog,
        KprobeMultiTarget::Symbols(&["bprm_execve"]),
        &options,
    );
    match result {
        Ok(link) => {
            assert!(fprobe);
            drop(link);
        }
        Err(err) => {
            assert!(!fprobe, "fprobe is there but: {err}");
            assert_eq!(
                err.to_string(),
                "cannot attach kprobe.multi: this kernel has no fprobe (CONFIG_FPROBE is off)"
            );
        }
    }
    // A pattern: resolution would read available_filter_functions, but
    // the missing mechanism is the news.
    if !fprobe {
        let err = attach_kprobe_multi(
            &prog,
            KprobeMultiTarget::Pattern("bprm_exec*"),
            &KprobeMultiOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.missing(), Some(Missing::Fprobe), "{err}");
    }
}

/// The function the uprobe tests probe.
#[no_mangle]
#[inline(never)]
pub extern "C" fn corex_test_uprobe_target(x: u64) -> u64 {
    std::hint::black_box(x.wrapping_mul(3))
}

fn uprobe_counts_calls(method: ProbeMethod, retprobe: bool) {
    require_privileges();
    let (map, prog) = call_counter();
    let mut options = UprobeOptions::function("corex_test_uprobe_target");
    options.retprobe = retprobe;
    options.method = method;
    let link = attach_uprobe(&prog, "/proc/self/exe", &options).unwrap();
    let events = Path::new("/sys/kernel/tracing/uprobe_events");
    let ours = |name: &str| {
        corex_probes(events)
            .unwrap()
            .into_iter()
            .filter(|l| l.contains(name))
            .count()
    };
    let probe_name = link.tracefs_probe().map(str::to_owned);
    match (&probe_name, method) {
        (Some(name), _) => assert_eq!(ours(name), 1, "the tracefs probe is there"),
        (None, ProbeMethod::Tracefs) => panic!("no tracefs probe"),
        (None, _) => {}
    }
    for i in 0..7 {
        corex_test_uprobe_target(i);
    }
    assert_eq!(read_counter(&map), 7);
    let prog_id = prog.info().unwrap().id;
    assert_eq!(perf_events_running(prog_id).len(), 1);
    link.detach().unwrap();
    corex_test_uprobe_target(1);
    assert_eq!(read_counter(&map), 7, "detached");
    assert!(perf_events_running(prog_id).is_empty());
    if let Some(name) = probe_name {
        assert_eq!(ours(&name), 0, "the tracefs probe is gone");
    }
    drop(prog);
    assert_gone(ObjectKind::Prog, prog_id);
}

/// uprobes and uretprobes, through the PMU and through tracefs.
#[test]
fn uprobes_count_calls_of_a_function_in_this_binary() {
    for method in [ProbeMethod::Pmu, ProbeMethod::Tracefs] {
        for retprobe in [false, true] {
            uprobe_counts_calls(method, retprobe);
        }
    }
}

#[test]
fn uprobe_in_a_shared_library_by_name() {
    require_privileges();
    let (map, prog) = call_counter();
    let link = attach_uprobe(&prog, "libc.so.6", &UprobeOptions::function("getppid")).unwrap();
    let _ = std::os::unix::process::parent_id();
    assert!(read_counter(&map) >= 1);
    drop(link);
    let err = attach_uprobe(
        &prog,
        "libc.so.6",
        &UprobeOptions::function("corex_no_such_fn"),
    )
    .unwrap_err();
    assert!(
        matches!(err, AttachError::NoTarget { .. }) && err.to_string().contains("corex_no_such_fn"),
        "{err}"
    );
    let err =
        attach_uprobe(&prog, "libcorex-none.so.3", &UprobeOptions::function("f")).unwrap_err();
    assert!(
        err.to_string().contains("no binary or library named"),
        "{err}"
    );
}

/// A pinned link outlives its handle; removing the pin lets it go.
#[test]
fn pinned_links_stay_until_unpinned() {
    require_privileges();
    let dir = std::env::temp_dir().join(format!("corex-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(spawn(
        std::process::Command::new("mount")
            .args(["-t", "bpf", "bpf"])
            .arg(&dir)
    )
    .wait()
    .unwrap()
    .success());
    let prog = load(ProgType::RAW_TRACEPOINT, &return_zero(), None, 0).unwrap();
    let mut link = attach_raw_tracepoint(&prog, "sched_process_exec").unwrap();
    let id = link.info().unwrap().id;
    link.pin(&dir.join("link")).unwrap();
    let prog_id = prog.info().unwrap().id;
    drop((link, prog));
    // Still attached through the pin.
    let pinned = corex_sys::LinkFd::from_pinned(&dir.join("link")).unwrap();
    assert_eq!(pinned.info().unwrap().id, id);
    drop(pinned);
    std::fs::remove_file(dir.join("link")).unwrap();
    assert_gone(ObjectKind::Link, id);
    assert_gone(ObjectKind::Prog, prog_id);
    let _ = spawn(std::process::Command::new("umount").arg(&dir)).wait();
    let _ = std::fs::remove_dir(&dir);
}

/// `r0 = 0; exit`.
fn return_zero() -> Vec<u8> {
    let mut a = support::asm::Asm::new();
    a.mov64_imm(0, 0).exit();
    a.bytes()
}
