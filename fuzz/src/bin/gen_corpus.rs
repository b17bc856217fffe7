//! Writes the BtfBuilder-made seed inputs into the directory given as the only
//! argument. `gen-corpus.sh` adds the clang-compiled ones and sorts them into
//! `corpus/<target>/`. The seeds of the generating targets (`object_gen`,
//! `core_gen`) are pseudo-random bytes (a fixed xorshift), which their
//! generators turn into objects and CO-RE cases.

use std::path::PathBuf;
use std::sync::Arc;

use corex_btf::{Btf, Endian};
use corex_fuzz::seeds;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args_os()
            .nth(1)
            .expect("usage: gen_corpus OUTPUT_DIR"),
    );
    let all_kinds = seeds::build(&seeds::all_kinds(), Endian::Little);
    let base = Arc::new(Btf::parse(&all_kinds).expect("the all-kinds seed parses"));
    let files = [
        ("all-kinds.btf", all_kinds.clone()),
        (
            "all-kinds-be.btf",
            seeds::build(&seeds::all_kinds(), Endian::Big),
        ),
        ("cycles.btf", seeds::build(&seeds::cycles(), Endian::Little)),
        (
            "split-on-all-kinds.btf",
            seeds::split_on_all_kinds(base, Endian::Little),
        ),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes)?;
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    for (i, len) in [64, 256, 512, 1024, 2048, 4096].into_iter().enumerate() {
        for target in ["object_gen", "core_gen"] {
            let bytes: Vec<u8> = (0..len).map(|_| next()).collect();
            std::fs::write(dir.join(format!("{target}-seed-{i}")), bytes)?;
        }
    }
    Ok(())
}
