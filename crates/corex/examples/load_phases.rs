//! Times the phases of loading one object in this process, to see where a
//! load's time goes: reading and parsing the kernel's BTF, the CO-RE target
//! of a first plan (only the types the object names) and of a later one
//! (the full index, built once), then the whole load (plan, maps,
//! programs) and the release. Needs root.
//!
//! ```sh
//! cargo run --release -p corex --example load_phases -- OBJECT [PROGRAM...]
//! ```
//! With PROGRAMs, only those are loaded (as `corex load -p`).

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: load_phases OBJECT [PROGRAM...]");
        return ExitCode::FAILURE;
    };
    let programs: Vec<String> = args.collect();
    match run(&path, &programs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load_phases: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str, programs: &[String]) -> corex::Result<()> {
    let ms = |since: Instant| since.elapsed().as_secs_f64() * 1000.0;
    let kernel = corex::Kernel::new()?;
    let start = Instant::now();
    let mut open = corex::OpenObject::open(path)?;
    if !programs.is_empty() {
        let names: Vec<&str> = programs.iter().map(String::as_str).collect();
        open.load_only(&names)?;
    }
    let opened = ms(start);
    let start = Instant::now();
    let vmlinux = kernel.vmlinux_btf()?;
    let btf = ms(start);
    let start = Instant::now();
    drop(vmlinux.core_target(open.object()));
    let first_target = ms(start);
    let start = Instant::now();
    drop(vmlinux.core_target(open.object()));
    let full_index = ms(start);
    let start = Instant::now();
    let loaded = open.load_into(&kernel)?;
    let load = ms(start);
    let start = Instant::now();
    drop(loaded);
    println!(
        "open {opened:.1} ms, kernel BTF read and parsed {btf:.1} ms, CO-RE target: first plan \
         {first_target:.1} ms, full index {full_index:.1} ms; load (sharing the index) \
         {load:.1} ms, release {:.1} ms",
        ms(start)
    );
    Ok(())
}
