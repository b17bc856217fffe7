//! Writes the objects of `scripts/bench-scale.sh` (see `fuzz/src/objgen.rs`
//! and `fuzz/src/hostile.rs`):
//!
//! ```sh
//! # N programs, each loading a map, calling a .text function and reading a
//! # CO-RE relocated field; PER_SECTION (default 100) to a section, SUBPROGS
//! # (default N / 8) .text functions.
//! cargo run --release -p corex-object --example gen_object -- scale N OUT.o [PER_SECTION] [SUBPROGS]
//! # SYMBOLS functions each spanning one .text of INSNS instructions.
//! cargo run --release -p corex-object --example gen_object -- overlap SYMBOLS INSNS OUT.o
//! ```

#[allow(dead_code)] // shared with the tests and fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/hostile.rs"]
mod hostile;
#[allow(dead_code)]
#[path = "../../../fuzz/src/objgen.rs"]
mod objgen;

use std::process::ExitCode;

const USAGE: &str = "usage: gen_object scale N OUT.o [PER_SECTION] [SUBPROGS]\n       gen_object overlap SYMBOLS INSNS OUT.o";

fn run(args: &[String]) -> Result<(), String> {
    let number = |i: usize| -> Result<Option<usize>, String> {
        args.get(i)
            .map(|a| {
                a.parse::<usize>()
                    .map_err(|_| format!("argument {} ({a:?}) is not a number", i + 1))
            })
            .transpose()
    };
    let (bytes, out) = match args.first().map(String::as_str) {
        Some("scale") => {
            let programs = number(1)?.ok_or(USAGE)?;
            let scale = objgen::Scale {
                programs,
                per_section: number(3)?.unwrap_or(100),
                subprogs: number(4)?.unwrap_or(programs / 8),
            };
            (objgen::scale_object(scale), args.get(2))
        }
        Some("overlap") => {
            let symbols = number(1)?.ok_or(USAGE)?;
            let insns = number(2)?.ok_or(USAGE)?;
            (hostile::overlapping_text(symbols, insns), args.get(3))
        }
        _ => return Err(USAGE.into()),
    };
    let out = out.ok_or(USAGE)?;
    std::fs::write(out, bytes).map_err(|e| format!("{out}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_object: {e}");
            ExitCode::FAILURE
        }
    }
}
