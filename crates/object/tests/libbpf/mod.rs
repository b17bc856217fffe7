//! libbpf 1.1 as the load plan's oracle: `fake_kernel.c` (built here at
//! test time against Debian's static libbpf) runs `bpf_object__load()`
//! against a fake kernel and prints every bpf(2) call; [`Trace`] reads
//! that record back.

pub mod compare;
pub mod kernel;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Directory for everything the oracle builds and writes.
pub fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("load_libbpf");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    dir
}

/// The `fake_kernel` harness, compiled once per test process.
pub fn fake_kernel_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libbpf/fake_kernel.c");
        let out = work_dir().join("fake_kernel");
        corex_testkit::compile_c(&src, &out, &["-l:libbpf.a", "-lelf", "-lz"]);
        out
    })
}

/// The fake kernel and what libbpf's user does before loading.
#[derive(Clone, Debug, Default)]
pub struct Fake {
    /// Environment variables (`FAKE_*`, see fake_kernel.c).
    pub env: Vec<(String, String)>,
}

impl Fake {
    /// Sets `FAKE_<name>`.
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Fake {
        self.env.push((format!("FAKE_{name}"), value.into()));
        self
    }
}

/// One `key=value` record of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `btf_load`, `map_create`, `prog_load`, ...
    pub what: String,
    fields: HashMap<String, String>,
}

impl Record {
    /// Field `key` (panics if absent: the harness always prints it).
    pub fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("{} record without {key}: {self:?}", self.what))
    }

    /// Field `key` as a number.
    pub fn num(&self, key: &str) -> u64 {
        self.get(key)
            .parse()
            .unwrap_or_else(|e| panic!("{} {key}={}: {e}", self.what, self.get(key)))
    }
}

/// Everything libbpf asked of the fake kernel, in order, and its log.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The records.
    pub records: Vec<Record>,
    /// libbpf's messages.
    pub log: String,
}

/// Decodes hex (`-` is empty).
pub fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

impl Trace {
    /// The records of one kind.
    pub fn all<'t>(&'t self, what: &'t str) -> impl Iterator<Item = &'t Record> + 't {
        self.records.iter().filter(move |r| r.what == what)
    }

    /// `bpf_object__load()`'s result (0 on success, `None` if open failed).
    pub fn load_result(&self) -> Option<i64> {
        self.all("load")
            .next()
            .map(|r| r.get("result").parse().unwrap())
    }
}

/// Runs libbpf on `obj` against the fake kernel `fake`.
pub fn run(obj: &Path, fake: &Fake) -> Trace {
    let out = Command::new(fake_kernel_bin())
        .arg(obj)
        .envs(fake.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("cannot run fake_kernel: {e}"));
    assert!(
        out.status.success(),
        "fake_kernel {} failed: {}\n{}",
        obj.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let records = text
        .lines()
        .map(|line| {
            let mut words = line.split(' ');
            let what = words.next().unwrap_or_default().to_owned();
            let mut fields = HashMap::new();
            let mut last: Option<String> = None;
            for w in words {
                match w.split_once('=') {
                    Some((k, v)) => {
                        fields.insert(k.to_owned(), v.to_owned());
                        last = Some(k.to_owned());
                    }
                    // A value with spaces (a license): glue it back on.
                    None => {
                        if let Some(v) = last.as_ref().and_then(|k| fields.get_mut(k)) {
                            v.push(' ');
                            v.push_str(w);
                        }
                    }
                }
            }
            Record { what, fields }
        })
        .collect();
    Trace {
        records,
        log: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
