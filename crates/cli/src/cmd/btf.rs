//! `corex btf ...`: dump BTF as bpftool does.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use corex_btf::dump::{self, Filter};
use corex_btf::{Kind, TypeId};

use crate::input;

/// `corex btf` subcommands.
#[derive(Subcommand)]
pub enum BtfCommand {
    /// Print BTF types: raw (bpftool's text), c (vmlinux.h) or json.
    Dump(DumpArgs),
}

/// Output formats of `corex btf dump`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// One entry a type, as `bpftool btf dump file F`.
    Raw,
    /// C declarations, as `bpftool btf dump file F format c`.
    C,
    /// JSON, as `bpftool -j btf dump file F`.
    Json,
}

/// Arguments of `corex btf dump`.
#[derive(clap::Args)]
pub struct DumpArgs {
    /// BTF file: raw BTF, an ELF with .BTF (object, vmlinux, .ko), or .xz/.tar.xz of either.
    /// Default: the running kernel's /sys/kernel/btf/vmlinux.
    file: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Raw)]
    format: Format,
    /// Base BTF for split BTF (a module's BTF on top of vmlinux).
    #[arg(long, short = 'B')]
    base: Option<PathBuf>,
    /// Only the type with this id (raw and json).
    #[arg(long)]
    id: Option<u32>,
    /// Only types whose name matches this regular expression (raw and json).
    #[arg(long)]
    name: Option<String>,
    /// Only types of this kind, e.g. struct, func_proto (raw and json).
    #[arg(long, value_parser = parse_kind)]
    kind: Option<Kind>,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    Kind::from_name(s).ok_or_else(|| {
        format!("unknown kind '{s}' (expected e.g. int, struct, enum64, func_proto)")
    })
}

/// Runs a `corex btf` subcommand.
pub fn run(cmd: BtfCommand) -> Result<ExitCode> {
    match cmd {
        BtfCommand::Dump(args) => dump_cmd(args),
    }
}

fn dump_cmd(args: DumpArgs) -> Result<ExitCode> {
    let path = input::btf_path(args.file);
    let loaded = input::load_btf(&path, args.base.as_deref())?;
    let filter = Filter {
        id: args.id.map(TypeId),
        name: args
            .name
            .as_deref()
            .map(regex::Regex::new)
            .transpose()
            .context("--name")?,
        kind: args.kind,
    };
    let filtered = filter.id.is_some() || filter.name.is_some() || filter.kind.is_some();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match args.format {
        Format::Raw => dump::raw::dump(&loaded.btf, &filter, &mut out)?,
        Format::Json => dump::json::dump(&loaded.btf, &filter, &mut out)?,
        Format::C => {
            if filtered {
                anyhow::bail!("--id, --name and --kind apply to the raw and json formats, not c");
            }
            dump::c::dump(&loaded.btf, &mut out).with_context(|| input::shown(&path).to_string())?
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
