//! Times reading and parsing a BPF object (what `corex inspect` does before
//! printing), for `scripts/bench-scale.sh`: RUNS times, `std::fs::read` and
//! [`Object::parse`]; dropping the object is not timed. Prints the same line
//! as libbpf's timer, `crates/cli/tests/libbpf/open_time.c`.
//!
//! ```sh
//! cargo run --release -p corex-object --example open_time -- OBJ [RUNS]
//! ```
//! RUNS defaults to 20.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use corex_object::Object;

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("open_time: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: open_time OBJ [RUNS]")?;
    let runs: u32 = match args.next().map(|n| n.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => return Err("RUNS must be a positive integer".into()),
    };
    let mut times = Vec::with_capacity(runs as usize);
    let mut programs = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let data = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
        let obj = Object::parse(&data).map_err(|e| format!("{path}: {e}"))?;
        times.push(start.elapsed());
        programs = obj.programs.len();
    }
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = times.iter().sum::<Duration>() / runs;
    Ok(format!(
        "programs={programs} runs={runs} mean_us={:.1} min_us={:.1} median_us={:.1}",
        us(mean),
        us(times[0]),
        us(times[times.len() / 2])
    ))
}
