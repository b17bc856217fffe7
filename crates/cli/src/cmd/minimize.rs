//! `corex minimize OBJ... (--btf FILE [--base VMLINUX] -o OUT | --btf-dir DIR -o OUTDIR)`:
//! the BTF a set of objects needs from a kernel, as `bpftool gen
//! min_core_btf` makes it; for a tree of kernels, one minimized raw BTF per
//! kernel in the same layout (`OUTDIR/distro/release/arch/KERNEL.btf`),
//! kernels in parallel, a bad kernel file one line of the report.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use corex_object::core::Target;
use corex_object::minimize::Minimizer;
use corex_object::Object;
use rayon::prelude::*;

use super::archive::{kernel_arch, kernel_files, load_kernel, KernelFile};
use crate::input;

/// Arguments of `corex minimize`.
#[derive(clap::Args)]
pub struct MinimizeArgs {
    /// The BPF objects whose CO-RE relocations the BTF must serve.
    #[arg(required = true)]
    objects: Vec<PathBuf>,
    /// The kernel's BTF (raw, ELF, .xz, .btf.tar.xz), or a module's split
    /// BTF with --base.
    #[arg(long, conflicts_with = "btf_dir", required_unless_present = "btf_dir")]
    btf: Option<PathBuf>,
    /// Base BTF (vmlinux) when --btf is a module's split BTF: the output
    /// holds the types needed from both, standalone.
    #[arg(long, short = 'B', requires = "btf")]
    base: Option<PathBuf>,
    /// A tree of kernel BTF files laid out as BTFHub's; one output per kernel.
    #[arg(long)]
    btf_dir: Option<PathBuf>,
    /// Output file (with --btf) or directory (with --btf-dir).
    #[arg(long, short)]
    output: PathBuf,
}

/// Runs `corex minimize`.
pub fn run(args: MinimizeArgs) -> Result<ExitCode> {
    let objects: Vec<Object> = args
        .objects
        .iter()
        .map(|p| {
            let data = input::read(p)?;
            Object::parse(&data).with_context(|| format!("{}", p.display()))
        })
        .collect::<Result<_>>()?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if let Some(path) = &args.btf {
        let loaded = input::load_btf(path, args.base.as_deref())?;
        let (bytes, types) =
            minimize(&loaded.btf, &objects).with_context(|| format!("{}", path.display()))?;
        write_file(&args.output, &bytes)?;
        writeln!(
            out,
            "{}: {types} types, {} bytes (from {} types)",
            args.output.display(),
            bytes.len(),
            loaded.btf.type_count() - 1
        )?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(dir) = &args.btf_dir else {
        bail!("give --btf FILE or --btf-dir DIR");
    };
    let kernels = kernel_files(&[], Some(dir))?;
    let lines: Vec<(bool, String)> = kernels
        .par_iter()
        .map(|k| match minimize_kernel(k, &objects, &args.output) {
            Ok(line) => (true, line),
            Err(e) => (false, format!("{}: error: {e:#}", k.label)),
        })
        .collect();
    for (_, line) in &lines {
        writeln!(out, "{}", corex_btf::printable(line))?;
    }
    let failed = lines.iter().filter(|(ok, _)| !ok).count();
    writeln!(
        out,
        "{} of {} kernels minimized into {}",
        lines.len() - failed,
        lines.len(),
        args.output.display()
    )?;
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn minimize(btf: &corex_btf::Btf, objects: &[Object]) -> Result<(Vec<u8>, usize)> {
    let refs: Vec<&Object> = objects.iter().collect();
    let target = Target::for_objects(btf, &refs);
    let mut m = Minimizer::new(&target);
    for (i, obj) in objects.iter().enumerate() {
        m.add_object(obj)
            .with_context(|| format!("object #{} on the command line", i + 1))?;
    }
    Ok((m.finish()?, m.type_count()))
}

fn minimize_kernel(k: &KernelFile, objects: &[Object], out_dir: &Path) -> Result<String> {
    let btf = load_kernel(k)?;
    kernel_arch(k, corex_object::check::Arch::of_btf(&btf))?;
    let (bytes, types) = minimize(&btf, objects)?;
    let rel = Path::new(&k.entry.path);
    let out = out_dir
        .join(rel.parent().unwrap_or(Path::new("")))
        .join(format!("{}.btf", k.entry.kernel));
    write_file(&out, &bytes)?;
    Ok(format!(
        "{}: {types} types, {} bytes",
        out.display(),
        bytes.len()
    ))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("{}: cannot write", path.display()))
}
