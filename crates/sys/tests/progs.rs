//! Programs and BTF on this kernel: hand-assembled programs loaded with and
//! without a verifier log, a rejected one's log read back, test runs, info
//! with map ids and instructions, tiny BTF loaded (and a bad one's log);
//! ids gone once the fds drop. Needs root.

mod support;

use corex_sys::{
    BtfFd, Errno, MapCreate, MapFd, ObjectKind, ProgFd, ProgLoad, TestRun, VerifierLog,
};
use corex_uapi::{BpfCmd, MapType, ProgType};
use std::os::fd::AsRawFd;
use support::*;

const GPL: &std::ffi::CStr = c"GPL";

fn load(prog_type: ProgType, insns: &[u8], name: &str) -> ProgFd {
    let mut attrs = ProgLoad::new(prog_type, insns, GPL);
    attrs.name = name;
    ProgFd::load(&mut attrs).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn load_without_log_test_run_and_info() {
    require_privileges();
    let prog = load(ProgType::SOCKET_FILTER, &return_imm(42), "corex_t_ret42");
    let info = prog.info().unwrap();
    assert_eq!(
        ObjectKind::of_fd(std::os::fd::AsFd::as_fd(&prog)),
        Some(ObjectKind::Prog)
    );
    assert_eq!(info.prog_type, ProgType::SOCKET_FILTER);
    assert_eq!(info.name, "corex_t_ret42");
    assert!(info.gpl_compatible);
    assert_eq!(prog.xlated_insns().unwrap().len(), 16);
    assert!(!prog.jited_func_lens().unwrap().is_empty());

    let packet = [0u8; 64];
    let mut out = [0u8; 64];
    let mut run = TestRun::default();
    run.data_in = &packet;
    run.data_out = Some(&mut out);
    run.repeat = 3;
    let result = prog.test_run(&mut run).unwrap();
    assert_eq!(result.retval, 42);
    assert_eq!(result.data_size_out, 64);

    let id = info.id;
    assert_eq!(prog.id().unwrap(), id);
    assert_present(ObjectKind::Prog, id);
    drop(prog);
    assert_gone(ObjectKind::Prog, id);
}

#[test]
fn load_with_log_and_map_reference() {
    require_privileges();
    let map = MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 8, 1)).unwrap();
    let insns = count_calls_of(std::process::id(), map.as_raw_fd());
    let mut buf = vec![0u8; 1 << 16];
    let mut attrs = ProgLoad::new(ProgType::TRACEPOINT, &insns, GPL);
    attrs.name = "corex_t_logged";
    attrs.log = Some(VerifierLog::new(&mut buf, 2));
    let prog = ProgFd::load(&mut attrs).unwrap();
    let log = attrs.log.as_ref().unwrap().text();
    assert!(log.contains("processed"), "{log}");
    let info = prog.info().unwrap();
    let map_id = map.info().unwrap().id;
    assert_eq!(info.map_ids, [map_id]);
    assert!(info.verified_insns > 0);
    drop((prog, map));
    assert_gone(ObjectKind::Prog, info.id);
    // The program held the map: it goes after an RCU grace period.
    assert_gone(ObjectKind::Map, map_id);
}

#[test]
fn rejected_program_log_says_why() {
    require_privileges();
    // `exit` without setting r0.
    let insns = program(&[exit()]);
    let mut buf = vec![0u8; 4096];
    let mut attrs = ProgLoad::new(ProgType::SOCKET_FILTER, &insns, GPL);
    attrs.log = Some(VerifierLog::new(&mut buf, 1));
    let err = ProgFd::load(&mut attrs).unwrap_err();
    assert_eq!(err.bpf_cmd(), Some(BpfCmd::PROG_LOAD));
    assert_eq!(err.errno(), Some(Errno::EACCES));
    assert!(
        err.to_string()
            .contains("the verifier rejected the program"),
        "{err}"
    );
    let log = attrs.log.as_ref().unwrap().text();
    assert!(log.contains("R0 !read_ok"), "{log}");

    // Without a log: the same errno.
    let mut attrs = ProgLoad::new(ProgType::SOCKET_FILTER, &insns, GPL);
    assert_eq!(
        ProgFd::load(&mut attrs).unwrap_err().errno(),
        Some(Errno::EACCES)
    );

    // A log buffer too small: ENOSPC, and the size the log needs (6.4+).
    let mut small = [0u8; 8];
    let mut attrs = ProgLoad::new(ProgType::SOCKET_FILTER, &insns, GPL);
    attrs.log = Some(VerifierLog::new(&mut small, 1));
    let err = ProgFd::load(&mut attrs).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOSPC), "{err}");
    assert!(
        err.to_string().contains("did not fit in the log buffer"),
        "{err}"
    );
    assert!(attrs.log.as_ref().unwrap().true_size as usize > log.len());
}

