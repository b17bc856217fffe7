//! Evaluates C expressions with the kernel's UAPI headers, so tests compare
//! corex's numbers and layouts with what a C compiler computes from the
//! headers. Shared by corex-uapi's and corex-sys's tests (`#[path]`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// The directory holding `linux/bpf.h`, `linux/bpf_common.h` and
/// `linux/perf_event.h` of Linux 6.12 (`$COREX_UAPI_HEADERS`, default
/// `<repo>/.cache/uapi-6.12`), fetched by `fetch-uapi-headers.sh` from
/// Debian's packages when missing.
pub fn uapi_612_dir() -> PathBuf {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../uapi/tests/fetch-uapi-headers.sh")
        .canonicalize()
        .expect("crates/uapi/tests/fetch-uapi-headers.sh exists");
    let dir = std::env::var_os("COREX_UAPI_HEADERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| script.ancestors().nth(4).unwrap().join(".cache/uapi-6.12"));
    if !dir.join("version.txt").exists() {
        let status = Command::new("bash")
            .arg(&script)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            status.success(),
            "{} failed: the Linux 6.12 UAPI headers are needed to check the numbers",
            script.display()
        );
    }
    dir
}

/// Compiles and runs a C program that includes `headers` (with `include_dir`
/// searched first, or only the system's headers when `None`), defines
/// `prelude`, and prints each expression's value as an unsigned 64-bit
/// number. Returns expression -> value. `link` adds linker arguments.
pub fn eval(
    include_dir: Option<&std::path::Path>,
    headers: &[&str],
    prelude: &str,
    exprs: &[String],
) -> BTreeMap<String, u64> {
    let mut src = String::from("#include <stdio.h>\n#include <stddef.h>\n#include <string.h>\n");
    for h in headers {
        src.push_str(&format!("#include <{h}>\n"));
    }
    src.push_str(prelude);
    src.push_str("\nint main(void) {\n");
    let mut unique: Vec<&String> = exprs.iter().collect();
    unique.sort();
    unique.dedup();
    for (i, e) in unique.iter().enumerate() {
        src.push_str(&format!(
            "    printf(\"%d %llu\\n\", {i}, (unsigned long long)({e}));\n"
        ));
    }
    src.push_str("    return 0;\n}\n");
    let out = run_c(include_dir, &src, &[]);
    let mut values = BTreeMap::new();
    for line in out.lines() {
        let (i, v) = line.split_once(' ').expect("index value");
        let i: usize = i.parse().unwrap();
        values.insert(unique[i].clone(), v.parse().unwrap());
    }
    assert_eq!(values.len(), unique.len(), "every expression printed");
    values
}

/// Compiles `src` (with `include_dir` first on the include path), links it
/// with `link` and returns its standard output.
pub fn run_c(include_dir: Option<&std::path::Path>, src: &str, link: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "corex-c-header-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&c, src).unwrap();
    let mut cc = Command::new("cc");
    cc.arg("-std=gnu11").arg("-Wall").arg("-Werror");
    if let Some(inc) = include_dir {
        cc.arg("-I").arg(inc);
    }
    cc.arg("-o").arg(&exe).arg(&c).args(link);
    let built = cc.output().expect("cc runs");
    assert!(
        built.status.success(),
        "cc failed on {}:\n{}",
        c.display(),
        String::from_utf8_lossy(&built.stderr)
    );
    let ran = Command::new(&exe).output().expect("probe runs");
    assert!(ran.status.success(), "{} failed", exe.display());
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(ran.stdout).unwrap()
}
