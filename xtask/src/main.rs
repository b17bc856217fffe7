//! corex project tasks. `cargo xtask kernels`: boot Debian's kernels under qemu, run
//! corex inside them (and on the running kernel), check the results on the host and
//! print the matrix. See README.md, "Kernel matrix".

mod apt;
mod check;
mod cpio;
mod fetch;
mod guest;
mod host;
mod kernels;
mod matrix;
mod process;
mod programs;
mod protocol;
mod run;
mod variants;
mod vmlinuz;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

/// corex project tasks.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Boot Debian's kernels under qemu (and use the running kernel), run corex's
    /// variants in the btf and no-btf scenarios, print the matrix and write
    /// target/kernels/matrix.json. Exit status 1 when a row fails.
    Kernels(KernelsArgs),
}

#[derive(clap::Args)]
struct KernelsArgs {
    /// Only these kernels (names of xtask/src/kernels.rs, or `native`); repeatable.
    #[arg(long = "kernel", value_name = "NAME")]
    kernels: Vec<String>,
    /// Only the variants whose name starts with PREFIX (e.g. `load:`, `execsnoop:`);
    /// repeatable. Default: every variant.
    #[arg(long = "only", value_name = "PREFIX")]
    only: Vec<String>,
    /// Seconds one kernel may take from boot to power-off before it is killed.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Kernels run at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// qemu's accelerator.
    #[arg(long, value_enum, default_value_t = guest::AccelChoice::Auto)]
    accel: guest::AccelChoice,
    /// Self-test of the checkers: hand every kernel under test the BTF of KERNEL (a
    /// Debian kernel of the table) in the no-btf scenario instead of its own. The
    /// rows that depend on the BTF must then FAIL.
    #[arg(long, value_name = "KERNEL")]
    self_test_wrong_btf: Option<String>,
    /// Self-test of the harness: run only `corex run bpf/broken/hardcoded_pid.bpf.o`
    /// (a pid read at a fixed offset, right on the running kernel only, whose
    /// vmlinux.h built it) with execs to report. Its row must FAIL on the others.
    #[arg(long, conflicts_with_all = ["self_test_wrong_btf", "only"])]
    self_test_broken_object: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Kernels(args) => kernels(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn repo_root() -> Result<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .join("..")
        .canonicalize()
        .context("repository root")
}

fn kernels(args: KernelsArgs) -> Result<ExitCode> {
    let repo = repo_root()?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"));
    let cache = target.join("kernels");
    std::fs::create_dir_all(&cache).with_context(|| format!("{}", cache.display()))?;
    let known: Vec<&str> = kernels::KERNELS
        .iter()
        .map(|k| k.name)
        .chain([kernels::NATIVE])
        .collect();
    for name in &args.kernels {
        if !known.contains(&name.as_str()) {
            bail!("unknown kernel {name:?} (known: {})", known.join(", "));
        }
    }
    let wrong_btf = match &args.self_test_wrong_btf {
        Some(name) => Some(
            kernels::KERNELS
                .iter()
                .find(|k| k.name == name)
                .with_context(|| format!("--self-test-wrong-btf: no Debian kernel {name:?}"))?,
        ),
        None => None,
    };
    let selected = |name: &str| args.kernels.is_empty() || args.kernels.iter().any(|k| k == name);
    let plan = run::Plan {
        repo: repo.clone(),
        cache,
        debian: kernels::KERNELS
            .iter()
            .filter(|k| selected(k.name))
            .collect(),
        native: selected(kernels::NATIVE),
        only: args.only,
        broken_object: args.self_test_broken_object,
        wrong_btf,
        timeout: Duration::from_secs(args.timeout),
        accel: args.accel,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    let rows = run::run(&plan)?;
    Ok(if matrix::any_failed(&rows) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
