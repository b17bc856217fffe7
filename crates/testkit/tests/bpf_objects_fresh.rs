//! The committed BPF objects of `bpf/lab`, `bpf/execsnoop`, `bpf/broken` and
//! `bpf/loader-tests` are exactly what their sources build to: `bpf/build.sh
//! --out TMP` rebuilds every one with the same clang into a temporary
//! directory, and each must match the committed file byte for byte. A changed
//! source (or header) whose object was not rebuilt and committed fails here.

use corex_testkit::{repo_root, run};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The clang the committed objects were built with (Debian 12's clang 14).
const CLANG_MAJOR: &str = "clang version 14.";

/// Directories whose objects `bpf/build.sh` owns.
const BUILT_DIRS: [&str; 4] = ["lab", "execsnoop", "loader-tests", "broken"];

/// A temporary directory removed when the test ends, pass or fail.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn build_script() -> PathBuf {
    repo_root().join("bpf/build.sh")
}

/// The objects `bpf/build.sh` builds, as paths relative to `bpf/`.
fn listed_objects() -> Vec<String> {
    let out = run(Command::new(build_script()).arg("--list"));
    String::from_utf8(out)
        .expect("build.sh --list prints UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Every `*.bpf.o` committed in the directories build.sh owns.
fn committed_objects(bpf: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for dir in BUILT_DIRS {
        for entry in fs::read_dir(bpf.join(dir)).unwrap_or_else(|e| panic!("bpf/{dir}: {e}")) {
            let name = entry.expect("directory entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".bpf.o") {
                found.insert(format!("{dir}/{name}"));
            }
        }
    }
    found
}

#[test]
fn committed_bpf_objects_match_a_rebuild() {
    let version =
        String::from_utf8_lossy(&run(Command::new("clang").arg("--version"))).into_owned();
    assert!(
        version.contains(CLANG_MAJOR),
        "the committed BPF objects are built with Debian's clang 14; `clang --version` says:\n{version}\
         install Debian 12's clang (scripts/test.sh does) to check them"
    );

    let bpf = repo_root().join("bpf");
    let listed = listed_objects();
    let committed = committed_objects(&bpf);
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(
        committed, listed_set,
        "the committed *.bpf.o files (left) and the objects bpf/build.sh builds (right) differ"
    );

    let tmp = TempDir(std::env::temp_dir().join(format!("corex-bpf-fresh-{}", std::process::id())));
    let _ = fs::remove_dir_all(&tmp.0);
    fs::create_dir_all(&tmp.0).expect("create the temporary directory");
    run(Command::new(build_script()).arg("--out").arg(&tmp.0));

    let stale: Vec<String> = listed
        .iter()
        .filter(|object| {
            let committed =
                fs::read(bpf.join(object)).unwrap_or_else(|e| panic!("bpf/{object}: {e}"));
            let rebuilt =
                fs::read(tmp.0.join(object)).unwrap_or_else(|e| panic!("rebuilt {object}: {e}"));
            committed != rebuilt
        })
        .map(|object| format!("bpf/{object}"))
        .collect();
    assert!(
        stale.is_empty(),
        "stale BPF objects (their sources build to other bytes): {}\n\
         run bpf/build.sh and commit the objects (clang: {})",
        stale.join(", "),
        version.lines().next().unwrap_or_default()
    );
}
