//! Ring and perf buffer readers on this kernel: a program emits a numbered
//! sequence of records of varying sizes at full speed (BPF_PROG_TEST_RUN,
//! 1024 a run); the reader delivers every record, intact and in order,
//! while the producer never runs more than the buffer can hold ahead of
//! it; then the buffer is deliberately overrun and exactly what is missing
//! is accounted for (the program's count of failed outputs, and for perf
//! buffers the kernel's lost-sample records). Needs root.

mod support;

use corex::events::{PerfBuffer, RingBuffer};
use corex_sys::{MapCreate, MapFd, ObjectKind};
use corex_uapi::{MapType, ProgType};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const RING_SIZE: u32 = 256 * 1024;
const BATCH: u64 = 1024;

fn ring_map() -> MapFd {
    MapFd::create(&MapCreate::new(MapType::RINGBUF, 0, 0, RING_SIZE)).unwrap()
}

/// Waits until `delivered` reaches `target` (the reader runs in another
/// thread); a guard of a minute against a hang, not a measure.
fn wait_for(delivered: &AtomicU64, target: u64) {
    for _ in 0..60_000 {
        if delivered.load(Ordering::Acquire) >= target {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!(
        "the reader delivered {} of {target}",
        delivered.load(Ordering::Acquire)
    );
}

#[test]
fn ring_buffer_delivers_a_full_speed_sequence_then_counts_an_overrun() {
    require_privileges();
    let ring = ring_map();
    let state = producer_state();
    set_batch(&state, BATCH);
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &producer(Output::Ring, &state, &ring),
        None,
        0,
    )
    .unwrap();

    let seqs = Arc::new(Mutex::new(Vec::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut reader = RingBuffer::builder()
        .add(&ring, {
            let seqs = seqs.clone();
            let delivered = delivered.clone();
            move |data: &[u8]| {
                seqs.lock().unwrap().push(check_record(data).0);
                delivered.fetch_add(1, Ordering::Release);
            }
        })
        .unwrap()
        .build()
        .unwrap();
    let waker = reader.waker();
    let thread = std::thread::spawn({
        let stop = stop.clone();
        move || {
            while !stop.load(Ordering::Acquire) {
                reader.poll(None).unwrap();
            }
            reader
        }
    });
    // 200 runs of 1024; a run starts once the reader is within a run of
    // the producer, so the ring (about 3,000 records) never fills.
    const RUNS: u64 = 200;
    for run in 0..RUNS {
        wait_for(&delivered, run.saturating_sub(1) * BATCH);
        run_producer(&prog, None);
    }
    wait_for(&delivered, RUNS * BATCH);
    stop.store(true, Ordering::Release);
    waker.wake().unwrap();
    let mut reader = thread.join().unwrap();
    let (next, failed, _) = read_state(&state);
    assert_eq!((next, failed), (RUNS * BATCH, 0), "nothing lost");
    assert_eq!(
        *seqs.lock().unwrap(),
        (0..RUNS * BATCH).collect::<Vec<_>>(),
        "every record, in order"
    );

    // Overrun: five runs with nobody reading (about 430 KB into 256 KiB).
    seqs.lock().unwrap().clear();
    for _ in 0..5 {
        run_producer(&prog, None);
    }
    let got = reader.consume().unwrap() as u64;
    let (next, failed, _) = read_state(&state);
    let seqs_now = seqs.lock().unwrap().clone();
    assert_eq!(next - RUNS * BATCH, 5 * BATCH);
    assert!(failed > 0, "the ring overflowed");
    assert_eq!(got + failed, 5 * BATCH, "delivered + dropped = produced");
    assert!(
        seqs_now.windows(2).all(|w| w[0] < w[1]),
        "in order, no duplicates"
    );
    assert!(seqs_now.iter().all(|s| (RUNS * BATCH..next).contains(s)));
    // And it recovers: the next run is delivered whole.
    seqs.lock().unwrap().clear();
    run_producer(&prog, None);
    assert_eq!(reader.consume().unwrap() as u64, BATCH);
    assert_eq!(read_state(&state).1, failed, "no new drops");
    assert_eq!(
        *seqs.lock().unwrap(),
        (next..next + BATCH).collect::<Vec<_>>()
    );
    let ids = (prog.info().unwrap().id, ring.info().unwrap().id);
    drop((reader, prog, ring));
    assert_gone(ObjectKind::Prog, ids.0);
    assert_gone(ObjectKind::Map, ids.1);
}

#[test]
fn several_ring_buffers_on_one_poller() {
    require_privileges();
    let (ring_a, ring_b) = (ring_map(), ring_map());
    let (state_a, state_b) = (producer_state(), producer_state());
    set_batch(&state_a, 100);
    set_batch(&state_b, 300);
    let prog_a = load(
        ProgType::RAW_TRACEPOINT,
        &producer(Output::Ring, &state_a, &ring_a),
        None,
        0,
    )
    .unwrap();
    let prog_b = load(
        ProgType::RAW_TRACEPOINT,
        &producer(Output::Ring, &state_b, &ring_b),
        None,
        0,
    )
    .unwrap();
    let a = Mutex::new(Vec::new());
    let b = Mutex::new(Vec::new());
    let mut reader = RingBuffer::builder()
        .add(&ring_a, |d: &[u8]| {
            a.lock().unwrap().push(check_record(d).0)
        })
        .unwrap()
        .add(&ring_b, |d: &[u8]| {
            b.lock().unwrap().push(check_record(d).0)
        })
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(reader.ring_count(), 2);
    assert_eq!(reader.poll(Some(Duration::ZERO)).unwrap(), 0, "nothing yet");
    run_producer(&prog_b, None);
    // Woken by ring b alone.
    assert_eq!(reader.poll(None).unwrap(), 300);
    run_producer(&prog_a, None);
    run_producer(&prog_b, None);
    assert_eq!(reader.poll(None).unwrap(), 400);
    drop(reader);
    assert_eq!(*a.lock().unwrap(), (0..100).collect::<Vec<_>>());
    assert_eq!(*b.lock().unwrap(), (0..600).collect::<Vec<_>>());
}

#[test]
fn a_waker_ends_a_wait_from_another_thread() {
    require_privileges();
    let ring = ring_map();
    let mut reader = RingBuffer::builder()
        .add(&ring, |_: &[u8]| panic!("no records"))
        .unwrap()
        .build()
        .unwrap();
    let waker = reader.waker();
    let thread = std::thread::spawn(move || reader.poll(None).unwrap());
    waker.wake().unwrap();
    assert_eq!(thread.join().unwrap(), 0);
    let err = RingBuffer::builder()
        .add(&producer_state(), |_: &[u8]| {})
        .unwrap_err();
    assert_eq!(err.to_string(), "the map is a array map, not a ringbuf map");
}

fn perf_array() -> MapFd {
    let cpus = corex_sys::possible_cpu_count().unwrap() as u32;
    MapFd::create(&MapCreate::new(MapType::PERF_EVENT_ARRAY, 4, 4, cpus)).unwrap()
}

#[test]
fn perf_buffer_delivers_a_full_speed_sequence_then_counts_lost_samples() {
    require_privileges();
    let array = perf_array();
    let state = producer_state();
    set_batch(&state, BATCH);
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &producer(Output::Perf, &state, &array),
        None,
        0,
    )
    .unwrap();
    let online = corex_sys::online_cpus().unwrap();
    let seqs = Arc::new(Mutex::new(Vec::<(u32, u64)>::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    let lost_reports = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // 16 pages (64 KiB) per CPU: about 750 records.
    let mut reader = PerfBuffer::builder(&array)
        .pages(16)
        .on_sample({
            let seqs = seqs.clone();
            let delivered = delivered.clone();
            move |cpu, data| {
                let (seq, record_cpu) = check_record(data);
                assert_eq!(cpu, record_cpu, "delivered from the CPU that wrote it");
                seqs.lock().unwrap().push((cpu, seq));
                delivered.fetch_add(1, Ordering::Release);
            }
        })
        .on_lost({
            let lost_reports = lost_reports.clone();
            move |cpu, n| lost_reports.lock().unwrap().push((cpu, n))
        })
        .build()
        .unwrap();
    assert_eq!(reader.cpus(), online, "one ring per online CPU");
    let waker = reader.waker();
    let thread = std::thread::spawn({
        let stop = stop.clone();
        move || {
            while !stop.load(Ordering::Acquire) {
                reader.poll(None).unwrap();
            }
            reader
        }
    });
    // Runs of 512 on each online CPU in turn, each once the reader has
    // caught up (a run fits a CPU's ring).
    set_batch(&state, 512);
    const RUNS: u64 = 200;
    for run in 0..RUNS {
        wait_for(&delivered, run * 512);
        run_producer(&prog, Some(online[run as usize % online.len()]));
    }
    wait_for(&delivered, RUNS * 512);
    stop.store(true, Ordering::Release);
    waker.wake().unwrap();
    let mut reader = thread.join().unwrap();
    let (next, failed, _) = read_state(&state);
    assert_eq!((next, failed), (RUNS * 512, 0));
    assert_eq!(reader.lost(), 0);
    let mut all: Vec<u64> = seqs.lock().unwrap().iter().map(|(_, s)| *s).collect();
    for cpu in &online {
        let mine: Vec<u64> = seqs
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| c == cpu)
            .map(|(_, s)| *s)
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "CPU {cpu}: in order");
    }
    all.sort_unstable();
    assert_eq!(all, (0..RUNS * 512).collect::<Vec<_>>(), "every record");

    // Overrun CPU 0's ring: four runs of 1024 (about 350 KB into 64 KiB)
    // with nobody reading.
    seqs.lock().unwrap().clear();
    set_batch(&state, BATCH);
    let cpu = online[0];
    for _ in 0..4 {
        run_producer(&prog, Some(cpu));
    }
    let first = reader.consume().unwrap() as u64;
    // The kernel writes its lost record when there is room again: one
    // more small run (which now fits) brings it.
    set_batch(&state, 16);
    run_producer(&prog, Some(cpu));
    let second = reader.consume().unwrap() as u64;
    let (next2, failed, _) = read_state(&state);
    assert_eq!(next2 - next, 4 * BATCH + 16);
    assert!(failed > 0, "the ring overflowed");
    assert_eq!(
        first + second + failed,
        4 * BATCH + 16,
        "delivered + dropped = produced"
    );
    assert_eq!(
        reader.lost(),
        failed,
        "the kernel's lost records count every drop"
    );
    let reported: u64 = lost_reports.lock().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(reported, failed);
    assert!(lost_reports.lock().unwrap().iter().all(|(c, _)| *c == cpu));
    let stats = reader.stats();
    let mine = stats.iter().find(|s| s.cpu == cpu).unwrap();
    assert_eq!(mine.lost, failed);
    let after: Vec<u64> = seqs.lock().unwrap().iter().map(|(_, s)| *s).collect();
    assert!(after.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(second, 16, "the run after the overrun is delivered whole");

    // Dropping the reader takes its events out of the map.
    drop(reader);
    for cpu in online {
        let mut value = [0u8; 4];
        let err = array.lookup(&cpu.to_ne_bytes(), &mut value, 0);
        assert!(!err.unwrap_or(false), "CPU {cpu}'s event is out of the map");
    }
}
