//! Ring and perf buffer readers on this kernel: a program emits a numbered
//! sequence of records of varying sizes at full speed (BPF_PROG_TEST_RUN,
//! up to 1024 a run); the reader delivers every record, intact and in
//! order, while the producer never runs more than the buffer can hold ahead
//! of it; then the buffer is deliberately overrun and exactly what is
//! missing is accounted for (the program's count of failed outputs, and for
//! perf buffers the kernel's lost-sample records). Needs root.

mod support;

use corex::events::{PerfBuffer, RingBuffer};
use corex_sys::{MapCreate, MapFd, ObjectKind};
use corex_uapi::{MapType, ProgType};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const BATCH: u64 = 1024;

fn ring_map() -> MapFd {
    MapFd::create(&MapCreate::new(MapType::RINGBUF, 0, 0, 256 * 1024)).unwrap()
}

fn perf_array() -> MapFd {
    let cpus = corex_sys::possible_cpu_count().unwrap() as u32;
    MapFd::create(&MapCreate::new(MapType::PERF_EVENT_ARRAY, 4, 4, cpus)).unwrap()
}

/// A producer of `output` into `buffer` with its state, writing `batch`
/// records a run.
fn producer_of(output: Output, buffer: &MapFd, batch: u64) -> (corex_sys::ProgFd, MapFd) {
    let state = producer_state();
    set_batch(&state, batch);
    let insns = producer(output, &state, buffer);
    (
        load(ProgType::RAW_TRACEPOINT, &insns, None, 0).unwrap(),
        state,
    )
}

/// Runs `reader_poll` in a thread until told to stop; returns the stop
/// switch and the thread, which hands the reader back.
fn read_in_thread<R: Send + 'static>(
    mut reader: R,
    reader_poll: fn(&mut R),
) -> (Arc<AtomicBool>, std::thread::JoinHandle<R>) {
    let stop = Arc::new(AtomicBool::new(false));
    let thread = std::thread::spawn({
        let stop = stop.clone();
        move || {
            while !stop.load(Ordering::Acquire) {
                reader_poll(&mut reader);
            }
            reader
        }
    });
    (stop, thread)
}

#[test]
fn ring_buffer_delivers_a_full_speed_sequence_then_counts_an_overrun() {
    require_privileges();
    let ring = ring_map();
    let (prog, state) = producer_of(Output::Ring, &ring, BATCH);
    let sink = Sink::default();
    let reader = ring_reader(&ring, &sink);
    let waker = reader.waker();
    let (stop, thread) = read_in_thread(reader, |r| {
        r.poll(None).unwrap();
    });
    // 200 runs; a run starts once the reader is within a run of the
    // producer, so the ring (about 3,000 records) never fills.
    const RUNS: u64 = 200;
    for run in 0..RUNS {
        sink.wait_for(run.saturating_sub(1) * BATCH);
        run_producer(&prog, None);
    }
    sink.wait_for(RUNS * BATCH);
    stop.store(true, Ordering::Release);
    waker.wake().unwrap();
    let mut reader = thread.join().unwrap();
    let (next, failed, _) = read_state(&state);
    assert_eq!((next, failed), (RUNS * BATCH, 0), "nothing lost");
    assert_eq!(
        sink.seqs(None),
        (0..next).collect::<Vec<_>>(),
        "every record, in order"
    );

    // Overrun: five runs with nobody reading (about 430 KB into 256 KiB).
    sink.clear();
    for _ in 0..5 {
        run_producer(&prog, None);
    }
    let got = reader.consume().unwrap() as u64;
    let (next2, failed, _) = read_state(&state);
    let seqs = sink.seqs(None);
    assert_eq!(next2 - next, 5 * BATCH);
    assert!(failed > 0, "the ring overflowed");
    assert_eq!(got + failed, 5 * BATCH, "delivered + dropped = produced");
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in order, no duplicates"
    );
    assert!(seqs.iter().all(|s| (next..next2).contains(s)));
    // And it recovers: the next run is delivered whole.
    sink.clear();
    run_producer(&prog, None);
    assert_eq!(reader.consume().unwrap() as u64, BATCH);
    assert_eq!(read_state(&state).1, failed, "no new drops");
    assert_eq!(sink.seqs(None), (next2..next2 + BATCH).collect::<Vec<_>>());
    let ids = (prog.info().unwrap().id, ring.info().unwrap().id);
    drop((reader, prog, ring));
    assert_gone(ObjectKind::Prog, ids.0);
    assert_gone(ObjectKind::Map, ids.1);
}

