//! The variants of the matrix: what corex runs on every kernel, and who judges it.
//! The one table to edit to add a variant is [`table`].

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use serde::Serialize;

use crate::check::{self, Check, Checker, LoadExpect, ModeNeeds, Verdict};
use crate::kernels::Feature;

/// How the kernel's BTF reaches corex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scenario {
    /// Normal: corex reads `/sys/kernel/btf/vmlinux`.
    #[serde(rename = "btf")]
    Btf,
    /// `/sys/kernel/btf` hidden under an empty tmpfs; the same kernel's BTF, extracted
    /// from its vmlinuz on the host, is handed in as a file.
    #[serde(rename = "no-btf")]
    NoBtf,
}

impl Scenario {
    /// Both, in the order the driver runs them.
    pub const ALL: &'static [Scenario] = &[Scenario::Btf, Scenario::NoBtf];

    /// The name in plans, driver output and matrix.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Btf => "btf",
            Scenario::NoBtf => "no-btf",
        }
    }

    /// Parses [`Scenario::as_str`]'s names.
    pub fn from_name(name: &str) -> Option<Self> {
        Scenario::ALL.iter().copied().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One argument of a corex command line.
#[derive(Clone, Debug)]
pub enum Arg {
    /// Itself.
    Lit(&'static str),
    /// A file of the repository, by its path relative to the repository's root (copied
    /// into the initramfs under the same relative path).
    Fixture(String),
    /// The kernel's BTF: nothing in scenario `btf` (corex reads the kernel's own), the
    /// extracted file otherwise, after the flag if there is one (`--btf FILE`).
    KernelBtf(Option<&'static str>),
    /// The module `NAME.ko` of the kernel's package (see [`Paths::modules`]).
    KernelModule(&'static str),
}

/// What the driver sends back of a command's standard output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// All of it (gzip + base64 on the console): JSON documents, events.
    Full,
    /// SHA-256, bytes and lines: megabyte dumps the host recomputes.
    Digest,
}

impl Capture {
    /// The name in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Capture::Full => "full",
            Capture::Digest => "digest",
        }
    }
}

/// Where files are, for the side that runs a command.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The directory holding the repository-relative fixture paths.
    pub fixtures: PathBuf,
    /// This kernel's BTF as a file.
    pub kernel_btf: PathBuf,
    /// The directory of this kernel's modules (`NAME.ko`), if it has them (kernels with
    /// module BTF; not the running kernel).
    pub modules: Option<PathBuf>,
}

/// One row of the variant table.
pub struct Variant {
    /// Name in the matrix (letters, digits and `:._/-`).
    pub name: String,
    /// The scenarios it runs in.
    pub scenarios: &'static [Scenario],
    /// corex's arguments.
    pub args: Vec<Arg>,
    /// What comes back of standard output.
    pub capture: Capture,
    /// The driver kills corex after this long (the checker then says FAIL).
    pub timeout_secs: u32,
    /// When set, corex runs in the background until this text is in its output, the
    /// driver runs `workload`, then stops corex with SIGINT (tracers such as execsnoop).
    pub ready: Option<String>,
    /// Commands the driver runs while corex traces (each a program and its arguments);
    /// their pids and statuses come back with the result.
    pub workload: Vec<Vec<String>>,
    /// What the host runs as the checker's expected result.
    pub reference: Reference,
    /// Decides ok / unsupported / fail.
    pub check: Checker,
}

impl Variant {
    /// A foreground command with a host reference run of the same arguments and the
    /// default timeout.
    pub fn new(
        name: impl Into<String>,
        scenarios: &'static [Scenario],
        args: Vec<Arg>,
        capture: Capture,
        check: impl Fn(&Check) -> Verdict + Send + Sync + 'static,
    ) -> Self {
        Variant {
            name: name.into(),
            scenarios,
            args,
            capture,
            timeout_secs: 120,
            ready: None,
            workload: Vec::new(),
            reference: Reference::Same,
            check: Box::new(check),
        }
    }

