//! `corex check OBJ... (--btf FILE... | --btf-dir DIR) [--format text|json] [--live]`:
//! will each program of the objects load and attach on each kernel? Kernels
//! are checked in parallel, each kernel's BTF read and parsed once for all
//! objects; a bad kernel file is one line of the report.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use corex_object::check::{check_object, tracefs, Kernel, Problem, ProgramCheck, Unresolved};
use corex_object::{AttachKind, Object};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use super::archive::{kernel_arch, kernel_files, load_kernel, KernelFile};
use super::inspect::Format;
use crate::input;

/// Arguments of `corex check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The BPF objects to check.
    #[arg(required = true)]
    objects: Vec<PathBuf>,
    /// Kernel BTF files (raw, ELF with .BTF, .xz, .btf.tar.xz), one kernel each.
    #[arg(long, num_args = 1..)]
    btf: Vec<PathBuf>,
    /// A tree of kernel BTF files laid out as BTFHub's
    /// (distro/release/arch/KERNEL.btf.tar.xz); every BTF file under it.
    #[arg(long)]
    btf_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also check the running kernel, comparing hand-written tracepoint
    /// context structs with its tracefs format files.
    #[arg(long)]
    live: bool,
}

/// One object, by the name reports give it, parsed once for all kernels.
struct ObjectInput {
    name: String,
    object: Object,
}

/// The check of every object on one kernel, or why the kernel file is bad.
struct KernelResult {
    label: String,
    arch: String,
    outcome: Result<Vec<Vec<ProgramCheck>>, String>,
}

/// Where tracefs may be mounted.
const TRACEFS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// Runs `corex check`.
pub fn run(args: CheckArgs) -> Result<ExitCode> {
    if args.btf.is_empty() && args.btf_dir.is_none() && !args.live {
        bail!("no kernels: give --btf FILE..., --btf-dir DIR or --live");
    }
    let objects = read_objects(&args.objects)?;
    let mut kernels = kernel_files(&args.btf, args.btf_dir.as_deref())?;
    let live_index = args.live.then(|| {
        kernels.push(live_kernel());
        kernels.len() - 1
    });
    let bar = progress(kernels.len());
    let results: Vec<KernelResult> = kernels
        .par_iter()
        .enumerate()
        .map(|(i, k)| {
            let r = check_kernel(k, &objects, live_index == Some(i));
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => text(&results, &objects, &mut out)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json_doc(&results, &objects))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    let fails = results.iter().any(|r| {
        r.outcome
            .as_ref()
            .is_ok_and(|o| o.iter().flatten().any(ProgramCheck::fails))
    });
    Ok(if fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_objects(paths: &[PathBuf]) -> Result<Vec<ObjectInput>> {
    paths
        .iter()
        .map(|p| {
            let data = input::read(p)?;
            let object = Object::parse(&data).with_context(|| format!("{}", p.display()))?;
            let name = p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Ok(ObjectInput { name, object })
        })
        .collect()
}

fn live_kernel() -> KernelFile {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    let path = PathBuf::from(input::KERNEL_BTF);
    let entry = corex_object::check::archive::ArchiveEntry::from_path(&path)
        .expect("a path with a file name");
    KernelFile {
        path,
        entry,
        label: format!("live {release}"),
    }
}

fn progress(len: usize) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} kernels {elapsed}") {
        bar.set_style(style);
    }
    bar
}

fn check_kernel(file: &KernelFile, objects: &[ObjectInput], live: bool) -> KernelResult {
    let mut result = KernelResult {
        label: file.label.clone(),
        arch: file.entry.arch().map_or("unknown", |a| a.name()).to_owned(),
        outcome: Err(String::new()),
    };
    let btf = match load_kernel(file) {
        Ok(b) => b,
        Err(e) => {
            result.outcome = Err(format!("{e:#}"));
            return result;
        }
    };
    let refs: Vec<&Object> = objects.iter().map(|o| &o.object).collect();
    let kernel = Kernel::new(&btf, &refs);
    match kernel_arch(file, kernel.arch()) {
        Ok(Some(a)) => result.arch = a.name().to_owned(),
        Ok(None) => {}
        Err(e) => {
            result.outcome = Err(format!("{e:#}"));
            return result;
        }
    }
    let tracefs_root = live.then(find_tracefs);
    let mut checks = Vec::new();
    for obj in refs {
        let mut c = check_object(obj, &kernel);
        if let Some(root) = &tracefs_root {
            for p in &mut c.programs {
                p.problems
                    .extend(live_problems(obj, p.index, root.as_deref()));
            }
        }
        checks.push(c.programs);
    }
    result.outcome = Ok(checks);
    result
}

