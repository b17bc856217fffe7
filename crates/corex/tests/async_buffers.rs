//! The async readers in a Tokio runtime: a producer in another thread
//! writes numbered records at full speed; the reader, waiting in the
//! runtime, gets every one in order without a missed wake-up; a waker ends
//! a wait. Needs root.

mod support;

use corex::events::{AsyncPerfBuffer, AsyncRingBuffer, PerfBuffer, RingBuffer};
use corex_sys::{MapCreate, MapFd};
use corex_uapi::{MapType, ProgType};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use support::*;

/// Runs `runs` producer runs in a thread, each once `delivered` is within
/// one run of it.
fn produce_in_thread(
    prog: corex_sys::ProgFd,
    runs: u64,
    batch: u64,
    delivered: Arc<AtomicU64>,
    cpus: Vec<Option<u32>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for run in 0..runs {
            while delivered.load(Ordering::Acquire) < run.saturating_sub(1) * batch {
                std::thread::yield_now();
            }
            run_producer(&prog, cpus[run as usize % cpus.len()]);
        }
    })
}

#[tokio::test(flavor = "current_thread")]
async fn async_ring_buffer_gets_every_record() {
    require_privileges();
    let ring = MapFd::create(&MapCreate::new(MapType::RINGBUF, 0, 0, 256 * 1024)).unwrap();
    let state = producer_state();
    set_batch(&state, 1024);
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &producer(Output::Ring, &state, &ring),
        None,
        0,
    )
    .unwrap();
    let seqs = Arc::new(Mutex::new(Vec::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    let reader = RingBuffer::builder()
        .add(&ring, {
            let seqs = seqs.clone();
            let delivered = delivered.clone();
            move |d: &[u8]| {
                seqs.lock().unwrap().push(check_record(d).0);
                delivered.fetch_add(1, Ordering::Release);
            }
        })
        .unwrap()
        .build()
        .unwrap();
    let mut reader = AsyncRingBuffer::new(reader).unwrap();
    const RUNS: u64 = 100;
    let producer = produce_in_thread(prog, RUNS, 1024, delivered.clone(), vec![None]);
    while delivered.load(Ordering::Acquire) < RUNS * 1024 {
        reader.poll().await.unwrap();
    }
    producer.join().unwrap();
    assert_eq!(read_state(&state).1, 0);
    assert_eq!(*seqs.lock().unwrap(), (0..RUNS * 1024).collect::<Vec<_>>());

    // A waker ends the wait with 0 records.
    let waker = reader.waker();
    std::thread::spawn(move || waker.wake().unwrap());
    assert_eq!(reader.poll().await.unwrap(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn async_perf_buffer_gets_every_record() {
    require_privileges();
    let cpus = corex_sys::possible_cpu_count().unwrap() as u32;
    let array = MapFd::create(&MapCreate::new(MapType::PERF_EVENT_ARRAY, 4, 4, cpus)).unwrap();
    let state = producer_state();
    set_batch(&state, 256);
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &producer(Output::Perf, &state, &array),
        None,
        0,
    )
    .unwrap();
    let seqs = Arc::new(Mutex::new(Vec::new()));
    let delivered = Arc::new(AtomicU64::new(0));
    let reader = PerfBuffer::builder(&array)
        .pages(16)
        .on_sample({
            let seqs = seqs.clone();
            let delivered = delivered.clone();
            move |_, d| {
                seqs.lock().unwrap().push(check_record(d).0);
                delivered.fetch_add(1, Ordering::Release);
            }
        })
        .build()
        .unwrap();
    let mut reader = AsyncPerfBuffer::new(reader).unwrap();
    let online: Vec<Option<u32>> = corex_sys::online_cpus()
        .unwrap()
        .into_iter()
        .map(Some)
        .collect();
    const RUNS: u64 = 100;
    let producer = produce_in_thread(prog, RUNS, 256, delivered.clone(), online);
    while delivered.load(Ordering::Acquire) < RUNS * 256 {
        reader.poll().await.unwrap();
    }
    producer.join().unwrap();
    assert_eq!(read_state(&state).1, 0);
    assert_eq!(reader.get_mut().lost(), 0);
    let mut all = seqs.lock().unwrap().clone();
    all.sort_unstable();
    assert_eq!(all, (0..RUNS * 256).collect::<Vec<_>>());
}