    /// The host's reference command line for `paths` (always the no-btf form: the host
    /// runs against the extracted BTF), if the row has one.
    /// A reference that reads a module has none on a kernel without modules.
    pub fn reference_argv(&self, paths: &Paths) -> Option<Vec<String>> {
        let args = match &self.reference {
            Reference::None => return None,
            Reference::Same => &self.args,
            Reference::Command(args) => args,
        };
        let reads_a_module = args.iter().any(|a| matches!(a, Arg::KernelModule(_)));
        if reads_a_module && paths.modules.is_none() {
            return None;
        }
        Some(expand(args, paths, Scenario::NoBtf))
    }

    /// The command line for `paths` in `scenario`.
    pub fn argv(&self, paths: &Paths, scenario: Scenario) -> Vec<String> {
        expand(&self.args, paths, scenario)
    }

    /// The repository files it needs in the guest.
    pub fn fixtures(&self) -> impl Iterator<Item = &str> {
        self.args.iter().filter_map(|a| match a {
            Arg::Fixture(rel) => Some(rel.as_str()),
            _ => None,
        })
    }
}

/// What the host runs for a row's checker to compare with.
#[derive(Clone, Debug)]
pub enum Reference {
    /// Nothing.
    None,
    /// The row's own arguments against the extracted BTF.
    Same,
    /// Other corex arguments (e.g. `inspect` for what a `load` must have loaded).
    Command(Vec<Arg>),
}

/// `args` as a command line for `paths` in `scenario`.
fn expand(args: &[Arg], paths: &Paths, scenario: Scenario) -> Vec<String> {
    let mut argv = Vec::new();
    for arg in args {
        match arg {
            Arg::Lit(s) => argv.push(s.to_string()),
            Arg::Fixture(rel) => argv.push(paths.fixtures.join(rel).display().to_string()),
            Arg::KernelBtf(flag) => {
                if scenario == Scenario::NoBtf {
                    argv.extend(flag.map(str::to_string));
                    argv.push(paths.kernel_btf.display().to_string());
                }
            }
            Arg::KernelModule(name) => {
                let dir = paths
                    .modules
                    .as_deref()
                    .unwrap_or(Path::new("/nonexistent"));
                argv.push(dir.join(format!("{name}.ko")).display().to_string());
            }
        }
    }
    argv
}

/// Directories whose `*.bpf.o` objects each get a `reloc:` row, with the row-name
/// prefix: the CO-RE corpus, the seed's lab and execsnoop's BPF side.
const RELOC_OBJECT_DIRS: &[(&str, &str)] = &[
    ("bpf/core-tests", ""),
    ("bpf/core-tests/gcc", "gcc/"),
    ("bpf/lab", "lab/"),
    ("bpf/execsnoop", "execsnoop/"),
];

/// Directories whose `*.bpf.o` objects each get a `load:` row (the objects
/// `bpf/build.sh --list` names: the seed's lab, execsnoop's BPF side, the loader
/// tests, and the broken object, which loads everywhere but reads the wrong field).
const LOAD_OBJECT_DIRS: &[&str] = &["bpf/lab", "bpf/execsnoop", "bpf/loader-tests", "bpf/broken"];

/// What loading each of those objects must give, by file stem, and whether it needs
/// the kernel's own BTF (tp_btf/fentry attach targets, kfuncs, typed ksyms). An object
/// missing here is an error of [`table`]: say what it must do first.
fn load_expectation(stem: &str) -> Option<(LoadExpect, bool)> {
    use Feature::*;
    use LoadExpect::*;
    const FENTRY: (Feature, &str) = (Trampolines, "fentry needs BPF trampolines");
    Some(match stem {
        "lab" | "execsnoop" | "execsnoop_perf" => (Needs(&[FENTRY]), true),
        "ksyms" => (Loads, true),
        "kfunc" => (Needs(&[(TaskAcquireKfunc, "bpf_task_acquire")]), true),
        "ksyms_typed" => (Needs(&[(TypedPercpuKsym, "process_counts")]), true),
        "module_btf" => (Needs(check::MODULE_BTF_NEEDS), true),
        other => (load_expectation_without_kernel_btf(other)?, false),
    })
}

