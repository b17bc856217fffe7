//! Attaching on this kernel: a raw tracepoint link, a tracepoint perf event
//! with a program through a perf link (with a BPF cookie the program reads
//! back) and through `PERF_EVENT_IOC_SET_BPF`; link info, task fd queries;
//! the real event (a getpid call) seen; ids gone once the fds drop. Needs
//! root.

mod support;

use corex_sys::{
    LinkDetail, LinkFd, LinkTarget, MapCreate, MapFd, ObjectKind, PerfEventFd, PerfEventKind,
    PerfEventOpen, ProgFd, ProgLoad,
};
use corex_uapi::{HelperId, LinkType, MapType, ProgType, TaskFdType};
use std::os::fd::AsRawFd;
use support::*;

fn counter_map() -> MapFd {
    MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 8, 1)).unwrap()
}

fn read_counter(map: &MapFd) -> u64 {
    let mut v = [0u8; 8];
    assert!(map.lookup(&0u32.to_ne_bytes(), &mut v, 0).unwrap());
    u64::from_ne_bytes(v)
}

fn load(prog_type: ProgType, insns: &[u8]) -> ProgFd {
    let mut attrs = ProgLoad::new(prog_type, insns, c"GPL");
    ProgFd::load(&mut attrs).unwrap_or_else(|e| panic!("{prog_type}: {e}"))
}

/// A tracepoint program that stores `bpf_get_attach_cookie()` at key 0.
fn store_cookie(map: i32) -> Vec<u8> {
    program(&[
        call(HelperId::GET_ATTACH_COOKIE.0),
        mov64_reg(7, 0),
        st32(10, -4, 0),
        mov64_reg(2, 10),
        add64_imm(2, -4),
        ld_map_fd(1, map),
        call(HelperId::MAP_LOOKUP_ELEM.0),
        jeq_imm(0, 0, 1),
        stx64(0, 0, 7),
        mov64_imm(0, 0),
        exit(),
    ])
}

#[test]
fn raw_tracepoint_link_sees_syscalls() {
    require_privileges();
    let map = counter_map();
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &count_calls_of(std::process::id(), map.as_raw_fd()),
    );
    let link = LinkFd::raw_tracepoint(&prog, Some(c"sys_enter")).unwrap();
    call_getpid();
    assert!(read_counter(&map) > 0);

    let info = link.info().unwrap();
    assert_eq!(info.link_type, LinkType::RAW_TRACEPOINT);
    assert_eq!(
        info.detail,
        LinkDetail::RawTracepoint {
            name: "sys_enter".into()
        }
    );
    let prog_id = prog.info().unwrap().id;
    assert_eq!(info.prog_id, prog_id);
    let query = corex_sys::task_fd_query(std::process::id(), link.as_raw_fd() as u32).unwrap();
    assert_eq!(
        (query.fd_type, query.name.as_str(), query.prog_id),
        (TaskFdType::RAW_TRACEPOINT, "sys_enter", prog_id)
    );

    let err = LinkFd::raw_tracepoint(&prog, Some(c"corex_no_such_tracepoint")).unwrap_err();
    assert!(
        err.to_string().contains("no raw tracepoint of that name"),
        "{err}"
    );

    drop((link, prog));
    assert_gone(ObjectKind::Link, info.id);
    assert_gone(ObjectKind::Prog, prog_id);
}

#[test]
fn tracepoint_perf_link_passes_the_cookie() {
    require_privileges();
    let map = counter_map();
    let prog = load(ProgType::TRACEPOINT, &store_cookie(map.as_raw_fd()));
    let id = tracepoint_id("syscalls", "sys_enter_getpid");
    // This thread on any CPU: the call below is seen wherever it runs.
    let mut open = PerfEventOpen::new(PerfEventKind::Tracepoint { id }, -1);
    open.pid = 0;
    let event = PerfEventFd::open(&open).unwrap();
    let link = LinkFd::create(
        &prog,
        LinkTarget::PerfEvent {
            event: &event,
            cookie: 0xc0de_cafe,
        },
    )
    .unwrap();
    call_getpid();
    assert_eq!(read_counter(&map), 0xc0de_cafe);

    let info = link.info().unwrap();
    assert_eq!(info.link_type, LinkType::PERF_EVENT);
    assert_eq!(
        info.detail,
        LinkDetail::PerfEvent {
            perf_event_type: 5,
            name: "sys_enter_getpid".into()
        }
    );
    assert!(event.id().unwrap() > 0);
    let ids = (info.id, prog.info().unwrap().id);
    drop((link, event, prog));
    assert_gone(ObjectKind::Link, ids.0);
    assert_gone(ObjectKind::Prog, ids.1);
}

