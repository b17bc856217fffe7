//! The `corex` command: a thin front over the corex libraries.

mod cmd;
mod input;
mod signals;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// eBPF CO-RE toolkit: BTF dumps, CO-RE relocation, loading and tracing.
#[derive(Parser)]
#[command(name = "corex", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with BTF type information.
    #[command(subcommand)]
    Btf(cmd::btf::BtfCommand),
    /// Show a BPF object's programs, maps, global data and CO-RE relocations.
    Inspect(cmd::inspect::InspectArgs),
    /// Apply a BPF object's CO-RE relocations against a kernel's BTF and report each.
    Reloc(cmd::reloc::RelocArgs),
    /// Check BPF objects against kernels' BTF: will each program load and attach?
    Check(cmd::check::CheckArgs),
    /// Minimal BTF for BPF objects (BTFGen), for one kernel or a tree of kernels.
    Minimize(cmd::minimize::MinimizeArgs),
    /// Load a BPF object into the kernel as libbpf does (all or nothing) and say what was made.
    Load(cmd::load::LoadArgs),
    /// Show what this kernel supports, each item tried (needs root or CAP_BPF and CAP_PERFMON).
    Probe(cmd::probe::ProbeArgs),
    /// Load a BPF object, attach its programs by section and stream their bpf_printk lines and ring/perf buffer records.
    Run(cmd::run::RunArgs),
    /// Trace every exec as it happens, with its arguments (libbpf-tools execsnoop's columns, or --json).
    Execsnoop(cmd::execsnoop::ExecsnoopArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Btf(c) => cmd::btf::run(c),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Reloc(a) => cmd::reloc::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Minimize(a) => cmd::minimize::run(a),
        Command::Load(a) => cmd::load::run(a),
        Command::Probe(a) => cmd::probe::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Execsnoop(a) => cmd::execsnoop::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("corex: {}", error_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, `effect: cause: cause`, each said
/// once: a cause whose text the line already ends with (an error that shows
/// its source in its own text and also returns it as `source()`) is left
/// out. The texts are printed as they are: the libraries escape the names
/// they put in their messages, and the commands the paths they add.
fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.ends_with(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<corex_btf::Error>().is_some_and(
                |b| matches!(b, corex_btf::Error::Io(io) if io.kind() == io::ErrorKind::BrokenPipe),
            )
    })
}
