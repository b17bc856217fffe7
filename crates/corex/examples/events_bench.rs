//! corex's side of scripts/bench-events.sh (libbpf's is
//! crates/corex/bench/events_libbpf.c): loads bpf/loader-tests/buffers.bpf.o
//! with corex, and while this thread runs a producer program RUNS times
//! (BPF_PROG_TEST_RUN, BATCH records a run), another reads the records with
//! corex's RingBuffer or PerfBuffer.
//!
//!   cargo run --release -p corex --example events_bench -- OBJ ring|perf live|drain RUNS BATCH SIZE
//!
//! live: the reader reads while the producer produces; drain: the producer
//! fills the buffer first, then the clock runs while the reader drains it.
//! SIZE: the ring buffer's bytes, or the perf buffer's pages per CPU.
//!
//! Prints one line in the C harness's format: kind= mode= produced= delivered=
//! lost= perf_lost= wall_ns= reader_user_ticks= reader_sys_ticks=
//! reader_cpu_ns= reader_sleeps= (the reader thread's user and system time
//! from /proc/thread-self/stat in USER_HZ ticks, its CPU time from
//! /proc/thread-self/schedstat, how many times it slept from
//! /proc/thread-self/status's voluntary_ctxt_switches).

use corex::events::{PerfBuffer, RingBuffer};
use corex::{GlobalValue, OpenObject};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `(user ticks, system ticks, CPU ns, times it slept)` of the calling
/// thread.
fn thread_times() -> (u64, u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // After "(comm)" come fields 3, 4, ...: utime and stime are 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0);
    let cpu_ns = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let sleeps = std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|s| {
            let line = s
                .lines()
                .find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0);
    (field(14), field(15), cpu_ns, sleeps)
}

fn u64_global(loaded: &corex::LoadedObject, name: &str) -> u64 {
    let bytes = loaded.global(name).unwrap();
    u64::from_ne_bytes(bytes.try_into().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, object, kind, mode, runs, batch, size] = args.as_slice() else {
        eprintln!("usage: events_bench OBJ ring|perf live|drain RUNS BATCH SIZE");
        std::process::exit(2);
    };
    let drain = mode == "drain";
    let size: u32 = size.parse().unwrap();
    let ring = kind == "ring";
    let runs: u64 = runs.parse().unwrap();
    let batch: i128 = batch.parse().unwrap();
    let producer = if ring {
        "ringbuf_produce"
    } else {
        "perf_produce"
    };
    let mut obj = OpenObject::open(object).unwrap();
    obj.set_global("batch", GlobalValue::Int(batch)).unwrap();
    obj.load_only(&[producer]).unwrap();
    if ring {
        obj.set_max_entries("ring", size).unwrap();
    }
    let loaded = obj.load().unwrap();
    let prog = loaded.program(producer).unwrap();
    let map = loaded.map(if ring { "ring" } else { "perf" }).unwrap();

    let delivered = Arc::new(AtomicU64::new(0));
    let perf_lost = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let count = {
        let delivered = delivered.clone();
        move || {
            delivered.fetch_add(1, Ordering::Relaxed);
        }
    };
    /// Either reader, set up before the clock starts (as the C side's).
    enum Reader {
        Ring(RingBuffer<'static>),
        Perf(PerfBuffer<'static>),
    }
    let mut reader = if ring {
        let ring = RingBuffer::builder()
            .add(map.fd(), move |_: &[u8]| count())
            .unwrap();
        Reader::Ring(ring.build().unwrap())
    } else {
        let perf_lost = perf_lost.clone();
        let perf = PerfBuffer::builder(map.fd())
            .pages(size as usize)
            .on_sample(move |_, _| count())
            .on_lost(move |_, n| {
                perf_lost.fetch_add(n, Ordering::Relaxed);
            });
        Reader::Perf(perf.build().unwrap())
    };
    let produce = || {
        for _ in 0..runs {
            prog.test_run(&mut corex::sys::TestRun::default()).unwrap();
        }
    };
    if drain {
        produce();
    }
    let start = Instant::now();
    let thread = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let before = thread_times();
            let timeout = Some(Duration::from_millis(100));
            while !stop.load(Ordering::Acquire) {
                match &mut reader {
                    Reader::Ring(r) => r.poll(timeout).map(drop),
                    Reader::Perf(p) => p.poll(timeout).map(drop),
                }
                .unwrap();
            }
            match &mut reader {
                Reader::Ring(r) => r.consume().map(drop),
                Reader::Perf(p) => p.consume().map(drop),
            }
            .unwrap();
            let after = thread_times();
            (
                after.0 - before.0,
                after.1 - before.1,
                after.2 - before.2,
                after.3 - before.3,
            )
        }
    });
    if !drain {
        produce();
    }
    let (produced, lost) = if ring {
        (
            u64_global(&loaded, "ring_next_seq"),
            u64_global(&loaded, "ring_lost"),
        )
    } else {
        (
            u64_global(&loaded, "perf_next_seq"),
            u64_global(&loaded, "perf_lost"),
        )
    };
    // Wait until every record not dropped has arrived.
    while delivered.load(Ordering::Relaxed) + lost < produced {
        std::thread::sleep(Duration::from_micros(100));
    }
    let wall = start.elapsed();
    stop.store(true, Ordering::Release);
    let reader = (produced, lost, wall, thread.join().unwrap());
    let (produced, lost, wall, (user, sys, cpu_ns, sleeps)) = reader;
    println!(
        "kind={kind} mode={mode} produced={produced} delivered={} lost={lost} perf_lost={} wall_ns={} \
         reader_user_ticks={user} reader_sys_ticks={sys} reader_cpu_ns={cpu_ns} \
         reader_sleeps={sleeps}",
        delivered.load(Ordering::Relaxed),
        perf_lost.load(Ordering::Relaxed),
        wall.as_nanos()
    );
}
