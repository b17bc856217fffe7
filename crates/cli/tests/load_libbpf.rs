//! `corex load` beside libbpf 1.1 on objects nobody here wrote: the BPF
//! objects embedded in Debian's libbpf-tools. Each object is loaded whole
//! by libbpf (`libbpf/load_object.c`: `bpf_object__open_file` +
//! `bpf_object__load`, all or nothing) and by `corex load`; where the
//! whole object fails, each program is loaded alone by both too (libbpf's
//! `bpf_program__set_autoload`, corex's `-p`). Success must agree; a
//! failure must be of the same class: the same map or program failing,
//! and either the same errno from the kernel or both refusing before the
//! kernel. One refinement: a map whose attributes the kernel refuses
//! (libbpf: `BPF_MAP_CREATE` gives EINVAL) may be refused by corex's plan
//! before the kernel, naming the attribute (a map declared with
//! `max_entries` 0, which libbpf-tools' capable, cpudist, offcputime and
//! wakeuptime size at run time). Where they disagree otherwise, corex is
//! wrong until shown otherwise. The bpf/loader-tests objects go through
//! the same comparison. Needs root.

#[allow(dead_code)] // the CO-RE oracle's helpers are not all used here
mod libbpf;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use regex::Regex;

/// What a loader made of one load.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    /// The plan refused a map the kernel would refuse (EINVAL).
    MapRefusedBeforeKernel(String),
    /// Everything selected loaded.
    Loaded,
    /// The load failed: on this map or program, in the kernel (with this
    /// errno) or before it.
    Failed {
        culprit: Option<String>,
        kernel_errno: Option<String>,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Loaded => f.write_str("loaded"),
            Verdict::MapRefusedBeforeKernel(map) => {
                write!(
                    f,
                    "refused map {map} (before the kernel, or EINVAL from it)"
                )
            }
            Verdict::Failed {
                culprit,
                kernel_errno,
            } => write!(
                f,
                "failed on {} {}",
                culprit.as_deref().unwrap_or("(the object)"),
                kernel_errno
                    .as_deref()
                    .map_or("before the kernel".to_owned(), |e| format!("with {e}"))
            ),
        }
    }
}

fn culprit_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(prog|program|map) '([^']+)'").unwrap())
}

/// The errno's symbolic name.
fn errno_name(errno: i32) -> String {
    corex::sys::Errno(errno)
        .name()
        .map_or(format!("errno {errno}"), str::to_owned)
}

/// libbpf's verdict on `obj` (only `program` when given).
fn libbpf_load(obj: &Path, program: Option<&str>) -> (Verdict, String) {
    let mut cmd = Command::new(libbpf::load_object_bin());
    cmd.arg(obj).args(program);
    let out = String::from_utf8_lossy(&corex_testkit::run(&mut cmd)).into_owned();
    let first = out
        .lines()
        .find(|l| !l.starts_with("warn: "))
        .unwrap_or_default();
    if first == "result ok" {
        return (Verdict::Loaded, out);
    }
    let errno: i32 = first
        .rsplit(' ')
        .next()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let warnings: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("warn: "))
        .collect();
    let culprit = warnings
        .iter()
        .find_map(|w| culprit_re().captures(w))
        .map(|c| c[2].to_owned());
    let in_kernel = warnings
        .iter()
        .any(|w| w.contains("BPF program load failed") || w.contains("failed to create"));
    let map_refused = warnings.iter().find_map(|w| {
        let c = culprit_re().captures(w)?;
        (&c[1] == "map" && w.contains("failed to create") && errno == 22).then(|| c[2].to_owned())
    });
    let verdict = match map_refused {
        Some(map) => Verdict::MapRefusedBeforeKernel(map),
        None => Verdict::Failed {
            culprit,
            kernel_errno: in_kernel.then(|| errno_name(errno)),
        },
    };
    (verdict, out)
}