/// [`load_expectation`] of the objects that need no kernel BTF.
fn load_expectation_without_kernel_btf(stem: &str) -> Option<LoadExpect> {
    use LoadExpect::*;
    Some(match stem {
        "buffers" | "globals" | "kconfig" | "maps" | "pinned" | "subprogs" | "hardcoded_pid" => {
            Loads
        }
        "core_poison" => Refused("failed to resolve CO-RE relocation"),
        "extern_missing" => Refused("extern 'corex_no_such_symbol': not found"),
        "static_in_section" => Refused("is static; BPF programs must be global functions"),
        "verifier_reject" => Refused("invalid mem access"),
        // After `load:pinned` pinned `corex_pinned` with other sizes (rows run in order,
        // in one BPF file system the driver mounts).
        "pinned_incompatible" => Refused("the map pinned at"),
        _ => return None,
    })
}

/// `corex execsnoop --attach` modes (the row names) and what each needs of the kernel.
const EXECSNOOP_MODES: &[(&str, ModeNeeds)] = &[
    (
        "tracepoint",
        ModeNeeds {
            feature: None,
            kernel_btf: false,
        },
    ),
    (
        "raw_tracepoint",
        ModeNeeds {
            feature: None,
            kernel_btf: false,
        },
    ),
    (
        "tp_btf",
        ModeNeeds {
            feature: None,
            kernel_btf: true,
        },
    ),
    (
        "kprobe",
        ModeNeeds {
            feature: Some((Feature::Kprobes, "cannot attach kprobe")),
            kernel_btf: false,
        },
    ),
    (
        "kprobe_multi",
        ModeNeeds {
            feature: Some((Feature::KprobeMulti, "cannot attach kprobe.multi")),
            kernel_btf: false,
        },
    ),
    (
        "fentry",
        ModeNeeds {
            feature: Some((Feature::Trampolines, "fentry needs BPF trampolines")),
            kernel_btf: true,
        },
    ),
];

/// `--max-args` of the execsnoop rows; the workload passes more to one exec.
const EXECSNOOP_MAX_ARGS: usize = 20;
/// The same, as corex's argument.
const EXECSNOOP_MAX_ARGS_TEXT: &str = "20";

/// The execs the driver makes while execsnoop traces: spaces, UTF-8, a long argument,
/// more arguments than `--max-args`, another program.
fn execsnoop_workload() -> Vec<Vec<String>> {
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let many: Vec<String> = std::iter::once("/bin/true".to_string())
        .chain((1..=EXECSNOOP_MAX_ARGS + 4).map(|i| format!("arg-{i}")))
        .collect();
    vec![
        owned(&["/bin/true", "corex-matrix", "two words", "ünïcode ✓"]),
        many,
        vec!["/bin/true".into(), "x".repeat(1000), "after-long".into()],
        owned(&["/bin/echo", "-n", "corex-matrix-echo"]),
    ]
}