#[test]
fn run_time_statistics_count_test_runs() {
    require_privileges();
    let prog = load(ProgType::SOCKET_FILTER, &return_imm(1), "corex_t_stats");
    let stats = corex_sys::enable_stats(corex_uapi::StatsType::RUN_TIME).unwrap();
    let packet = [0u8; 64];
    let mut run = TestRun::default();
    run.data_in = &packet;
    run.repeat = 5;
    prog.test_run(&mut run).unwrap();
    assert!(prog.info().unwrap().run_cnt >= 5);
    drop(stats);
}

#[test]
fn bad_instructions_are_refused_before_the_kernel() {
    let insns = [0u8; 12];
    let mut attrs = ProgLoad::new(ProgType::SOCKET_FILTER, &insns, GPL);
    let err = ProgFd::load(&mut attrs).unwrap_err();
    assert_eq!(
        err.to_string(),
        "BPF_PROG_LOAD: 12 bytes of instructions: not a positive multiple of 8"
    );
}

/// Raw BTF with one type, `int` (or a broken `int` of 64 bits in 4 bytes).
fn tiny_btf(bits: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xeb9fu16.to_ne_bytes());
    b.extend_from_slice(&[1, 0]); // version, flags
    for v in [24u32, 0, 16, 16, 5] {
        b.extend_from_slice(&v.to_ne_bytes()); // hdr_len, type_off, type_len, str_off, str_len
    }
    for v in [1u32, 1 << 24, 4, (1 << 24) | bits] {
        b.extend_from_slice(&v.to_ne_bytes()); // name "int", INT, size 4, signed `bits`
    }
    b.extend_from_slice(b"\0int\0");
    b
}

#[test]
fn btf_load_info_and_log() {
    require_privileges();
    let data = tiny_btf(32);
    let btf = BtfFd::load(&data, None).unwrap();
    let info = btf.info().unwrap();
    assert_eq!(info.btf_size as usize, data.len());
    assert!(!info.kernel_btf);
    assert_eq!(btf.data().unwrap(), data);
    assert_eq!(
        ObjectKind::of_fd(std::os::fd::AsFd::as_fd(&btf)),
        Some(ObjectKind::Btf)
    );
    assert_present(ObjectKind::Btf, info.id);

    let mut buf = vec![0u8; 4096];
    let mut log = VerifierLog::new(&mut buf, 1);
    let err = BtfFd::load(&tiny_btf(64), Some(&mut log)).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EINVAL));
    assert!(
        err.to_string().starts_with("BPF_BTF_LOAD failed: EINVAL"),
        "{err}"
    );
    assert!(log.text().contains("nr_bits"), "{}", log.text());

    drop(btf);
    assert_gone(ObjectKind::Btf, info.id);
}

#[test]
fn kernel_btf_is_listed_by_id() {
    require_privileges();
    let vmlinux = corex_sys::ids(ObjectKind::Btf)
        .map(|id| BtfFd::from_id(id.unwrap()).unwrap().info().unwrap())
        .find(|i| i.name == "vmlinux")
        .expect("the kernel's BTF has an id");
    assert!(vmlinux.kernel_btf);
}

#[test]
fn bound_map_is_listed_among_the_programs_maps() {
    require_privileges();
    let map = MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 8, 1)).unwrap();
    let map_id = map.info().unwrap().id;
    let prog = load(ProgType::SOCKET_FILTER, &return_imm(0), "corex_t_bind");
    assert!(prog.info().unwrap().map_ids.is_empty());
    prog.bind_map(&map).unwrap();
    assert_eq!(prog.info().unwrap().map_ids, [map_id]);
    // The program now holds the map: closing the map's fd frees nothing.
    drop(map);
    assert_present(ObjectKind::Map, map_id);
    let prog_id = prog.info().unwrap().id;
    drop(prog);
    assert_gone(ObjectKind::Prog, prog_id);
    assert_gone(ObjectKind::Map, map_id);
}
