//! The `load_plan` fuzz target's checks (support/load_exercise.rs) on the
//! committed fuzz corpus and on bounded random edits and truncations of the
//! test objects: parsing and planning never panic.

#[path = "support/load_exercise.rs"]
mod load_exercise;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/load");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn the_committed_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/load_plan");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        load_exercise::exercise(&std::fs::read(e.unwrap().path()).unwrap());
        n += 1;
    }
    assert!(n >= 10, "{n} corpus files");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn edited_objects(seed in 0usize..64, edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)) {
        let seeds = seeds();
        let mut data = seeds[seed % seeds.len()].clone();
        for (at, byte) in edits {
            let i = at.index(data.len());
            data[i] = byte;
        }
        load_exercise::exercise(&data);
    }

    #[test]
    fn truncated_objects(seed in 0usize..64, keep in any::<prop::sample::Index>()) {
        let seeds = seeds();
        let data = &seeds[seed % seeds.len()];
        load_exercise::exercise(&data[..keep.index(data.len())]);
    }
}
