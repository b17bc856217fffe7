//! Times parsing alone: reads a BTF file once, then parses it N times and
//! prints the mean, best and worst wall time per parse in milliseconds.
//! Used by `scripts/bench-btf-dump.sh`.
//!
//! ```sh
//! cargo run --release -p corex-btf --example parse_time -- [FILE] [N]
//! ```
//! FILE defaults to /sys/kernel/btf/vmlinux, N to 20.

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "/sys/kernel/btf/vmlinux".to_owned());
    let runs: u32 = match args.next().map(|n| n.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("parse_time: N must be a positive integer");
            return ExitCode::FAILURE;
        }
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("parse_time: {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut times = Vec::with_capacity(runs as usize);
    let mut types = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let loaded = match corex_btf::load(&data, None) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("parse_time: {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        times.push(start.elapsed());
        types = loaded.btf.type_count() - 1;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = times.iter().sum::<Duration>() / runs;
    let best = times.iter().min().copied().unwrap_or_default();
    let worst = times.iter().max().copied().unwrap_or_default();
    println!(
        "{path}: {} bytes, {types} types, {runs} parses: mean {:.2} ms, best {:.2} ms, worst {:.2} ms",
        data.len(),
        ms(mean),
        ms(best),
        ms(worst)
    );
    ExitCode::SUCCESS
}