fn find_tracefs() -> Option<PathBuf> {
    TRACEFS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.join("events").is_dir())
}

/// tracefs comparisons of a `tracepoint/` program on the running kernel.
fn live_problems(obj: &Object, index: usize, root: Option<&Path>) -> Vec<Problem> {
    let Some(a) = obj.programs[index].attach.as_ref() else {
        return Vec::new();
    };
    let (AttachKind::Tracepoint, Some(tp)) = (a.kind, a.target.as_deref()) else {
        return Vec::new();
    };
    if tracefs::context_struct(obj, index).is_none() {
        return Vec::new();
    }
    let Some(root) = root else {
        return vec![Problem::CannotTell {
            what: format!(
                "whether the context struct fits {tp}: tracefs is not mounted (looked in {}; mount -t tracefs nodev /sys/kernel/tracing)",
                TRACEFS.join(" and ")
            ),
        }];
    };
    let path = root.join("events").join(tp).join("format");
    match std::fs::read_to_string(&path) {
        Ok(text) => match tracefs::parse_format(&text) {
            Ok(format) => tracefs::compare_context(obj, index, tp, &format),
            Err(e) => vec![Problem::CannotTell {
                what: format!(
                    "whether the context struct fits {tp}: {}: {e}",
                    path.display()
                ),
            }],
        },
        Err(e) => vec![Problem::MissingTarget {
            kind: AttachKind::Tracepoint,
            target: tp.to_owned(),
            looked_for: vec![format!("{} ({e})", path.display())],
        }],
    }
}

/// The name a report gives program `p` of object `o`.
fn program_label(objects: &[ObjectInput], o: usize, p: &ProgramCheck) -> String {
    if objects.len() > 1 {
        format!("{}:{}", objects[o].name, p.name)
    } else {
        p.name.clone()
    }
}

/// What the JSON document says about one unresolved relocation.
fn explanation(program: &str, u: &Unresolved) -> String {
    let mut text = corex_btf::printable(&u.explanation).to_string();
    if u.function != program {
        text = format!(
            "in subprogram {}: {text}",
            corex_btf::printable(&u.function)
        );
    }
    if !u.poisoned {
        text.push_str(" (the relocation fails: libbpf refuses the object)");
    }
    text
}

#[derive(Serialize)]
struct JsonDoc {
    kernels: Vec<JsonKernel>,
    errors: Vec<JsonError>,
}

#[derive(Serialize)]
struct JsonKernel {
    kernel: String,
    arch: String,
    programs: Vec<JsonProgram>,
}

