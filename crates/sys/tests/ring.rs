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

    let ids = (ring.info().unwrap().id, prog.info().unwrap().id);
    drop((consumer, producer, poller, prog, ring));
    assert_gone(corex_sys::ObjectKind::Prog, ids.1);
    assert_gone(corex_sys::ObjectKind::Map, ids.0);
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

/// A socket filter that sends the u64 `VALUE` to the current CPU's perf
/// event in perf event array `events`.
fn perf_writer(events: i32) -> Vec<u8> {
    program(&[
        mov64_reg(6, 1),
        mov64_imm(7, VALUE),
        stx64(10, -8, 7),
        mov64_reg(1, 6),
        ld_map_fd(2, events),
        // BPF_F_CURRENT_CPU: the index mask, all ones in the low 32 bits.
        vec![insn(0x18, 3, 0, 0, -1), insn(0, 0, 0, 0, 0)],
        mov64_reg(4, 10),
        add64_imm(4, -8),
        mov64_imm(5, 8),
        call(HelperId::PERF_EVENT_OUTPUT.0),
        mov64_imm(0, 0),
        exit(),
    ])
}

#[test]
fn perf_buffer_sample_through_mmap() {
    require_privileges();
    use corex_sys::{PerfEventFd, PerfEventKind, PerfEventOpen};
    use corex_uapi::perf;
    let page = corex_sys::page_size();
    let cpus = corex_sys::possible_cpus().unwrap();
    let online = corex_sys::online_cpus().unwrap();
    let array = MapFd::create(&MapCreate::new(
        MapType::PERF_EVENT_ARRAY,
        4,
        4,
        corex_sys::possible_cpu_count().unwrap() as u32,
    ))
    .unwrap();
    let mut rings = Vec::new();
    for cpu in cpus.iter().filter(|c| online.contains(c)) {
        let event =
            PerfEventFd::open(&PerfEventOpen::new(PerfEventKind::BpfOutput, *cpu as i32)).unwrap();
        // One control page and 2 data pages.
        let ring = Mmap::map(event.as_fd(), 3 * page, 0, Protection::ReadWrite).unwrap();
        array
            .update(
                &cpu.to_ne_bytes(),
                &(event.as_raw_fd() as u32).to_ne_bytes(),
                0,
            )
            .unwrap();
        rings.push((event, ring));
    }
    let insns = perf_writer(array.as_raw_fd());
    let prog = ProgFd::load(&mut ProgLoad::new(ProgType::SOCKET_FILTER, &insns, c"GPL")).unwrap();
    let packet = [0u8; 64];
    let mut run = TestRun::default();
    run.data_in = &packet;
    prog.test_run(&mut run).unwrap();

    let mut samples = 0;
    for (_, ring) in &rings {
        let head = ring.load_acquire_u64(perf::MMAP_DATA_HEAD);
        if head == 0 {
            continue;
        }
        let data_offset = ring.load_acquire_u64(perf::MMAP_DATA_OFFSET) as usize;
        assert_eq!(data_offset, page);
        assert_eq!(
            ring.load_acquire_u64(perf::MMAP_DATA_SIZE) as usize,
            2 * page
        );
        let header = ring.bytes(data_offset, perf::EVENT_HEADER_SIZE).unwrap();
        let record_type = u32::from_ne_bytes(header[0..4].try_into().unwrap());
        let size = u16::from_ne_bytes(header[6..8].try_into().unwrap()) as u64;
        assert_eq!(record_type, perf::RECORD_SAMPLE);
        assert_eq!(size, head, "one record");
        let raw = ring.bytes(data_offset + 8, 12).unwrap();
        assert!(u32::from_ne_bytes(raw[0..4].try_into().unwrap()) >= 8);
        assert_eq!(
            u64::from_ne_bytes(raw[4..12].try_into().unwrap()),
            VALUE as u64
        );
        ring.store_release_u64(perf::MMAP_DATA_TAIL, head);
        samples += 1;
    }
    assert_eq!(samples, 1, "one sample, on the CPU the program ran on");
}
