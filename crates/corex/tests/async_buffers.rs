//! The async readers in a Tokio runtime: a producer in another thread
//! writes numbered records at full speed; the reader, waiting in the
//! runtime, gets every one without a missed wake-up; a waker ends a wait.
//! Needs root.

mod support;

use corex::events::{AsyncPerfBuffer, AsyncReader, AsyncRingBuffer, PerfBuffer, Reader};
use corex_sys::{MapCreate, MapFd};
use corex_uapi::{MapType, ProgType};
use std::sync::atomic::Ordering;
use support::*;

const RUNS: u64 = 100;
const BATCH: u64 = 256;

/// Runs the producer `RUNS` times in a thread (on each of `cpus` in turn),
/// each run once the reader is within a run of it, while `reader` waits in
/// the runtime; returns when every record arrived.
async fn produce_and_read<R: Reader>(
    output: Output,
    buffer: &MapFd,
    reader: &mut AsyncReader<R>,
    sink: &Sink,
    cpus: Vec<Option<u32>>,
) {
    let state = producer_state();
    set_batch(&state, BATCH);
    let prog = load(
        ProgType::RAW_TRACEPOINT,
        &producer(output, &state, buffer),
        None,
        0,
    )
    .unwrap();
    let producer = std::thread::spawn({
        let sink = sink.clone();
        move || {
            for run in 0..RUNS {
                sink.wait_for(run.saturating_sub(1) * BATCH);
                run_producer(&prog, cpus[run as usize % cpus.len()]);
            }
        }
    });
    while sink.delivered.load(Ordering::Acquire) < RUNS * BATCH {
        reader.poll().await.unwrap();
    }
    producer.join().unwrap();
    assert_eq!(read_state(&state).1, 0, "nothing dropped");
    let mut all = sink.seqs(None);
    all.sort_unstable();
    assert_eq!(all, (0..RUNS * BATCH).collect::<Vec<_>>());
}

#[tokio::test(flavor = "current_thread")]
async fn async_ring_buffer_gets_every_record() {
    require_privileges();
    let ring = MapFd::create(&MapCreate::new(MapType::RINGBUF, 0, 0, 256 * 1024)).unwrap();
    let sink = Sink::default();
    let reader = ring_reader(&ring, &sink);
    let mut reader = AsyncRingBuffer::new(reader).unwrap();
    produce_and_read(Output::Ring, &ring, &mut reader, &sink, vec![None]).await;
    assert_eq!(
        sink.seqs(None),
        (0..RUNS * BATCH).collect::<Vec<_>>(),
        "in order"
    );

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
    let sink = Sink::default();
    let reader = PerfBuffer::builder(&array)
        .pages(16)
        .on_sample(sink.perf())
        .build()
        .unwrap();
    let mut reader = AsyncPerfBuffer::new(reader).unwrap();
    let online = corex_sys::online_cpus()
        .unwrap()
        .into_iter()
        .map(Some)
        .collect();
    produce_and_read(Output::Perf, &array, &mut reader, &sink, online).await;
    assert_eq!(reader.get_mut().lost(), 0);
}
