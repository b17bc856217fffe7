//! Times parsing alone: reads a BTF file once, then parses it N times and
//! prints the mean, best and worst wall time per parse in milliseconds; then
//! the same for building the index of its names (what the first
//! `Btf::find_by_name_kind` builds). Used by `scripts/bench-btf-dump.sh`.
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
    let mut index_times = Vec::with_capacity(runs as usize);
    let (mut types, mut names) = (0, 0);
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
        let start = Instant::now();
        names = corex_btf::NameIndex::own(&loaded.btf).len();
        index_times.push(start.elapsed());
    }
    println!(
        "{path}: {} bytes, {types} types, {runs} parses: {}",
        data.len(),
        summary(&times)
    );
    println!(
        "{path}: name index of {names} named types, {runs} builds: {}",
        summary(&index_times)
    );
    ExitCode::SUCCESS
}

/// Mean, best and worst of `times`, in milliseconds.
fn summary(times: &[Duration]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    let best = times.iter().min().copied().unwrap_or_default();
    let worst = times.iter().max().copied().unwrap_or_default();
    format!(
        "mean {:.2} ms, best {:.2} ms, worst {:.2} ms",
        ms(mean),
        ms(best),
        ms(worst)
    )
}