#[derive(Serialize)]
struct JsonProgram {
    program: String,
    verdict: &'static str,
    unresolved: Vec<JsonUnresolved>,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct JsonUnresolved {
    index: usize,
    insn: usize,
    reachable: bool,
    explanation: String,
}

#[derive(Serialize)]
struct JsonError {
    file: String,
    error: String,
}

fn json_doc(results: &[KernelResult], objects: &[ObjectInput]) -> JsonDoc {
    let mut doc = JsonDoc {
        kernels: Vec::new(),
        errors: Vec::new(),
    };
    for r in results {
        let objs = match &r.outcome {
            Ok(o) => o,
            Err(e) => {
                doc.errors.push(JsonError {
                    file: r.label.clone(),
                    error: e.clone(),
                });
                continue;
            }
        };
        let programs = objs
            .iter()
            .enumerate()
            .flat_map(|(o, progs)| progs.iter().map(move |p| (o, p)))
            .map(|(o, p)| JsonProgram {
                program: program_label(objects, o, p),
                verdict: if p.fails() { "fails" } else { "ok" },
                unresolved: p
                    .unresolved
                    .iter()
                    .map(|u| JsonUnresolved {
                        index: u.index,
                        insn: u.insn,
                        reachable: u.reachable,
                        explanation: explanation(&p.name, u),
                    })
                    .collect(),
                problems: p.problems.iter().map(|x| x.to_string()).collect(),
            })
            .collect();
        doc.kernels.push(JsonKernel {
            kernel: r.label.clone(),
            arch: r.arch.clone(),
            programs,
        });
    }
    doc
}

/// A cause of failure (or a note) shared by several (program, kernel) pairs.
#[derive(Default)]
struct Cause {
    programs: Vec<String>,
    kernels: Vec<String>,
}

/// Text of a cause with target type ids removed, so that kernels group.
fn cause_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find(']') {
            Some(end) if end > 0 && after[..end].bytes().all(|b| b.is_ascii_digit()) => {
                rest = after[end + 1..].trim_start_matches(' ');
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn text(results: &[KernelResult], objects: &[ObjectInput], out: &mut impl Write) -> Result<()> {
    let good: Vec<(&KernelResult, &Vec<Vec<ProgramCheck>>)> = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok().map(|o| (r, o)))
        .collect();
    let bad = results.len() - good.len();
    writeln!(
        out,
        "corex check: {} object{}, {} kernel{}{}",
        objects.len(),
        if objects.len() == 1 { "" } else { "s" },
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        if bad > 0 {
            format!(" ({bad} unreadable)")
        } else {
            String::new()
        }
    )?;
    // Programs are the same on every kernel: take the names from the first.
    let names: Vec<String> = good.first().map_or_else(Vec::new, |(_, objs)| {
        objs.iter()
            .enumerate()
            .flat_map(|(o, ps)| ps.iter().map(move |p| program_label(objects, o, p)))
            .collect()
    });
    writeln!(out, "\nprograms:")?;
    for (i, n) in names.iter().enumerate() {
        writeln!(out, "  {:>3}  {}", i + 1, corex_btf::printable(n))?;
    }
    let width = results
        .iter()
        .map(|r| corex_btf::printable(&r.label).to_string().chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "\n{:width$}  {:8}  programs 1..{} (. works, X fails)",
        "kernel",
        "arch",
        names.len()
    )?;
    let mut works = vec![0usize; names.len()];
    let mut fatal: BTreeMap<String, Cause> = BTreeMap::new();
    let mut notes: BTreeMap<String, Cause> = BTreeMap::new();
    for (r, objs) in &good {
        let progs: Vec<&ProgramCheck> = objs.iter().flatten().collect();
        let marks: String = progs
            .iter()
            .map(|p| if p.fails() { 'X' } else { '.' })
            .collect();
        writeln!(
            out,
            "{:width$}  {:8}  {marks}",
            corex_btf::printable(&r.label),
            r.arch
        )?;
        for (i, p) in progs.iter().enumerate() {
            if !p.fails() {
                if let Some(w) = works.get_mut(i) {
                    *w += 1;
                }
            }
            let label = names.get(i).cloned().unwrap_or_else(|| p.name.clone());
            let items = p
                .unresolved
                .iter()
                .map(|u| (u.is_fatal(), u.to_string()))
                .chain(p.problems.iter().map(|x| (x.is_fatal(), x.to_string())));
            for (is_fatal, text) in items {
                let map = if is_fatal { &mut fatal } else { &mut notes };
                let cause = map.entry(cause_key(&text)).or_default();
                if !cause.programs.contains(&label) {
                    cause.programs.push(label.clone());
                }
                if !cause.kernels.contains(&r.label) {
                    cause.kernels.push(r.label.clone());
                }
            }
        }
    }
    if bad > 0 {
        writeln!(out, "\nunreadable kernel files (not checked):")?;
        for r in results {
            if let Err(e) = &r.outcome {
                writeln!(out, "  {}", corex_btf::printable(e))?;
            }
        }
    }
    writeln!(out, "\nsummary:")?;
    for (i, n) in names.iter().enumerate() {
        writeln!(
            out,
            "  {}: works on {} of {} kernels",
            corex_btf::printable(n),
            works[i],
            good.len()
        )?;
    }
    for (title, causes) in [
        ("causes of failure", &fatal),
        ("notes (not failures)", &notes),
    ] {
        if causes.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}:")?;
        let mut sorted: Vec<(&String, &Cause)> = causes.iter().collect();
        sorted.sort_by(|a, b| b.1.kernels.len().cmp(&a.1.kernels.len()).then(a.0.cmp(b.0)));
        for (text, c) in sorted {
            writeln!(out, "  - {}", corex_btf::printable(text))?;
            writeln!(
                out,
                "    {} on {} kernel{}: {}",
                c.programs
                    .iter()
                    .map(|p| corex_btf::printable(p).to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                c.kernels.len(),
                if c.kernels.len() == 1 { "" } else { "s" },
                list_some(&c.kernels, 4)
            )?;
        }
    }
    Ok(())
}

/// The first `n` items, and how many more.
fn list_some(items: &[String], n: usize) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(n)
        .map(|s| corex_btf::printable(s).to_string())
        .collect();
    let mut text = shown.join(", ");
    if items.len() > n {
        text.push_str(&format!(" and {} more", items.len() - n));
    }
    text
}
