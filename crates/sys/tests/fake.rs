//! The fake bpf(2): decisions above corex-sys are testable without root.
//! A fake sees each command's typed attributes, answers through them and
//! through the output buffer, and returns fds or errnos; it covers only the
//! thread and the closure it was installed for.

use corex_sys::attr::{read_attr, write_attr, GetIdAttr, MapCreateAttr, ProgLoadAttr};
use corex_sys::info_attr::MapInfoAttr;
use corex_sys::{
    fake_fd, with_fake_bpf, Errno, FakeCall, MapCreate, MapFd, ObjectKind, ProgFd, ProgLoad,
    VerifierLog,
};
use corex_uapi::{AttachType, BpfCmd, MapType, ProgType};
use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn map_create_attributes_reach_the_fake() {
    let seen = Rc::new(RefCell::new(None));
    let map = with_fake_bpf(
        {
            let seen = seen.clone();
            move |call: FakeCall<'_>| {
                assert_eq!(call.cmd, BpfCmd::MAP_CREATE);
                *seen.borrow_mut() = Some(read_attr::<MapCreateAttr>(call.attr));
                Ok(fake_fd())
            }
        },
        || {
            let mut attrs = MapCreate::new(MapType::HASH, 4, 16, 128);
            attrs.name = "events";
            attrs.map_flags = corex_uapi::flags::map::NO_PREALLOC;
            attrs.btf_key_type_id = 3;
            attrs.btf_value_type_id = 9;
            attrs.map_extra = 5;
            MapFd::create(&attrs).unwrap()
        },
    );
    let attr = seen.borrow().unwrap();
    assert_eq!(
        (
            attr.map_type,
            attr.key_size,
            attr.value_size,
            attr.max_entries
        ),
        (MapType::HASH.0, 4, 16, 128)
    );
    assert_eq!(&attr.map_name[..7], b"events\0");
    assert_eq!(
        (
            attr.map_flags,
            attr.btf_key_type_id,
            attr.btf_value_type_id,
            attr.map_extra
        ),
        (1, 3, 9, 5)
    );
    assert_eq!(map.shape().value_size, 16);
}

#[test]
fn id_lists_and_info_through_the_fake() {
    let ids = [3u32, 7, 9];
    let listed: Vec<u32> = with_fake_bpf(
        move |call: FakeCall<'_>| {
            assert_eq!(call.cmd, BpfCmd::MAP_GET_NEXT_ID);
            let mut attr = read_attr::<GetIdAttr>(call.attr);
            match ids.iter().find(|id| **id > attr.start_id) {
                Some(next) => {
                    attr.next_id = *next;
                    write_attr(call.attr, &attr);
                    Ok(0)
                }
                None => Err(Errno::ENOENT),
            }
        },
        || {
            corex_sys::ids(ObjectKind::Map)
                .map(|id| id.unwrap())
                .collect()
        },
    );
    assert_eq!(listed, ids);

    // A map by id: GET_FD_BY_ID, then the info call for its shape.
    let map = with_fake_bpf(
        |call: FakeCall<'_>| match call.cmd {
            BpfCmd::MAP_GET_FD_BY_ID => {
                assert_eq!(read_attr::<GetIdAttr>(call.attr).start_id, 7);
                Ok(fake_fd())
            }
            BpfCmd::OBJ_GET_INFO_BY_FD => {
                let info = MapInfoAttr {
                    map_type: MapType::ARRAY.0,
                    id: 7,
                    key_size: 4,
                    value_size: 32,
                    max_entries: 2,
                    name: *b"counts\0\0\0\0\0\0\0\0\0\0",
                    ..Default::default()
                };
                write_attr(call.out.expect("the info buffer"), &info);
                Ok(0)
            }
            other => panic!("unexpected {other}"),
        },
        || MapFd::from_id(7).unwrap(),
    );
    assert_eq!(map.shape().value_size, 32);
    let info = with_fake_bpf(
        |call: FakeCall<'_>| {
            write_attr(
                call.out.unwrap(),
                &MapInfoAttr {
                    id: 7,
                    name: *b"counts\0\0\0\0\0\0\0\0\0\0",
                    ..Default::default()
                },
            );
            Ok(0)
        },
        || map.info().unwrap(),
    );
    assert_eq!((info.id, info.name.as_str()), (7, "counts"));
}

#[test]
fn prog_load_attributes_and_a_refusal() {
    let insns = [0xb7u8, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
    let mut log_buf = vec![0u8; 128];
    let (err, true_size) = with_fake_bpf(
        |call: FakeCall<'_>| {
            let mut attr = read_attr::<ProgLoadAttr>(call.attr);
            assert_eq!(attr.prog_type, ProgType::TRACING.0);
            assert_eq!(attr.insn_cnt, 2);
            assert_eq!(attr.expected_attach_type, AttachType::TRACE_FENTRY.0);
            assert_eq!(attr.attach_btf_id, 1234);
            assert_eq!((attr.log_level, attr.log_size), (1, 128));
            assert_eq!(&attr.prog_name[..6], b"probe\0");
            assert_ne!(attr.license, 0);
            attr.log_true_size = 4000;
            write_attr(call.attr, &attr);
            Err(Errno::EPERM)
        },
        || {
            let mut load = ProgLoad::new(ProgType::TRACING, &insns, c"GPL");
            load.name = "probe";
            load.expected_attach_type = Some(AttachType::TRACE_FENTRY);
            load.attach_btf_id = 1234;
            load.log = Some(VerifierLog::new(&mut log_buf, 1));
            let err = ProgFd::load(&mut load).unwrap_err();
            (err, load.log.unwrap().true_size)
        },
    );
    assert_eq!(true_size, 4000);
    assert!(err.is_permission_denied());
    assert_eq!(
        err.to_string(),
        "BPF_PROG_LOAD failed: EPERM (Operation not permitted): needs CAP_BPF and CAP_PERFMON (or \
         CAP_SYS_ADMIN) for this program type, or a privileged-only feature was asked for; with \
         those, fentry/fexit/lsm programs get EPERM where the kernel refuses BPF trampolines"
    );
}