/// The row `name`: `corex execsnoop --attach MODE --json -x` with `extra` arguments
/// and [`execsnoop_workload`], judged by [`check::traced`].
fn execsnoop_row(
    name: &str,
    mode: &'static str,
    needs: ModeNeeds,
    extra: &[&'static str],
) -> Variant {
    use Arg::{KernelBtf, Lit};
    let mut args = vec![
        Lit("execsnoop"),
        Lit("--attach"),
        Lit(mode),
        Lit("--json"),
        Lit("-x"),
        Lit("--max-args"),
        Lit(EXECSNOOP_MAX_ARGS_TEXT),
    ];
    args.extend(extra.iter().map(|&a| Lit(a)));
    args.push(KernelBtf(Some("--btf")));
    Variant {
        ready: Some("corex execsnoop: tracing execs".into()),
        workload: execsnoop_workload(),
        reference: Reference::None,
        timeout_secs: 60,
        ..Variant::new(
            name,
            Scenario::ALL,
            args,
            Capture::Full,
            check::traced(needs, EXECSNOOP_MAX_ARGS),
        )
    }
}

/// The variant table. Rows run in this order, scenario by scenario.
pub fn table(repo: &Path) -> Result<Vec<Variant>> {
    use Arg::{KernelBtf, Lit};
    let both = Scenario::ALL;
    let mut rows = vec![
        // corex's raw dump of the kernel's BTF equals the host's of the BTF in its vmlinuz.
        Variant::new(
            "btf:dump",
            both,
            vec![Lit("btf"), Lit("dump"), KernelBtf(None)],
            Capture::Digest,
            check::same_dump,
        ),
        // The same for vmlinux.h.
        Variant::new(
            "btf:dump-c",
            both,
            vec![
                Lit("btf"),
                Lit("dump"),
                Lit("--format"),
                Lit("c"),
                KernelBtf(None),
            ],
            Capture::Digest,
            check::same_dump,
        ),
        // ENUM64 types exactly on the kernels the kernel table says know the kind.
        Variant::new(
            "btf:enum64",
            both,
            vec![
                Lit("btf"),
                Lit("dump"),
                Lit("--kind"),
                Lit("enum64"),
                KernelBtf(None),
            ],
            Capture::Full,
            check::enum64_types,
        ),
        // With the BTF hidden and no --btf, corex says which file is missing.
        Variant {
            reference: Reference::None,
            ..Variant::new(
                "btf:hidden",
                &[Scenario::NoBtf],
                vec![Lit("btf"), Lit("dump")],
                Capture::Full,
                check::kernel_btf_missing,
            )
        },
    ];
    for (dir, prefix) in RELOC_OBJECT_DIRS {
        for object in objects(&repo.join(dir))? {
            let stem = object.trim_end_matches(".bpf.o");
            rows.push(Variant::new(
                format!("reloc:{prefix}{stem}"),
                both,
                vec![
                    Lit("reloc"),
                    Arg::Fixture(format!("{dir}/{object}")),
                    Lit("--format"),
                    Lit("json"),
                    KernelBtf(Some("--btf")),
                ],
                Capture::Full,
                check::same_relocations,
            ));
        }
    }
    // What the kernel supports, in corex's words (the findings are the row's reason).
    rows.push(Variant {
        reference: Reference::None,
        ..Variant::new(
            "probe",
            &[Scenario::Btf],
            vec![Lit("probe"), Lit("--format"), Lit("json")],
            Capture::Full,
            check::probe_findings,
        )
    });
    // The tracer, every attach mode, execs checked field by field; and the perf
    // buffer (auto takes the ring buffer on every kernel of the table).
    for &(mode, needs) in EXECSNOOP_MODES {
        rows.push(execsnoop_row(mode, mode, needs, &[]));
    }
    let (mode, needs) = EXECSNOOP_MODES[0];
    rows.push(execsnoop_row(
        "perf:tracepoint",
        mode,
        needs,
        &["--buffer", "perf"],
    ));
    for dir in LOAD_OBJECT_DIRS {
        for object in objects(&repo.join(dir))? {
            let stem = object.trim_end_matches(".bpf.o");
            let (expect, needs_kernel_btf) = load_expectation(stem).with_context(|| {
                format!(
                    "{dir}/{object}: no load expectation (xtask/src/variants.rs, load_expectation)"
                )
            })?;
            let fixture = Arg::Fixture(format!("{dir}/{object}"));
            rows.push(Variant {
                reference: Reference::Command(vec![
                    Lit("inspect"),
                    fixture.clone(),
                    Lit("--format"),
                    Lit("json"),
                ]),
                ..Variant::new(
                    format!("load:{stem}"),
                    both,
                    vec![Lit("load"), fixture, KernelBtf(Some("--btf"))],
                    Capture::Full,
                    check::loaded(expect, needs_kernel_btf),
                )
            });
        }
    }
    rows.push(module_btf_row());
    for row in &rows {
        validate(row)?;
    }
    Ok(rows)
}

/// `corex run` of `bpf/loader-tests/module_btf.bpf.o` with the package's dummy and veth
/// modules inserted (`/init` does it): its fentry program on dummy's
/// `dummy_get_stats64` runs when the workload reads /proc/net/dev and prints the
/// layout of veth's `struct veth_rq` its CO-RE relocations gave, which the checker
/// compares with the struct in veth.ko's BTF on the host.
fn module_btf_row() -> Variant {
    use Arg::{KernelBtf, KernelModule, Lit};
    let owned = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    Variant {
        ready: Some("corex: attached".into()),
        workload: vec![owned(&["cat", "/proc/net/dev"]), owned(&["sleep", "1"])],
        reference: Reference::Command(vec![
            Lit("btf"),
            Lit("dump"),
            KernelModule("veth"),
            KernelBtf(Some("--base")),
            Lit("--format"),
            Lit("json"),
            Lit("--name"),
            Lit("^veth_rq$"),
        ]),
        timeout_secs: 60,
        ..Variant::new(
            "module:module_btf",
            &[Scenario::Btf],
            vec![
                Lit("run"),
                Arg::Fixture("bpf/loader-tests/module_btf.bpf.o".into()),
            ],
            Capture::Full,
            check::module_btf_ran,
        )
    }
}

/// The broken object's self-test (`--self-test-broken-object`): `bpf/broken/
/// hardcoded_pid.bpf.o` reads the exec'ing task's pid at a fixed offset, right on the
/// kernel its vmlinux.h came from only. Its single row must FAIL on the others.
pub fn broken_object_table() -> Result<Vec<Variant>> {
    let workload = (1..=3)
        .map(|i| vec!["/bin/true".to_string(), format!("corex-broken-{i}")])
        .collect();
    let row = Variant {
        ready: Some("corex: attached".into()),
        workload,
        reference: Reference::None,
        ..Variant::new(
            "run:hardcoded_pid",
            &[Scenario::Btf],
            vec![
                Arg::Lit("run"),
                Arg::Fixture("bpf/broken/hardcoded_pid.bpf.o".into()),
            ],
            Capture::Full,
            check::exec_pids_traced,
        )
    };
    validate(&row)?;
    Ok(vec![row])
}

/// The `*.bpf.o` file names in `dir`, sorted.
fn objects(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the BPF objects", dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bpf.o"))
        .collect();
    names.sort();
    Ok(names)
}