#[test]
fn several_ring_buffers_on_one_poller() {
    require_privileges();
    let (ring_a, ring_b) = (ring_map(), ring_map());
    let (prog_a, _state_a) = producer_of(Output::Ring, &ring_a, 100);
    let (prog_b, _state_b) = producer_of(Output::Ring, &ring_b, 300);
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

#[test]
fn perf_buffer_delivers_a_full_speed_sequence_then_counts_lost_samples() {
    require_privileges();
    let array = perf_array();
    let (prog, state) = producer_of(Output::Perf, &array, 512);
    let online = corex_sys::online_cpus().unwrap();
    let sink = Sink::default();
    let lost_reports = Arc::new(Mutex::new(Vec::new()));
    // 16 pages (64 KiB) per CPU: about 750 records; records wrap around
    // the end of each ring many times over.
    let reader = PerfBuffer::builder(&array)
        .pages(16)
        .on_sample(sink.perf())
        .on_lost({
            let lost_reports = lost_reports.clone();
            move |cpu, n| lost_reports.lock().unwrap().push((cpu, n))
        })
        .build()
        .unwrap();
    assert_eq!(reader.cpus(), online, "one ring per online CPU");
    let waker = reader.waker();
    let (stop, thread) = read_in_thread(reader, |r| {
        r.poll(None).unwrap();
    });
    // Runs of 512 on each online CPU in turn, each once the reader has
    // caught up (a run fits a CPU's ring).
    const RUNS: u64 = 200;
    for run in 0..RUNS {
        sink.wait_for(run * 512);
        run_producer(&prog, Some(online[run as usize % online.len()]));
    }
    sink.wait_for(RUNS * 512);
    stop.store(true, Ordering::Release);
    waker.wake().unwrap();
    let mut reader = thread.join().unwrap();
    let (next, failed, _) = read_state(&state);
    assert_eq!((next, failed, reader.lost()), (RUNS * 512, 0, 0));
    for cpu in &online {
        let mine = sink.seqs(Some(*cpu));
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "CPU {cpu}: in order");
    }
    let mut all = sink.seqs(None);
    all.sort_unstable();
    assert_eq!(all, (0..next).collect::<Vec<_>>(), "every record");

    // Overrun CPU 0's ring: four runs of 1024 (about 350 KB into 64 KiB)
    // with nobody reading.
    sink.clear();
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
    assert_eq!(second, 16, "the run after the overrun is delivered whole");
    assert_eq!(
        reader.lost(),
        failed,
        "the kernel's lost records count every drop"
    );
    let reported: u64 = lost_reports.lock().unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(reported, failed);
    assert!(lost_reports.lock().unwrap().iter().all(|(c, _)| *c == cpu));
    let stats = reader.stats();
    assert_eq!(stats.iter().find(|s| s.cpu == cpu).unwrap().lost, failed);
    let after = sink.seqs(None);
    assert!(after.windows(2).all(|w| w[0] < w[1]));

    // Dropping the reader takes its events out of the map.
    drop(reader);
    for cpu in online {
        let mut value = [0u8; 4];
        let found = array.lookup(&cpu.to_ne_bytes(), &mut value, 0);
        assert!(
            !found.unwrap_or(false),
            "CPU {cpu}'s event is out of the map"
        );
    }
}