#[test]
fn fake_covers_only_its_closure_and_thread() {
    let calls = Rc::new(RefCell::new(0));
    let count = {
        let calls = calls.clone();
        move |_: FakeCall<'_>| {
            *calls.borrow_mut() += 1;
            Err(Errno::ENOENT)
        }
    };
    with_fake_bpf(count, || {
        assert_eq!(corex_sys::next_id(ObjectKind::Prog, 0).unwrap(), None);
        // Another thread reaches the kernel (any answer but the fake's count).
        std::thread::spawn(|| {
            let _ = corex_sys::next_id(ObjectKind::Prog, 0);
        })
        .join()
        .unwrap();
    });
    assert_eq!(*calls.borrow(), 1);
    // Restored after a panic too.
    let result = std::panic::catch_unwind(|| {
        with_fake_bpf(|_: FakeCall<'_>| Err(Errno::ENOENT), || panic!("inside"))
    });
    assert!(result.is_err());
    let _ = corex_sys::next_id(ObjectKind::Prog, 0);
    assert_eq!(*calls.borrow(), 1);
    // Nested fakes: the inner one answers, the outer comes back.
    let outer = with_fake_bpf(
        |_: FakeCall<'_>| Err(Errno::E2BIG),
        || {
            let inner = with_fake_bpf(
                |_: FakeCall<'_>| Err(Errno::EBADF),
                || corex_sys::next_id(ObjectKind::Map, 0).unwrap_err().errno(),
            );
            assert_eq!(inner, Some(Errno::EBADF));
            corex_sys::next_id(ObjectKind::Map, 0).unwrap_err().errno()
        },
    );
    assert_eq!(outer, Some(Errno::E2BIG));
}

#[test]
fn buffer_sizes_are_checked_before_the_fake() {
    let map = with_fake_bpf(
        |_: FakeCall<'_>| Ok(fake_fd()),
        || MapFd::create(&MapCreate::new(MapType::HASH, 8, 8, 1)).unwrap(),
    );
    let err = with_fake_bpf(
        |_: FakeCall<'_>| panic!("the kernel must not be asked"),
        || map.update(&[0u8; 8], &[0u8; 4], 0).unwrap_err(),
    );
    assert_eq!(
        err.to_string(),
        "BPF_MAP_UPDATE_ELEM: the value buffer has 4 bytes, the map's value has 8"
    );
}

#[test]
fn errors_explain_each_command() {
    let cases = [
        (
            BpfCmd::MAP_CREATE,
            Errno::E2BIG,
            "larger than this map type allows",
        ),
        (BpfCmd::MAP_CREATE, Errno::EPERM, "RLIMIT_MEMLOCK"),
        (
            BpfCmd::PROG_LOAD,
            Errno::EACCES,
            "the verifier rejected the program",
        ),
        (
            BpfCmd::BTF_LOAD,
            Errno::EINVAL,
            "the kernel rejected the BTF",
        ),
        (
            BpfCmd::LINK_CREATE,
            Errno::EINVAL,
            "cannot make this kind of link",
        ),
        (
            BpfCmd::MAP_GET_FD_BY_ID,
            Errno::ENOENT,
            "no object has that id",
        ),
        (BpfCmd::OBJ_PIN, Errno::EPERM, "not in a BPF file system"),
        (
            BpfCmd::PROG_LOAD,
            Errno::ENOSYS,
            "CONFIG_BPF_SYSCALL is off",
        ),
        (
            BpfCmd::ITER_CREATE,
            Errno::E2BIG,
            "older than the feature used",
        ),
    ];
    for (cmd, errno, meaning) in cases {
        let text = corex_sys::Error::Bpf { cmd, errno }.to_string();
        assert!(
            text.starts_with(&format!("{cmd} failed: {}", errno.name().unwrap())),
            "{text}"
        );
        assert!(text.contains(meaning), "{text}");
    }
    let unknown = corex_sys::Error::Bpf {
        cmd: BpfCmd(99),
        errno: Errno(4000),
    };
    assert_eq!(
        unknown.to_string(),
        "BPF command 99 failed: errno 4000 (Unknown error 4000)"
    );
    assert!(corex_sys::Error::Bpf {
        cmd: BpfCmd::LINK_CREATE,
        errno: Errno::ENOTSUPP
    }
    .is_not_supported());
    assert!(!corex_sys::Error::Bpf {
        cmd: BpfCmd::LINK_CREATE,
        errno: Errno::EINVAL
    }
    .is_not_supported());
    assert!(!corex_sys::Error::Bpf {
        cmd: BpfCmd::PROG_LOAD,
        errno: Errno::EACCES
    }
    .is_permission_denied());
}

/// Owned kernel objects can move to and be shared with other threads.
#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<corex_sys::MapFd>();
    send_sync::<corex_sys::ProgFd>();
    send_sync::<corex_sys::BtfFd>();
    send_sync::<corex_sys::LinkFd>();
    send_sync::<corex_sys::PerfEventFd>();
    send_sync::<corex_sys::Mmap>();
    send_sync::<corex_sys::Epoll>();
    send_sync::<corex_sys::EventFd>();
    send_sync::<corex_sys::Error>();
}
