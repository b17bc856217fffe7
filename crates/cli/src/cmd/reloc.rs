//! `corex reloc OBJ [--btf FILE] [--base FILE]`: apply an object's CO-RE
//! relocations against a kernel's BTF and say what happened to each, as
//! libbpf 1.1 decides it.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use corex_object::core::{CoreReport, Outcome, Patched, RelocResult, Target};
use serde::Serialize;

use super::inspect::{load_object, safe, safe_path, Format};
use crate::input;

/// Arguments of `corex reloc`.
#[derive(clap::Args)]
pub struct RelocArgs {
    /// The BPF object to relocate.
    object: PathBuf,
    /// Target BTF: raw, ELF (vmlinux, .ko) or .xz/.tar.xz; a module's split
    /// BTF with --base. Default: the running kernel's /sys/kernel/btf/vmlinux.
    #[arg(long)]
    btf: Option<PathBuf>,
    /// Base BTF (vmlinux) when --btf is a module's split BTF; the module is
    /// searched only for types vmlinux does not have, as the kernel loader does.
    #[arg(long, short = 'B')]
    base: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `(result, old, new, reason)` of the JSON schema.
fn outcome_fields(r: &RelocResult) -> (&'static str, Option<u64>, Option<u64>, Option<String>) {
    match &r.outcome {
        Outcome::Applied(Patched::Poisoned { reason }) => {
            ("poisoned", None, None, Some(reason.clone()))
        }
        Outcome::Applied(
            Patched::Alu { old, new }
            | Patched::Mem { old, new, .. }
            | Patched::LdImm64 { old, new },
        ) => ("patched", Some(*old), Some(*new), None),
        Outcome::Failed(e) => ("error", None, None, Some(e.to_string())),
    }
}

/// The JSON document, fields in the schema's order.
#[derive(Serialize)]
struct JsonDoc<'a> {
    object: &'a str,
    btf: &'a str,
    relocations: Vec<JsonRelo<'a>>,
}

/// One relocation of the JSON document.
#[derive(Serialize)]
struct JsonRelo<'a> {
    program: &'a str,
    section: &'a str,
    index: usize,
    insn: usize,
    kind: &'a str,
    local: &'a str,
    target: Option<&'a str>,
    result: &'static str,
    old: Option<u64>,
    new: Option<u64>,
    reason: Option<String>,
}

fn json_doc<'a>(report: &'a CoreReport, object: &'a str, btf: &'a str) -> JsonDoc<'a> {
    let relocations = report
        .results
        .iter()
        .map(|r| {
            let (result, old, new, reason) = outcome_fields(r);
            JsonRelo {
                program: &r.program,
                section: &r.section,
                index: r.index,
                insn: r.insn,
                kind: r.kind,
                local: &r.local,
                target: r.target.as_deref(),
                result,
                old,
                new,
                reason,
            }
        })
        .collect();
    JsonDoc {
        object,
        btf,
        relocations,
    }
}

/// The text report: names and spec texts escaped; reasons and errors are
/// safe already.
fn text(report: &CoreReport, object: &str, btf: &str, out: &mut impl Write) -> io::Result<()> {
    let count = |want: &str| {
        report
            .results
            .iter()
            .filter(|r| outcome_fields(r).0 == want)
            .count()
    };
    writeln!(
        out,
        "{object} against {btf}: {} relocations, {} patched, {} poisoned, {} failed",
        report.results.len(),
        count("patched"),
        count("poisoned"),
        count("error")
    )?;
    let mut current: Option<(&str, &str)> = None;
    for r in &report.results {
        if current != Some((&r.program, &r.section)) {
            writeln!(out, "\nprog '{}' ({}):", safe(&r.program), safe(&r.section))?;
            current = Some((&r.program, &r.section));
        }
        writeln!(
            out,
            "  relo #{} insn #{}: <{}> {}",
            r.index,
            r.insn,
            r.kind,
            safe(&r.local)
        )?;
        if let Some(t) = &r.target {
            let cand = r
                .candidate
                .map_or(String::new(), |c| format!(" (candidate #{c})"));
            writeln!(out, "      target{cand}: {}", safe(t))?;
        }
        match &r.outcome {
            Outcome::Applied(Patched::Poisoned { reason }) => writeln!(
                out,
                "      poisoned (call 0xbad2310; fails only if reached): {reason}"
            )?,
            Outcome::Applied(p) => {
                let (_, old, new, _) = outcome_fields(r);
                let (old, new) = (old.unwrap_or(0), new.unwrap_or(0));
                let what = p.describe();
                let change = if old == new {
                    format!("{what} {old} (unchanged)")
                } else {
                    format!("{what} {old} -> {new}")
                };
                let size = match p {
                    Patched::Mem {
                        size: Some((a, b)), ..
                    } => format!(", access size {a} -> {b} bytes"),
                    _ => String::new(),
                };
                let note = r
                    .no_match
                    .as_ref()
                    .map_or(String::new(), |n| format!(" ({n})"));
                writeln!(out, "      patched {change}{size}{note}")?;
            }
            Outcome::Failed(e) => writeln!(out, "      error: {e}")?,
        }
    }
    for s in &report.skipped {
        let prog = s
            .program
            .as_deref()
            .map_or(String::new(), |p| format!(" of prog '{}'", safe(p)));
        writeln!(
            out,
            "\nnot relocated: section '{}' relo #{}{prog}: {}",
            safe(&s.section),
            s.index,
            s.why
        )?;
    }
    Ok(())
}

/// Runs `corex reloc`. Exit status 1 when a relocation fails.
pub fn run(args: RelocArgs) -> Result<ExitCode> {
    let obj = load_object(&args.object)?;
    let btf_path = input::btf_path(args.btf);
    let loaded = input::load_btf(&btf_path, args.base.as_deref())?;
    let target = Target::for_object(&loaded.btf, &obj);
    let report = obj.relocate_core(&target);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => text(
            &report,
            &safe_path(&args.object),
            &safe_path(&btf_path),
            &mut out,
        )?,
        Format::Json => {
            let (object, btf) = (
                args.object.display().to_string(),
                btf_path.display().to_string(),
            );
            serde_json::to_writer_pretty(&mut out, &json_doc(&report, &object, &btf))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
