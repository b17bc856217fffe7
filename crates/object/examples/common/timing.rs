//! What the timing examples (`open_time`, `reloc_time`) share: the exit
//! code, the RUNS argument, and the summary line libbpf's timers print too.

use std::process::ExitCode;
use std::time::Duration;

/// Prints `run`'s line, or its error prefixed with `name`.
pub fn main_with(name: &str, run: impl FnOnce() -> Result<String, String>) -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The RUNS argument: a positive integer, 20 by default.
pub fn runs(arg: Option<String>) -> Result<u32, String> {
    match arg.map(|n| n.parse()) {
        None => Ok(20),
        Some(Ok(n)) if n > 0 => Ok(n),
        Some(_) => Err("RUNS must be a positive integer".into()),
    }
}

/// `runs=R mean_us=M min_us=M median_us=M` of the times (sorted here).
pub fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    format!(
        "runs={} mean_us={:.1} min_us={:.1} median_us={:.1}",
        times.len(),
        us(mean),
        us(times[0]),
        us(times[times.len() / 2])
    )
}