#[test]
fn tracepoint_perf_event_with_set_bpf() {
    require_privileges();
    let map = counter_map();
    let prog = load(
        ProgType::TRACEPOINT,
        &count_calls_of(std::process::id(), map.as_raw_fd()),
    );
    let id = tracepoint_id("syscalls", "sys_enter_getpid");
    let mut open = PerfEventOpen::new(PerfEventKind::Tracepoint { id }, -1);
    open.pid = 0;
    open.disabled = true;
    let event = PerfEventFd::open(&open).unwrap();
    event.set_bpf(&prog).unwrap();
    event.enable().unwrap();
    call_getpid();
    // Other tests of this process may call getpid too.
    assert!(read_counter(&map) >= 1);
    let prog_id = prog.info().unwrap().id;
    let query = corex_sys::task_fd_query(std::process::id(), event.as_raw_fd() as u32).unwrap();
    assert_eq!(
        (query.fd_type, query.name.as_str(), query.prog_id),
        (TaskFdType::TRACEPOINT, "sys_enter_getpid", prog_id)
    );
    // A second program on the same event is refused.
    let other = load(ProgType::TRACEPOINT, &return_imm(0));
    let err = event.set_bpf(&other).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ioctl(PERF_EVENT_IOC_SET_BPF) failed: EEXIST"),
        "{err}"
    );
    event.disable().unwrap();
    drop((event, prog, other));
    assert_gone(ObjectKind::Prog, prog_id);
}

#[test]
fn perf_event_errors_say_what_is_missing() {
    let open = PerfEventOpen::new(
        PerfEventKind::Tracepoint {
            id: u64::from(u32::MAX) - 7,
        },
        0,
    );
    let err = PerfEventFd::open(&open).unwrap_err();
    assert_eq!(err.errno(), Some(corex_sys::Errno::EINVAL), "{err}");
    assert!(
        err.to_string().contains("no tracepoint with that id"),
        "{err}"
    );
}

#[test]
fn wrong_program_type_for_link_is_explained() {
    require_privileges();
    let prog = load(ProgType::SOCKET_FILTER, &return_imm(0));
    let err = LinkFd::raw_tracepoint(&prog, Some(c"sys_enter")).unwrap_err();
    assert_eq!(err.errno(), Some(corex_sys::Errno::EINVAL), "{err}");
    assert!(
        err.to_string()
            .contains("cannot attach as a raw tracepoint"),
        "{err}"
    );
}

/// This kernel has no kprobes (CONFIG_KPROBES off on the development VM;
/// other kernels have them): a kprobe_multi link is either made or refused
/// with an error that names the command and the reason.
#[test]
fn kprobe_multi_link_or_a_clear_refusal() {
    require_privileges();
    let insns = return_imm(0);
    let mut load = ProgLoad::new(ProgType::KPROBE, &insns, c"GPL");
    load.expected_attach_type = Some(corex_uapi::AttachType::TRACE_KPROBE_MULTI);
    let prog = ProgFd::load(&mut load).unwrap();
    let symbols = [c"do_sys_openat2"];
    let target = LinkTarget::KprobeMulti {
        symbols: &symbols,
        addresses: &[],
        cookies: &[7],
        retprobe: false,
    };
    let kprobes = std::path::Path::new("/sys/bus/event_source/devices/kprobe").exists();
    match LinkFd::create(&prog, target) {
        Ok(link) => {
            assert!(
                kprobes,
                "a kprobe_multi link on a kernel without the kprobe PMU"
            );
            let info = link.info().unwrap();
            assert_eq!(info.link_type, LinkType::KPROBE_MULTI);
            assert!(
                matches!(
                    info.detail,
                    LinkDetail::KprobeMulti {
                        count: 1,
                        flags: 0,
                        ..
                    }
                ),
                "{info:?}"
            );
        }
        Err(err) => {
            assert!(!kprobes, "kprobes exist but kprobe_multi failed: {err}");
            assert!(
                err.to_string().starts_with("BPF_LINK_CREATE failed: "),
                "{err}"
            );
            assert!(err.is_not_supported(), "{err}");
            assert!(
                err.to_string()
                    .contains("does not support this kind of link"),
                "{err}"
            );
        }
    }
    let err = LinkFd::create(
        &prog,
        LinkTarget::KprobeMulti {
            symbols: &symbols,
            addresses: &[],
            cookies: &[1, 2],
            retprobe: false,
        },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BPF_LINK_CREATE: 2 cookies for 1 functions"
    );
}
