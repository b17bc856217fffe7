//! Shared mappings and polling on this kernel: a program writes a ring
//! buffer record (run with `BPF_PROG_TEST_RUN`), epoll reports the ring
//! ready, the record is read through the mmap'd producer pages with acquire
//! loads and released with a release store of the consumer position; an
//! eventfd wakes the poller. Needs root.

mod support;

use corex_sys::{
    Epoll, EpollEvent, EventFd, MapCreate, MapFd, Mmap, ProgFd, ProgLoad, Protection, TestRun,
};
use corex_uapi::{flags, HelperId, MapType, ProgType};
use std::os::fd::{AsFd, AsRawFd};
use support::*;

const VALUE: i32 = 0x1234_abcd;

/// A socket filter that writes the u64 `VALUE` into ring buffer `ring`.
fn ring_writer(ring: i32) -> Vec<u8> {
    program(&[
        mov64_imm(6, VALUE),
        stx64(10, -8, 6),
        ld_map_fd(1, ring),
        mov64_reg(2, 10),
        add64_imm(2, -8),
        mov64_imm(3, 8),
        mov64_imm(4, 0),
        call(HelperId::RINGBUF_OUTPUT.0),
        mov64_imm(0, 0),
        exit(),
    ])
}

#[test]
fn ring_buffer_record_through_mmap_and_epoll() {
    require_privileges();
    let page = corex_sys::page_size();
    let data_size = page * 4;
    let ring = MapFd::create(&MapCreate::new(MapType::RINGBUF, 0, 0, data_size as u32)).unwrap();
    let consumer = Mmap::map(ring.as_fd(), page, 0, Protection::ReadWrite).unwrap();
    let producer = Mmap::map(
        ring.as_fd(),
        page + 2 * data_size,
        page as u64,
        Protection::Read,
    )
    .unwrap();
    let poller = Epoll::new().unwrap();
    poller.add(ring.as_fd(), libc::EPOLLIN as u32, 7).unwrap();
    let mut events = [EpollEvent {
        events: 0,
        token: 0,
    }; 4];
    assert_eq!(
        poller.wait(&mut events, 0).unwrap(),
        0,
        "an empty ring is not ready"
    );

    let insns = ring_writer(ring.as_raw_fd());
    let prog = ProgFd::load(&mut ProgLoad::new(ProgType::SOCKET_FILTER, &insns, c"GPL")).unwrap();
    let packet = [0u8; 64];
    let mut run = TestRun::default();
    run.data_in = &packet;
    prog.test_run(&mut run).unwrap();

    assert_eq!(poller.wait(&mut events, 0).unwrap(), 1);
    assert_eq!(events[0].token, 7);
    let producer_pos = producer.load_acquire_u64(0);
    assert_eq!(producer_pos, 16, "one 8-byte record and its 8-byte header");
    let consumer_pos = consumer.load_acquire_u64(0);
    assert_eq!(consumer_pos, 0);
    let header = producer.load_acquire_u32(page);
    assert_eq!(header & flags::sizes::RINGBUF_BUSY_BIT, 0, "committed");
    assert_eq!(header & !flags::sizes::RINGBUF_DISCARD_BIT, 8);
    let record = producer.bytes(page + 8, 8).unwrap();
    assert_eq!(u64::from_ne_bytes(record.try_into().unwrap()), VALUE as u64);
    let mut copy = [0u8; 8];
    assert!(producer.copy_to(page + 8, &mut copy));
    assert_eq!(copy, record);
    consumer.store_release_u64(0, producer_pos);
    assert_eq!(
        poller.wait(&mut events, 0).unwrap(),
        0,
        "consumed: not ready"
    );

    // The producer pages are read-only; bounds are checked.
    assert!(producer.bytes(producer.len() - 4, 8).is_none());
    assert!(producer.atomic_u64(4).is_none(), "misaligned");
    let err = Mmap::map(ring.as_fd(), page, page as u64, Protection::ReadWrite).unwrap_err();
    assert!(err.to_string().starts_with("mmap failed: EPERM"), "{err}");
}

#[test]
fn eventfd_from_another_thread_wakes_epoll() {
    let poller = Epoll::new().unwrap();
    let wake = std::sync::Arc::new(EventFd::new().unwrap());
    poller.add(wake.as_fd(), libc::EPOLLIN as u32, 42).unwrap();
    let mut events = [EpollEvent {
        events: 0,
        token: 0,
    }; 2];
    assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
    assert_eq!(wake.take().unwrap(), 0);
    let waker = std::thread::spawn({
        let wake = wake.clone();
        move || wake.signal().unwrap()
    });
    // Blocks until the other thread signals.
    assert_eq!(poller.wait(&mut events, -1).unwrap(), 1);
    assert_eq!(events[0].token, 42);
    waker.join().unwrap();
    wake.signal().unwrap();
    assert_eq!(wake.take().unwrap(), 2);
    poller.delete(wake.as_fd()).unwrap();
    wake.signal().unwrap();
    assert_eq!(poller.wait(&mut events, 0).unwrap(), 0);
}
