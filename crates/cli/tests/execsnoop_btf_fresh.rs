//! The BTFs built into corex execsnoop (`bpf/execsnoop/btf/ARCH/RELEASE.btf`)
//! are what `bpf/execsnoop/btf/rebuild.sh` makes from the kernels at hand:
//! rerun with this build's corex into a temporary directory, every file it
//! remakes must equal the committed one byte for byte (a kernel at hand with
//! no committed file, such as a newer Debian kernel, is named on stderr). The kernels of `scripts/fetch-kernels.sh`
//! (`$COREX_KERNELS`) must be there; xtask's cache (`target/kernels`,
//! `$COREX_XTASK_KERNELS`) and the running kernel (when a file is committed
//! for its release) are used when present, and the files nothing here could
//! remake are named on stderr.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use corex_testkit::{kernel_file, kernels_dir, repo_root, run};

/// A temporary directory removed when the test ends, pass or fail.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `ARCH/RELEASE.btf` → bytes, for every file of a tree.
fn btf_files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for arch in fs::read_dir(root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let arch = arch.unwrap().path();
        if !arch.is_dir() {
            continue;
        }
        for file in fs::read_dir(&arch).unwrap().flatten() {
            let name = file.file_name().into_string().unwrap();
            if name.ends_with(".btf") {
                let arch_name = arch.file_name().unwrap().to_str().unwrap();
                files.insert(
                    format!("{arch_name}/{name}"),
                    fs::read(file.path()).unwrap(),
                );
            }
        }
    }
    files
}

#[test]
fn embedded_btfs_are_what_rebuild_sh_makes() {
    let tree = repo_root().join("bpf/execsnoop/btf");
    let committed = btf_files(&tree);
    // The kernels of scripts/fetch-kernels.sh are required.
    kernel_file("debian-6.1", "version.txt");
    kernel_file("debian-6.12", "version.txt");

    let out = TempDir(Path::new(env!("CARGO_TARGET_TMPDIR")).join("execsnoop-btf-fresh"));
    let _ = fs::remove_dir_all(&out.0);
    let mut script = Command::new(tree.join("rebuild.sh"));
    script
        .arg("--out")
        .arg(&out.0)
        .env("COREX", env!("CARGO_BIN_EXE_corex"))
        .env("COREX_KERNELS", kernels_dir());
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    };
    let running = format!("{arch}/{}.btf", release.trim());
    if committed.contains_key(&running) && Path::new("/sys/kernel/btf/vmlinux").exists() {
        script.arg("--running");
    }
    let report = String::from_utf8(run(&mut script)).unwrap();
    eprint!("{report}");
    let remade = btf_files(&out.0);

    for (name, bytes) in &remade {
        match committed.get(name) {
            Some(old) => assert!(
                old == bytes,
                "bpf/execsnoop/btf/{name} differs from what rebuild.sh makes now \
                 ({} bytes committed, {} remade): run bpf/execsnoop/btf/rebuild.sh and commit",
                old.len(),
                bytes.len()
            ),
            // scripts/fetch-kernels.sh takes Debian's newest 6.1 and 6.12:
            // a kernel newer than the committed set is news, not a failure.
            None => eprintln!(
                "a kernel at hand has no committed BTF, bpf/execsnoop/btf/{name}: run \
                 bpf/execsnoop/btf/rebuild.sh and commit it to build it in"
            ),
        }
    }
    for release in ["6.1.0-", "6.12."] {
        assert!(
            remade
                .keys()
                .any(|n| n.starts_with(&format!("x86_64/{release}"))),
            "rebuild.sh made no {release} file: {:?}",
            remade.keys()
        );
    }
    let unchecked: Vec<&String> = committed
        .keys()
        .filter(|n| !remade.contains_key(*n))
        .collect();
    if !unchecked.is_empty() {
        eprintln!("not checked, their kernels are not at hand here: {unchecked:?}");
    }
}
