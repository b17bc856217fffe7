//! The structure-aware fuzz targets' checks (`fuzz/src/checks.rs`) on a
//! bounded number of inputs in every test run: objects and CO-RE cases
//! generated from random bytes (as the fuzzers generate them), the hostile
//! families at every depth up to 31, and every input committed under
//! `fuzz/corpus/object_gen` and `fuzz/corpus/core_gen`.

#[path = "../../../fuzz/src/checks.rs"]
mod checks;
#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/coregen.rs"]
mod coregen;
#[path = "../../../fuzz/src/objarb.rs"]
mod objarb;
#[allow(dead_code)]
#[path = "../../../fuzz/src/objgen.rs"]
mod objgen;

use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every file of `fuzz/corpus/<target>/`.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn generated_objects(data in vec(any::<u8>(), 0..4096)) {
        checks::object_gen(&data);
    }

    #[test]
    fn generated_core_cases(data in vec(any::<u8>(), 0..2048)) {
        checks::core_gen(&data);
    }
}

#[test]
fn hostile_families_at_every_depth() {
    for which in 0..5u8 {
        for depth in 0..=31 {
            checks::check_core(&coregen::family(which, depth), Some(depth));
        }
    }
}

#[test]
fn committed_corpora() {
    for (path, data) in corpus("object_gen") {
        eprintln!("{}", path.display());
        checks::object_gen(&data);
    }
    for (path, data) in corpus("core_gen") {
        eprintln!("{}", path.display());
        checks::core_gen(&data);
    }
}
