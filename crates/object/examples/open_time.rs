//! Times reading and parsing a BPF object (what `corex inspect` does before
//! printing), for `scripts/bench-scale.sh`: RUNS times, `std::fs::read` and
//! [`Object::parse`]; dropping the object is not timed. Prints the same line
//! as libbpf's timer (`crates/cli/tests/libbpf/reloc_time.c --open`).
//!
//! ```sh
//! cargo run --release -p corex-object --example open_time -- OBJ [RUNS]
//! ```
//! RUNS defaults to 20.

#[path = "common/timing.rs"]
mod timing;

use std::process::ExitCode;
use std::time::Instant;

use corex_object::Object;

fn main() -> ExitCode {
    timing::main_with("open_time", run)
}

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: open_time OBJ [RUNS]")?;
    let runs = timing::runs(args.next())?;
    let mut times = Vec::with_capacity(runs as usize);
    let mut programs = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let data = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
        let obj = Object::parse(&data).map_err(|e| format!("{path}: {e}"))?;
        times.push(start.elapsed());
        programs = obj.programs.iter().filter(|p| !p.subprog).count();
    }
    Ok(format!(
        "programs={programs} {}",
        timing::summary(&mut times)
    ))
}
