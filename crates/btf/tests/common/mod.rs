//! Support for the differential tests against bpftool: fixture paths, loading,
//! dumping, cached bpftool dumps, and comparisons whose failure messages show
//! where two dumps part ways rather than two 10 MB strings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use corex_btf::dump::{json, raw, Filter};
use corex_btf::{Btf, Container};
use corex_testkit::{bpftool, kernels_dir, repo_root};

/// The running kernel's BTF.
pub const RUNNING_KERNEL: &str = "/sys/kernel/btf/vmlinux";

/// At least this many modules must have been fetched per kernel.
pub const MIN_MODULES: usize = 4;

/// The running kernel's BTF file; fails, saying so, if the kernel has none.
pub fn running_kernel() -> PathBuf {
    let p = PathBuf::from(RUNNING_KERNEL);
    assert!(
        p.exists(),
        "missing {RUNNING_KERNEL}: the tests need a kernel built with CONFIG_DEBUG_INFO_BTF"
    );
    p
}

/// A committed BPF test object under `bpf/btf-tests/`.
pub fn bpf_object(name: &str) -> PathBuf {
    let p = repo_root().join("bpf/btf-tests").join(name);
    assert!(
        p.exists(),
        "missing BPF test object {}: run bpf/btf-tests/build.sh",
        p.display()
    );
    p
}

/// The fetched modules of a kernel (`<kernel>/modules/*.ko`), sorted.
pub fn kernel_modules(kernel: &str) -> Vec<PathBuf> {
    let dir = kernels_dir().join(kernel).join("modules");
    let mut mods: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "missing fixture {}: {e}; run scripts/fetch-kernels.sh first",
                dir.display()
            )
        })
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ko"))
        .collect();
    mods.sort();
    assert!(
        mods.len() >= MIN_MODULES,
        "{} holds {} modules, expected at least {MIN_MODULES}: run scripts/fetch-kernels.sh again",
        dir.display(),
        mods.len()
    );
    mods
}

/// One fetched module of a kernel, by file name (e.g. `veth.ko`).
pub fn kernel_module(kernel: &str, file: &str) -> PathBuf {
    kernel_modules(kernel)
        .into_iter()
        .find(|m| m.ends_with(file))
        .unwrap_or_else(|| panic!("{kernel}: no module {file}: run scripts/fetch-kernels.sh again"))
}

/// Reads a file, naming it on failure.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Loads BTF in any container with corex, split on `base` if given, and
/// checks the container it was recognised as.
pub fn load_as(path: &Path, base: Option<&Arc<Btf>>, container: Container) -> Btf {
    let loaded = corex_btf::load(&read(path), base.cloned())
        .unwrap_or_else(|e| panic!("corex cannot load {}: {e}", path.display()));
    assert_eq!(
        loaded.container,
        container,
        "{} was read as the wrong container",
        path.display()
    );
    loaded.btf
}

/// Loads raw or ELF BTF (as its name says) that is not split.
pub fn load(path: &Path) -> Btf {
    let container = if is_elf(path) {
        Container::Elf
    } else {
        Container::Raw
    };
    load_as(path, None, container)
}

/// Whether `path` names an ELF file (by its extension) rather than raw BTF.
pub fn is_elf(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x == "o" || x == "ko" || x == "elf")
}

