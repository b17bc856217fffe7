//! The variants of the matrix: what corex runs on every kernel, and who judges it.
//! The one table to edit to add a variant is [`table`].

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use serde::Serialize;

use crate::check::{self, Checker};

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
    /// Whether the host also runs the same arguments against the extracted BTF, as the
    /// checker's expected result.
    pub reference: bool,
    /// Decides ok / unsupported / fail.
    pub check: Checker,
}

impl Variant {
    /// A foreground command with a host reference run and the default timeout.
    pub fn new(
        name: impl Into<String>,
        scenarios: &'static [Scenario],
        args: Vec<Arg>,
        capture: Capture,
        check: Checker,
    ) -> Self {
        Variant {
            name: name.into(),
            scenarios,
            args,
            capture,
            timeout_secs: 120,
            ready: None,
            workload: Vec::new(),
            reference: true,
            check,
        }
    }

    /// The command line for `paths` in `scenario`.
    pub fn argv(&self, paths: &Paths, scenario: Scenario) -> Vec<String> {
        let mut argv = Vec::new();
        for arg in &self.args {
            match arg {
                Arg::Lit(s) => argv.push(s.to_string()),
                Arg::Fixture(rel) => argv.push(paths.fixtures.join(rel).display().to_string()),
                Arg::KernelBtf(flag) => {
                    if scenario == Scenario::NoBtf {
                        argv.extend(flag.map(str::to_string));
                        argv.push(paths.kernel_btf.display().to_string());
                    }
                }
            }
        }
        argv
    }

    /// The repository files it needs in the guest.
    pub fn fixtures(&self) -> impl Iterator<Item = &str> {
        self.args.iter().filter_map(|a| match a {
            Arg::Fixture(rel) => Some(rel.as_str()),
            _ => None,
        })
    }
}

/// Directories whose `*.bpf.o` objects each get a `reloc:` row, with the row-name
/// prefix: the CO-RE corpus, the seed's lab and execsnoop's BPF side.
const RELOC_OBJECT_DIRS: &[(&str, &str)] = &[
    ("bpf/core-tests", ""),
    ("bpf/core-tests/gcc", "gcc/"),
    ("bpf/lab", "lab/"),
    ("bpf/execsnoop", "execsnoop/"),
];

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
            reference: false,
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
    for row in &rows {
        validate(row)?;
    }
    Ok(rows)
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
