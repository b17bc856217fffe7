//! `corex load OBJ [--btf FILE] [--pin DIR] [-p PROG]...`: open, relocate,
//! create maps and load the selected programs (all by default) as libbpf
//! does, all or nothing; a line per map and program (loaded with its
//! kernel id, or why not). Nothing stays loaded when corex exits except
//! maps pinned by name. Exit status 0 only if everything loaded.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use corex::{Error, Feature, ItemOutcome, Kernel, LoadedObject, MapOrigin, OpenObject, Outcome};
use corex_btf::printable;

/// Arguments of `corex load`.
#[derive(clap::Args)]
pub struct LoadArgs {
    /// The BPF object to load.
    object: PathBuf,
    /// BTF to relocate CO-RE against instead of the running kernel's (raw,
    /// ELF, .xz or BTFHub .tar.xz).
    #[arg(long)]
    btf: Option<PathBuf>,
    /// Directory for maps pinned by name (LIBBPF_PIN_BY_NAME), in a BPF
    /// file system. Default: /sys/fs/bpf.
    #[arg(long)]
    pin: Option<PathBuf>,
    /// Load only this program (repeatable). Default: every program.
    #[arg(short = 'p', long = "program", value_name = "PROG")]
    programs: Vec<String>,
    /// Pretend the kernel lacks FEATURE (repeatable; btf_float,
    /// btf_datasec, global_data, array_mmap, ... as `corex probe` names
    /// them), to see corex's fallbacks on a newer kernel.
    #[arg(long = "without-feature", value_name = "FEATURE", value_parser = parse_feature)]
    without: Vec<Feature>,
}

fn parse_feature(name: &str) -> Result<Feature, String> {
    Feature::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
        format!("unknown feature '{name}'; features: {}", names.join(", "))
    })
}

fn open(args: &LoadArgs) -> corex::Result<OpenObject> {
    let mut obj = OpenObject::open(&args.object)?;
    if let Some(btf) = &args.btf {
        obj.set_core_btf(btf)?;
    }
    if let Some(pin) = &args.pin {
        obj.set_pin_root(pin);
    }
    if !args.programs.is_empty() {
        let names: Vec<&str> = args.programs.iter().map(String::as_str).collect();
        obj.load_only(&names)?;
    }
    Ok(obj)
}

fn load(args: &LoadArgs, obj: &OpenObject) -> corex::Result<LoadedObject> {
    if args.without.is_empty() {
        return obj.load();
    }
    let kernel = args
        .without
        .iter()
        .try_fold(Kernel::new()?, |k, f| Ok::<_, Error>(k.pretend_missing(*f)))?;
    obj.load_into(&kernel)
}

fn print_loaded(loaded: &LoadedObject, out: &mut impl Write) -> io::Result<()> {
    for map in loaded.maps() {
        let how = match (map.reused_pin(), map.pin_path()) {
            (true, Some(p)) => format!("reused the map pinned at {}", p.display()),
            (false, Some(p)) => format!("created and pinned at {}", p.display()),
            _ => "created".to_owned(),
        };
        let kind = match map.origin() {
            MapOrigin::GlobalData { section, .. } => format!(", {}", printable(section)),
            MapOrigin::Kconfig => ", .kconfig".to_owned(),
            _ => String::new(),
        };
        writeln!(
            out,
            "map {}: {how}, id {} ({}{kind}, key {}, value {}, {} entries)",
            printable(map.name()),
            map.id(),
            map.map_type(),
            map.key_size(),
            map.value_size(),
            map.max_entries()
        )?;
    }
    for prog in loaded.programs() {
        writeln!(
            out,
            "program {}: loaded, id {} ({}, section {})",
            printable(prog.name()),
            prog.id(),
            prog.prog_type(),
            printable(prog.section())
        )?;
    }
    Ok(())
}

fn outcome_line(kind: &str, item: &ItemOutcome, culprit: &str) -> String {
    let name = printable(&item.name);
    match &item.outcome {
        Outcome::Released { id } => {
            format!("{kind} {name}: made as id {id}, released because the load failed")
        }
        Outcome::Failed => format!("{kind} {name}: failed: {culprit}"),
        Outcome::NotSelected => format!("{kind} {name}: not part of this load"),
        _ => format!("{kind} {name}: not reached: the load stopped before it"),
    }
}

/// Runs `corex load`.
pub fn run(args: LoadArgs) -> Result<ExitCode> {
    let obj = open(&args)?;
    let result = load(&args, &obj);
    let mut out = io::stdout().lock();
    match result {
        Ok(loaded) => {
            print_loaded(&loaded, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if matches!(e.cause(), Error::NotPermitted { .. }) => {
            eprintln!("{}", e.cause());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            if let Some(report) = e.load_report() {
                let culprit = e.cause().to_string();
                let first_line = culprit.lines().next().unwrap_or_default();
                for m in &report.maps {
                    writeln!(out, "{}", outcome_line("map", m, first_line))?;
                }
                for p in &report.programs {
                    writeln!(out, "{}", outcome_line("program", p, first_line))?;
                }
            }
            out.flush()?;
            eprintln!("corex: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
