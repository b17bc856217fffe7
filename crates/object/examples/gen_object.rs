//! Writes a scaling object for `scripts/bench-scale.sh`: N programs, each
//! loading a map, calling a `.text` function and reading a CO-RE relocated
//! field (see `fuzz/src/objgen.rs`, `scale_object`).
//!
//! ```sh
//! cargo run --release -p corex-object --example gen_object -- PROGRAMS OUT.o [PER_SECTION] [SUBPROGS]
//! ```
//! PER_SECTION defaults to 100, SUBPROGS to PROGRAMS / 8.

#[allow(dead_code)] // shared with the tests and fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/objgen.rs"]
mod objgen;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| match args.get(i) {
        None => Ok(default),
        Some(a) => a
            .parse::<usize>()
            .map_err(|_| format!("argument {} ({a:?}) is not a number", i + 1)),
    };
    let run = || -> Result<(), String> {
        let (Some(_), Some(out)) = (args.first(), args.get(1)) else {
            return Err("usage: gen_object PROGRAMS OUT.o [PER_SECTION] [SUBPROGS]".into());
        };
        let programs = number(0, 0)?;
        let scale = objgen::Scale {
            programs,
            per_section: number(2, 100)?,
            subprogs: number(3, programs / 8)?,
        };
        std::fs::write(out, objgen::scale_object(scale)).map_err(|e| format!("{out}: {e}"))
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_object: {e}");
            ExitCode::FAILURE
        }
    }
}