/// corex's raw dump of the types that pass `filter`.
pub fn raw_dump(btf: &Btf, filter: &Filter) -> Vec<u8> {
    let mut out = Vec::new();
    raw::dump(btf, filter, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// Overwrites the little-endian u32 at `at`.
pub fn put_u32(data: &mut [u8], at: usize, v: u32) {
    data[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The error's message, after checking it is an error containing every part.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(result: corex_btf::Result<T>, parts: &[&str]) -> String {
    let msg = match result {
        Ok(v) => panic!("expected an error containing {parts:?}, got Ok({v:?})"),
        Err(e) => e.to_string(),
    };
    for p in parts {
        assert!(msg.contains(p), "error {msg:?} does not contain {p:?}");
    }
    msg
}

/// corex's C dump of `btf`.
pub fn c_dump(btf: &Btf) -> Result<Vec<u8>, corex_btf::Error> {
    let mut out = Vec::new();
    corex_btf::dump::c::dump(btf, &mut out)?;
    Ok(out)
}

/// Owned enumerators, for `TypeDef::enumeration`.
pub fn values(values: &[(&str, i64)]) -> Vec<(String, i64)> {
    values.iter().map(|&(n, v)| (n.into(), v)).collect()
}

/// Owned parameters, for `TypeDef::func_proto`.
pub fn params(params: &[(&str, corex_btf::TypeId)]) -> Vec<(String, corex_btf::TypeId)> {
    params.iter().map(|&(n, t)| (n.into(), t)).collect()
}

/// corex's JSON dump of the types that pass `filter`.
pub fn json_dump(btf: &Btf, filter: &Filter) -> Vec<u8> {
    let mut out = Vec::new();
    json::dump(btf, filter, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// Output format of a bpftool dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `bpftool btf dump file F`.
    Raw,
    /// `bpftool -j btf dump file F`.
    Json,
}

type DumpKey = (PathBuf, Option<PathBuf>, Format);
type DumpCell = Arc<OnceLock<Arc<Vec<u8>>>>;

/// bpftool's dump of `file` (split on `base`), run once per process and
/// shared by the tests that compare against it.
pub fn bpftool_dump(file: &Path, base: Option<&Path>, format: Format) -> Arc<Vec<u8>> {
    static CACHE: OnceLock<Mutex<HashMap<DumpKey, DumpCell>>> = OnceLock::new();
    let key = (file.to_owned(), base.map(Path::to_owned), format);
    let cell = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(key)
        .or_default()
        .clone();
    cell.get_or_init(|| Arc::new(run_bpftool_dump(file, base, format)))
        .clone()
}

/// Runs bpftool's dump of `file` without caching (for files a test writes).
pub fn run_bpftool_dump(file: &Path, base: Option<&Path>, format: Format) -> Vec<u8> {
    let file = file.to_str().expect("UTF-8 path");
    let mut args: Vec<&str> = Vec::new();
    if format == Format::Json {
        args.push("-j");
    }
    if let Some(b) = base {
        args.extend(["-B", b.to_str().expect("UTF-8 path")]);
    }
    args.extend(["btf", "dump", "file", file]);
    bpftool(&args)
}

/// A file in this test binary's scratch directory holding `bytes`.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
    p
}

fn lines_around(text: &[u8], line: usize) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .enumerate()
        .skip(line.saturating_sub(3))
        .take(6)
        .map(|(i, l)| format!("  {:>7}: {l}\n", i + 1))
        .collect()
}

/// Asserts two text dumps are byte-identical; on failure shows the first
/// differing line of each with some context.
pub fn assert_same_text(what: &str, ours: &[u8], expected: &[u8]) {
    if ours == expected {
        return;
    }
    let ours_lines: Vec<&[u8]> = ours.split(|&b| b == b'\n').collect();
    let expected_lines: Vec<&[u8]> = expected.split(|&b| b == b'\n').collect();
    let line = ours_lines
        .iter()
        .zip(&expected_lines)
        .position(|(a, b)| a != b)
        .unwrap_or(ours_lines.len().min(expected_lines.len()));
    panic!(
        "{what}: corex's output differs from bpftool's at line {} \
         (corex: {} bytes, {} lines; bpftool: {} bytes, {} lines)\ncorex:\n{}bpftool:\n{}",
        line + 1,
        ours.len(),
        ours_lines.len(),
        expected.len(),
        expected_lines.len(),
        lines_around(ours, line),
        lines_around(expected, line)
    );
}

/// Parses JSON output, naming what it is on failure.
pub fn parse_json(what: &str, text: &[u8]) -> serde_json::Value {
    serde_json::from_slice(text).unwrap_or_else(|e| panic!("{what}: not valid JSON: {e}"))
}

/// The `types` array of a JSON dump.
pub fn json_types<'a>(what: &str, doc: &'a serde_json::Value) -> &'a Vec<serde_json::Value> {
    doc.get("types")
        .and_then(serde_json::Value::as_array)
        .unwrap_or_else(|| panic!("{what}: JSON dump has no \"types\" array"))
}

/// Asserts two JSON documents are equal as values, showing the first type
/// entry that differs.
pub fn assert_same_json_value(what: &str, ours: &serde_json::Value, expected: &serde_json::Value) {
    if ours == expected {
        return;
    }
    let (a, b) = (json_types(what, ours), json_types(what, expected));
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => panic!(
            "{what}: JSON type entry #{i} differs\ncorex:   {}\nbpftool: {}",
            a[i], b[i]
        ),
        None => panic!(
            "{what}: JSON dumps differ: corex has {} type entries, bpftool {} \
             (or they differ outside \"types\")",
            a.len(),
            b.len()
        ),
    }
}

/// Asserts two JSON dumps are equal as values and then byte for byte.
pub fn assert_same_json(what: &str, ours: &[u8], expected: &[u8]) {
    let ours_doc = parse_json(&format!("{what} (corex)"), ours);
    let expected_doc = parse_json(&format!("{what} (bpftool)"), expected);
    assert_same_json_value(what, &ours_doc, &expected_doc);
    if ours != expected {
        let at = ours
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(expected.len()));
        let around = |s: &[u8]| {
            String::from_utf8_lossy(&s[at.saturating_sub(60)..(at + 60).min(s.len())]).into_owned()
        };
        panic!(
            "{what}: JSON equal as values but not as bytes, first difference at byte {at}\n\
             corex:   {}\nbpftool: {}",
            around(ours),
            around(expected)
        );
    }
}

/// Compares corex's raw and JSON dumps of `file` (split on `base`) with bpftool's.
pub fn assert_dumps_match_bpftool(what: &str, btf: &Btf, file: &Path, base: Option<&Path>) {
    let all = Filter::default();
    assert_same_text(
        &format!("{what}: raw dump"),
        &raw_dump(btf, &all),
        &bpftool_dump(file, base, Format::Raw),
    );
    assert_same_json(
        &format!("{what}: JSON dump"),
        &json_dump(btf, &all),
        &bpftool_dump(file, base, Format::Json),
    );
}
