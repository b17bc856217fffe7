//! Times CO-RE relocation alone, for `scripts/bench-reloc.sh`: reads the
//! object and the target BTF once, then RUNS times parses the object (not
//! timed: libbpf's window excludes it too) and times indexing the target
//! ([`Target::for_object`]) plus relocating every program
//! ([`Object::relocate_core`]). Prints the same line as libbpf's timer,
//! `crates/cli/tests/libbpf/reloc_time.c`, plus `index_mean_us`, the part
//! spent indexing the target.
//!
//! ```sh
//! cargo run --release -p corex-object --example reloc_time -- OBJ [BTF] [RUNS]
//! ```
//! BTF defaults to /sys/kernel/btf/vmlinux, RUNS to 20.

#[path = "common/timing.rs"]
mod timing;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use corex_object::core::Target;
use corex_object::Object;

fn main() -> ExitCode {
    timing::main_with("reloc_time", run)
}

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let obj_path = args.next().ok_or("usage: reloc_time OBJ [BTF] [RUNS]")?;
    let btf_path = args
        .next()
        .unwrap_or_else(|| "/sys/kernel/btf/vmlinux".to_owned());
    let runs = timing::runs(args.next())?;
    let obj_data = std::fs::read(&obj_path).map_err(|e| format!("{obj_path}: {e}"))?;
    let btf_data = std::fs::read(&btf_path).map_err(|e| format!("{btf_path}: {e}"))?;
    let btf = corex_btf::load(&btf_data, None)
        .map_err(|e| format!("{btf_path}: {e}"))?
        .btf;

    let mut times = Vec::with_capacity(runs as usize);
    let mut indexing = Duration::ZERO;
    let mut relocations = 0;
    for _ in 0..runs {
        let obj = Object::parse(&obj_data).map_err(|e| format!("{obj_path}: {e}"))?;
        let start = Instant::now();
        let target = Target::for_object(&btf, &obj);
        indexing += start.elapsed();
        let report = obj.relocate_core(&target);
        times.push(start.elapsed());
        relocations = report.results.len();
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Ok(format!(
        "relocations={relocations} {} index_mean_us={:.1}",
        timing::summary(&mut times),
        us(indexing / runs)
    ))
}
