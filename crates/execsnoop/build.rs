//! Indexes the minimized BTFs of `bpf/execsnoop/btf/ARCH/RELEASE.btf` (made by
//! that directory's `rebuild.sh`) into `OUT_DIR/embedded_btfs.rs`: one
//! `EmbeddedBtf` per file, its bytes by `include_bytes!`, sorted by
//! architecture then release. Adding a kernel is rerunning the script.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../../bpf/execsnoop/btf");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    let arches = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    for arch in arches {
        let arch = arch.expect("reading bpf/execsnoop/btf").path();
        if !arch.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&arch).unwrap_or_else(|e| panic!("{}: {e}", arch.display())) {
            let file = file.expect("reading an architecture directory").path();
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let Some(release) = name.strip_suffix(".btf") else {
                continue;
            };
            let arch_name = arch.file_name().and_then(|n| n.to_str());
            let arch_name = arch_name.unwrap_or_else(|| panic!("{}: not UTF-8", arch.display()));
            let path = file
                .canonicalize()
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            entries.push((arch_name.to_owned(), release.to_owned(), path));
        }
    }
    entries.sort();
    let mut index = String::from("&[\n");
    for (arch, release, path) in &entries {
        let path = path
            .to_str()
            .unwrap_or_else(|| panic!("{}: not UTF-8", path.display()));
        writeln!(
            index,
            "    EmbeddedBtf {{ release: {release:?}, arch: {arch:?}, btf: include_bytes!({path:?}) }},"
        )
        .expect("writing to a String");
    }
    index.push(']');
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_btfs.rs");
    std::fs::write(&out, index).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
