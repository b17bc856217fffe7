//! The libbpf 1.1 oracle for CO-RE relocation: `core_log.c` (built here at
//! test time against Debian's libbpf-dev), the parser of its log
//! ([`log`]), and the synthetic target BTFs ([`targets`]).

pub mod log;
pub mod targets;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Directory for everything the oracle builds and writes.
pub fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reloc_libbpf");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    dir
}

/// The `core_log` harness, compiled against libbpf once per test process.
pub fn core_log_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_harness("core_log"))
}

/// The `load_one` harness (loads one program into the running kernel).
#[allow(dead_code)] // used by the check tests only
pub fn load_one_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_harness("load_one"))
}

/// The `load_object` harness (loads an object, or one of its programs,
/// into the running kernel as libbpf does).
#[allow(dead_code)] // used by the load tests only
pub fn load_object_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_harness("load_object"))
}

/// The `read_global` harness (loads an object with libbpf, runs one
/// program once, prints a global data map's bytes).
#[allow(dead_code)] // used by the kconfig test only
pub fn read_global_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_harness("read_global"))
}

/// Compiles `tests/libbpf/NAME.c` against libbpf into the work directory.
fn build_harness(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/libbpf/{name}.c"));
    let out = work_dir().join(name);
    corex_testkit::compile_c(&src, &out, &["-lbpf", "-lelf", "-lz"]);
    out
}

/// The BPF objects embedded in Debian's libbpf-tools binaries, extracted
/// by `bpf/real-objects/extract.sh` into `dir`; their paths, sorted.
#[allow(dead_code)] // used by the load tests only
pub fn real_objects(dir: &Path) -> Vec<PathBuf> {
    let script = corex_testkit::repo_root().join("bpf/real-objects/extract.sh");
    corex_testkit::run(Command::new(script).arg(dir));
    let mut objects: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
        .collect();
    objects.sort();
    objects
}

/// libbpf's complete log for loading `obj` with `btf_custom_path = btf`.
pub fn core_log_text(obj: &Path, btf: &Path) -> String {
    let out = Command::new(core_log_bin())
        .arg(obj)
        .arg(btf)
        .output()
        .unwrap_or_else(|e| panic!("cannot run core_log: {e}"));
    assert!(
        out.status.success(),
        "core_log {} {} failed: {}\n{}",
        obj.display(),
        btf.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// libbpf's relocation records for `obj` against `btf`.
pub fn relocate(obj: &Path, btf: &Path) -> log::CoreLog {
    let text = core_log_text(obj, btf);
    log::parse(&text).unwrap_or_else(|e| {
        panic!(
            "libbpf log of {} against {}: {e}\n{text}",
            obj.display(),
            btf.display()
        )
    })
}
