//! `corex probe [--format text|json]`: what this kernel supports, each item
//! tried, and for each missing one the errno seen and what it means.
//!
//! JSON schema (`corex-probe/1`): `{"schema": "corex-probe/1", "kernel":
//! {"release", "machine", "version_code"}, "items": [{"category", "name",
//! "program_type", "supported", "errno", "cause", "reason"}]}`. `category`
//! is `btf`, `program_type`, `map_type`, `attach`, `helper` or `feature`;
//! `program_type` is set for helpers only (the program type they were
//! probed for); `errno` (`"EPERM"`), `cause` (a stable code, see
//! `corex::Cause::code`) and `reason` (words) are null for supported items.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use anyhow::Result;
use corex::{Availability, Category, Kernel, ProbeReport};
use serde::Serialize;

use super::inspect::Format;

/// Arguments of `corex probe`.
#[derive(clap::Args)]
pub struct ProbeArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: &'static str,
    kernel: JsonKernel<'a>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonKernel<'a> {
    release: &'a str,
    machine: &'a str,
    version_code: u32,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    category: &'static str,
    name: &'a str,
    program_type: Option<String>,
    supported: bool,
    errno: Option<String>,
    cause: Option<&'static str>,
    reason: Option<String>,
}

fn json_doc(report: &ProbeReport) -> JsonDoc<'_> {
    let items = report
        .items
        .iter()
        .map(|item| {
            let missing = match &item.availability {
                Availability::Missing(m) => Some(m),
                _ => None,
            };
            JsonItem {
                category: item.category.name(),
                name: &item.name,
                program_type: match item.category {
                    Category::Helper(t) => Some(t.to_string()),
                    _ => None,
                },
                supported: item.availability.is_supported(),
                errno: missing.and_then(|m| m.errno).map(|e| {
                    e.name()
                        .map_or_else(|| format!("errno {}", e.0), str::to_owned)
                }),
                cause: missing.map(|m| m.cause.code()),
                reason: item.reason(),
            }
        })
        .collect();
    JsonDoc {
        schema: "corex-probe/1",
        kernel: JsonKernel {
            release: &report.release,
            machine: &report.machine,
            version_code: report.version_code,
        },
        items,
    }
}

fn heading(category: Category) -> String {
    match category {
        Category::Btf => "BTF".into(),
        Category::ProgramType => "Program types".into(),
        Category::MapType => "Map types".into(),
        Category::Attach => "Attach kinds".into(),
        Category::Helper(t) => format!("Helpers in {t} programs"),
        Category::Feature => "Features".into(),
        other => other.name().into(),
    }
}

fn text(report: &ProbeReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Linux {} ({}), version code {:#x}",
        corex_btf::printable(&report.release),
        corex_btf::printable(&report.machine),
        report.version_code
    )?;
    let width = report.items.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let mut current = None;
    for item in &report.items {
        if current != Some(item.category) {
            writeln!(out, "\n{}", heading(item.category))?;
            current = Some(item.category);
        }
        writeln!(
            out,
            "  {:width$}  {item}",
            corex_btf::printable(&item.name).to_string()
        )?;
    }
    let supported = report
        .items
        .iter()
        .filter(|i| i.availability.is_supported())
        .count();
    writeln!(
        out,
        "\n{supported} of {} items supported",
        report.items.len()
    )
}

/// Runs `corex probe`.
pub fn run(args: ProbeArgs) -> Result<ExitCode> {
    let report = match Kernel::running().and_then(|k| k.probe_report()) {
        Ok(r) => r,
        Err(e @ corex::Error::NotPermitted { .. }) => {
            eprintln!("{e}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        Format::Text => text(report, &mut out)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json_doc(report))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