/// corex's verdict on `obj` (only `program` when given), from `corex load`.
fn corex_load(obj: &Path, program: Option<&str>) -> (Verdict, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corex"));
    cmd.arg("load").arg(obj);
    if let Some(p) = program {
        cmd.args(["-p", p]);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let text = format!("{stdout}{stderr}");
    if out.status.success() {
        return (Verdict::Loaded, text);
    }
    let failed_line = stdout.lines().find_map(|l| {
        let (what, rest) = l.split_once(' ')?;
        let (name, _) = rest.split_once(": failed: ")?;
        matches!(what, "map" | "program").then(|| name.to_owned())
    });
    let errno_re = Regex::new(r"(?:failed|refused): (E[A-Z0-9]+)").unwrap();
    let first_error = stderr.lines().next().unwrap_or_default();
    let map_culprit = culprit_re()
        .captures(first_error)
        .filter(|c| &c[1] == "map")
        .map(|c| c[2].to_owned());
    let map_einval = failed_line.is_some() && first_error.contains("BPF_MAP_CREATE failed: EINVAL");
    if let Some(map) = map_culprit.filter(|_| failed_line.is_none() || map_einval) {
        return (Verdict::MapRefusedBeforeKernel(map), text);
    }
    let verdict = Verdict::Failed {
        kernel_errno: failed_line
            .as_ref()
            .and_then(|_| errno_re.captures(first_error))
            .map(|c| c[1].to_owned()),
        culprit: failed_line
            .or_else(|| culprit_re().captures(first_error).map(|c| c[2].to_owned())),
    };
    (verdict, text)
}

/// The programs of `obj` (not the `.text` functions they call).
fn programs(obj: &Path) -> Vec<String> {
    let data = std::fs::read(obj).unwrap();
    let parsed = corex_object::Object::parse(&data).unwrap();
    parsed
        .programs
        .iter()
        .filter(|p| !p.subprog)
        .map(|p| p.name.clone())
        .collect()
}

#[derive(Default)]
struct Tally {
    loads: usize,
    loaded: usize,
    failed: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn compare(&mut self, obj: &Path, program: Option<&str>) -> Verdict {
        let (theirs, their_log) = libbpf_load(obj, program);
        let (ours, our_log) = corex_load(obj, program);
        self.loads += 1;
        match theirs {
            Verdict::Loaded => self.loaded += 1,
            _ => self.failed += 1,
        }
        if theirs != ours {
            self.disagreements.push(format!(
                "{} {}: libbpf {theirs}, corex {ours}\n--- libbpf\n{}\n--- corex\n{}",
                obj.file_name().unwrap().to_string_lossy(),
                program.unwrap_or("(whole object)"),
                their_log.lines().take(12).collect::<Vec<_>>().join("\n"),
                our_log.lines().take(12).collect::<Vec<_>>().join("\n"),
            ));
        }
        theirs
    }

    fn compare_object(&mut self, obj: &Path) {
        if self.compare(obj, None) == Verdict::Loaded {
            return;
        }
        for program in programs(obj) {
            self.compare(obj, Some(&program));
        }
    }
}

fn real_objects() -> Vec<PathBuf> {
    libbpf::real_objects(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-objects"))
}

#[test]
fn libbpf_tools_objects_load_as_libbpf_loads_them() {
    let objects = real_objects();
    assert!(
        objects.len() >= 50,
        "only {} objects extracted",
        objects.len()
    );
    let mut tally = Tally::default();
    for obj in &objects {
        tally.compare_object(obj);
    }
    println!(
        "{} objects, {} loads compared: {} loaded, {} failed (same class both sides), {} disagreements",
        objects.len(),
        tally.loads,
        tally.loaded,
        tally.failed,
        tally.disagreements.len()
    );
    assert!(
        tally.failed > 0 && tally.loaded > 0,
        "this kernel should refuse some (fentry)"
    );
    assert!(
        tally.disagreements.is_empty(),
        "{}",
        tally.disagreements.join("\n\n")
    );
}

#[test]
fn loader_test_objects_load_as_libbpf_loads_them() {
    let dir = corex_testkit::repo_root().join("bpf/loader-tests");
    let mut objects: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bpf.o"))
        // Pinning needs a BPF file system at /sys/fs/bpf, which this
        // comparison does not mount (corex's pinning is tested on its own).
        .filter(|p| !p.to_string_lossy().contains("pinned"))
        .collect();
    objects.sort();
    let mut tally = Tally::default();
    for obj in &objects {
        tally.compare_object(obj);
    }
    assert!(
        tally.disagreements.is_empty(),
        "{}",
        tally.disagreements.join("\n\n")
    );
}