/// Checks what the plan format and the driver's output lines rely on.
pub fn validate(row: &Variant) -> Result<()> {
    ensure!(
        !row.name.is_empty()
            && row
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":._/-".contains(c)),
        "variant name {:?}: use letters, digits and :._/-",
        row.name
    );
    let fields = row
        .args
        .iter()
        .filter_map(|a| match a {
            Arg::Lit(s) => Some(*s),
            Arg::Fixture(s) => Some(s.as_str()),
            Arg::KernelBtf(flag) => *flag,
            Arg::KernelModule(name) => Some(*name),
        })
        .chain(row.ready.as_deref())
        .chain(row.workload.iter().flatten().map(String::as_str));
    for field in fields {
        ensure!(
            !field.is_empty() && !field.contains(['\t', '\n', '\r']),
            "variant {}: argument {field:?} is empty or holds a tab or newline",
            row.name
        );
    }
    ensure!(
        row.ready.is_some() || row.workload.is_empty(),
        "variant {}: a workload needs `ready` (corex must run in the background)",
        row.name
    );
    Ok(())
}

/// The driver's plan (format in `xtask/guest/driver.sh`) for the given rows.
pub fn plan(rows: &[Variant], paths: &Paths) -> String {
    let mut out = String::new();
    for &scenario in Scenario::ALL {
        for row in rows.iter().filter(|r| r.scenarios.contains(&scenario)) {
            let line = |fields: &[&str]| fields.join("\t") + "\n";
            out += &line(&[
                "variant",
                scenario.as_str(),
                &row.name,
                row.capture.as_str(),
                &row.timeout_secs.to_string(),
            ]);
            let argv = row.argv(paths, scenario);
            if !argv.is_empty() {
                out += &line(
                    &[
                        &["corex"],
                        &argv.iter().map(String::as_str).collect::<Vec<_>>()[..],
                    ]
                    .concat(),
                );
            }
            if let Some(ready) = &row.ready {
                out += &line(&["ready", ready]);
            }
            for command in &row.workload {
                out += &line(
                    &[
                        &["exec"],
                        &command.iter().map(String::as_str).collect::<Vec<_>>()[..],
                    ]
                    .concat(),
                );
            }
            out += "end\n";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn table_has_a_reloc_row_per_object_and_valid_rows() {
        let rows = table(&repo()).unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        for want in [
            "btf:dump",
            "btf:hidden",
            "reloc:task",
            "reloc:gcc/task",
            "reloc:fields",
            "reloc:lab/lab",
            "reloc:execsnoop/execsnoop",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "duplicate variant names");
    }

    #[test]
    fn every_object_bpf_build_lists_has_a_load_row_and_every_mode_a_row() {
        let rows = table(&repo()).unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        let out = std::process::Command::new("bash")
            .arg(repo().join("bpf/build.sh"))
            .arg("--list")
            .output()
            .unwrap();
        assert!(out.status.success());
        let listed = String::from_utf8(out.stdout).unwrap();
        assert!(listed.lines().count() > 10, "{listed}");
        for object in listed.lines() {
            let stem = object
                .rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".bpf.o");
            let want = format!("load:{stem}");
            assert!(names.contains(&want.as_str()), "{want} missing ({object})");
        }
        for mode in [
            "tracepoint",
            "raw_tracepoint",
            "tp_btf",
            "kprobe",
            "kprobe_multi",
            "fentry",
        ] {
            assert!(names.contains(&mode), "{mode} missing");
        }
        assert!(names.contains(&"probe"));
    }

    #[test]
    fn kernel_btf_is_handed_in_only_without_kernel_btf() {
        let row = Variant::new(
            "reloc:x",
            Scenario::ALL,
            vec![
                Arg::Lit("reloc"),
                Arg::Fixture("bpf/x.bpf.o".into()),
                Arg::KernelBtf(Some("--btf")),
            ],
            Capture::Full,
            check::same_relocations,
        );
        let paths = Paths {
            fixtures: "/corex/fixtures".into(),
            kernel_btf: "/corex/vmlinux.btf".into(),
            modules: None,
        };
        assert_eq!(
            row.argv(&paths, Scenario::Btf),
            ["reloc", "/corex/fixtures/bpf/x.bpf.o"]
        );
        assert_eq!(
            row.argv(&paths, Scenario::NoBtf),
            [
                "reloc",
                "/corex/fixtures/bpf/x.bpf.o",
                "--btf",
                "/corex/vmlinux.btf"
            ]
        );
        let plan = plan(&[row], &paths);
        assert_eq!(
            plan,
            "variant\tbtf\treloc:x\tfull\t120\ncorex\treloc\t/corex/fixtures/bpf/x.bpf.o\nend\n\
             variant\tno-btf\treloc:x\tfull\t120\ncorex\treloc\t/corex/fixtures/bpf/x.bpf.o\t--btf\t/corex/vmlinux.btf\nend\n"
        );
    }

    #[test]
    fn rows_that_would_break_the_plan_are_refused() {
        let mut row = Variant::new(
            "bad name",
            Scenario::ALL,
            vec![],
            Capture::Full,
            check::same_dump,
        );
        assert!(validate(&row).is_err());
        row.name = "ok".into();
        row.args = vec![Arg::Lit("a\tb")];
        assert!(validate(&row).unwrap_err().to_string().contains("tab"));
        row.args = vec![];
        row.workload = vec![vec!["/bin/true".into()]];
        assert!(validate(&row).unwrap_err().to_string().contains("ready"));
    }
}
