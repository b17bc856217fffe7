//! `corex inspect OBJ`: what a BPF object holds — programs, maps, global
//! data, externs, license — and every CO-RE relocation as libbpf writes it.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use corex_btf::printable;
use corex_object::core::{format_spec_full, parse_spec, type_desc, RelocKind};
use corex_object::{Call, CoreRecord, Error, NotElf, Object, Program, RelocTarget};
use serde_json::{json, Value};

use crate::input;

/// Output formats of `corex inspect` and `corex reloc`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For tools.
    Json,
}

/// Arguments of `corex inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// The BPF object (ELF, as clang -target bpf writes it).
    object: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// A name from the object, escaped for a terminal (as a `String`, so that
/// column widths apply).
pub fn safe(name: &str) -> String {
    printable(name).to_string()
}

/// A path from the command line, escaped for a terminal.
pub fn safe_path(path: &std::path::Path) -> String {
    printable(path.as_os_str().as_encoded_bytes()).to_string()
}

/// A CO-RE record as libbpf prints it, `<kind> spec` (raw: names as the
/// object has them), and why the spec cannot be resolved, if it cannot
/// (a message safe to print).
pub fn core_record_spec(obj: &Object, rec: &CoreRecord) -> (String, Option<String>) {
    let kind = RelocKind::name_of(rec.relo.kind);
    let Some(btf) = obj.btf.as_ref() else {
        return (format!("<{kind}>"), Some("the object has no BTF".into()));
    };
    let access = btf.str_at(rec.relo.access_str_off).unwrap_or("<?>");
    let root = rec.relo.type_id;
    if root.0 == 0 || root.0 >= btf.type_count() {
        return (
            format!("<{kind}> [{root}] <unknown> + {access}"),
            Some(format!("type id {root} does not exist")),
        );
    }
    let unresolved = format!("<{kind}> {} + {access}", type_desc(btf, root));
    let Some(k) = RelocKind::from_u32(rec.relo.kind) else {
        return (unresolved, Some(format!("unknown kind {}", rec.relo.kind)));
    };
    match parse_spec(btf, root, btf.str_at(rec.relo.access_str_off), k) {
        Ok(spec) => (format!("<{kind}> {}", format_spec_full(&spec)), None),
        Err(e) => (unresolved, Some(e.to_string())),
    }
}

/// [`core_record_spec`] as one line for a person.
fn core_record_text(obj: &Object, rec: &CoreRecord) -> String {
    match core_record_spec(obj, rec) {
        (spec, None) => safe(&spec),
        (spec, Some(why)) => format!("{}: {why}", safe(&spec)),
    }
}

fn insn_hex(p: &Program, insn: usize, obj: &Object) -> String {
    p.insns()
        .get(insn)
        .map(|i| {
            i.encode(obj.endian)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Type, attach kind and attach target of a program (the target raw).
fn program_kind(p: &Program) -> (String, String, String) {
    if p.subprog {
        return ("subprog".into(), "-".into(), "-".into());
    }
    match &p.attach {
        Some(a) => (
            a.prog_type.to_string(),
            a.kind.name().into(),
            a.target.clone().unwrap_or_else(|| "-".into()),
        ),
        None => ("unknown".into(), "-".into(), "-".into()),
    }
}

/// The function a call reaches (names raw).
fn callee_text(obj: &Object, c: &Call) -> String {
    match c.callee.and_then(|k| obj.programs.get(k)) {
        Some(p) => format!("'{}'", p.name),
        None => format!("section insn {}", c.section_insn),
    }
}

/// The `.text` function starting at (or holding) instruction `section_insn`
/// (names raw).
fn text_function(obj: &Object, section_insn: usize) -> String {
    obj.text_section()
        .and_then(|text| obj.program_at(text, section_insn))
        .and_then(|k| obj.programs.get(k))
        .map_or_else(
            || format!(".text insn {section_insn}"),
            |p| match section_insn - p.section_insn {
                0 => format!("'{}'", p.name),
                off => format!("'{}' + {off} insns", p.name),
            },
        )
}

/// What a relocation points at (names raw).
fn reloc_target_text(obj: &Object, t: &RelocTarget) -> String {
    let missing = || "(missing)".to_owned();
    match t {
        RelocTarget::Map { map } => obj
            .maps
            .get(*map)
            .map_or_else(missing, |m| format!("map '{}'", m.name)),
        RelocTarget::Data { data, offset } => obj
            .data
            .get(*data)
            .map_or_else(missing, |d| format!("{} + {offset}", d.name)),
        RelocTarget::Call { section_insn } => format!("call {}", text_function(obj, *section_insn)),
        RelocTarget::FuncAddr { section_insn } => {
            format!("address of {}", text_function(obj, *section_insn))
        }
        RelocTarget::Extern { ext } => obj.externs.get(*ext).map_or_else(missing, |e| {
            format!("extern '{}' ({})", e.name, e.kind.name())
        }),
    }
}

/// The text report. Every name from the object is escaped.
fn text(obj: &Object, path: &str, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "object: {path}")?;
    writeln!(
        out,
        "license: {}",
        obj.license.as_deref().map_or("(none)".into(), safe)
    )?;
    if let Some(v) = obj.kern_version {
        writeln!(out, "kernel version: {v:#x}")?;
    }
    writeln!(out, "\nprograms ({}):", obj.programs.len())?;
    for (i, p) in obj.programs.iter().enumerate() {
        let (ty, attach, target) = program_kind(p);
        let flags = if p.autoload {
            ""
        } else {
            "  (not loaded by default)"
        };
        writeln!(
            out,
            "  {:<16} {:<36} type {:<14} attach {:<14} target {:<28} {} insns{flags}",
            safe(&p.name),
            safe(&p.section),
            ty,
            attach,
            safe(&target),
            p.insns().len()
        )?;
        for r in &p.relocations {
            writeln!(
                out,
                "      insn #{:<5} {} -> {}",
                r.insn,
                safe(&r.symbol),
                safe(&reloc_target_text(obj, &r.target))
            )?;
        }
        let unrelocated = obj.calls(i);
        for c in unrelocated
            .iter()
            .filter(|c| p.relocations_at(c.insn).is_empty())
        {
            let callee = safe(&callee_text(obj, c));
            writeln!(
                out,
                "      insn #{:<5} call {callee} (same section, no relocation)",
                c.insn
            )?;
        }
    }
    writeln!(out, "\nmaps ({}):", obj.maps.len())?;
    for m in &obj.maps {
        let d = &m.def;
        writeln!(
            out,
            "  {:<16} {:<16} key {:<4} value {:<6} max_entries {:<8} flags {:#x}  ({})",
            safe(&m.name),
            d.type_name(),
            d.key_size,
            d.value_size,
            d.max_entries,
            d.map_flags,
            safe(&m.section)
        )?;
    }
    writeln!(out, "\nglobal data ({}):", obj.data.len())?;
    for d in &obj.data {
        writeln!(
            out,
            "  {:<16} {:<8} {} bytes",
            safe(&d.name),
            d.kind.name(),
            d.size
        )?;
        for v in &d.variables {
            writeln!(
                out,
                "      {} (offset {}, {} bytes)",
                safe(&v.name),
                v.offset,
                v.size
            )?;
        }
    }
    if !obj.externs.is_empty() {
        writeln!(out, "\nexterns ({}):", obj.externs.len())?;
        for e in &obj.externs {
            writeln!(
                out,
                "  {:<24} {}{}",
                safe(&e.name),
                e.kind.name(),
                if e.weak { " (weak)" } else { "" }
            )?;
        }
    }
    writeln!(out, "\nCO-RE relocations ({}):", obj.core_relos.len())?;
    for (i, p) in obj.programs.iter().enumerate() {
        let mut recs = obj.core_records_of(i).peekable();
        if recs.peek().is_none() {
            continue;
        }
        writeln!(out, "  prog '{}' ({}):", safe(&p.name), safe(&p.section))?;
        for rec in recs {
            writeln!(
                out,
                "    relo #{:<3} insn #{:<5} [{}]  {}",
                rec.index,
                rec.insn,
                insn_hex(p, rec.insn, obj),
                core_record_text(obj, rec)
            )?;
        }
    }
    for rec in obj.core_relos.iter().filter(|r| r.program.is_none()) {
        writeln!(
            out,
            "  (no program) section '{}' relo #{} insn #{}: {}",
            safe(&rec.section),
            rec.index,
            rec.insn,
            core_record_text(obj, rec)
        )?;
    }
    Ok(())
}

fn json_doc(obj: &Object, path: &str) -> Value {
    let programs: Vec<Value> = obj
        .programs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (ty, attach, _) = program_kind(p);
            json!({
                "name": p.name,
                "section": p.section,
                "type": ty,
                "attach": if p.subprog || p.attach.is_none() { Value::Null } else { attach.into() },
                "target": p.attach.as_ref().and_then(|a| a.target.clone()),
                "insns": p.insns().len(),
                "subprog": p.subprog,
                "autoload": p.autoload,
                "global": p.global,
                "relocations": p.relocations.iter().map(|r| json!({
                    "insn": r.insn,
                    "symbol": r.symbol,
                    "target": reloc_target_text(obj, &r.target),
                })).collect::<Vec<_>>(),
                "calls": obj.calls(i).iter().map(|c| json!({
                    "insn": c.insn,
                    "callee": c.callee.and_then(|k| obj.programs.get(k)).map(|p| p.name.as_str()),
                    "address_only": c.address_only,
                })).collect::<Vec<_>>(),
                "core_relocations": obj.core_records_of(i).map(|r| {
                    let (spec, error) = core_record_spec(obj, r);
                    json!({
                        "index": r.index,
                        "insn": r.insn,
                        "kind": RelocKind::name_of(r.relo.kind),
                        "spec": spec,
                        "error": error,
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "object": path,
        "license": obj.license,
        "kern_version": obj.kern_version,
        "programs": programs,
        "maps": obj.maps.iter().map(|m| json!({
            "name": m.name,
            "section": m.section,
            "type": m.def.type_name(),
            "key_size": m.def.key_size,
            "value_size": m.def.value_size,
            "max_entries": m.def.max_entries,
            "flags": m.def.map_flags,
        })).collect::<Vec<_>>(),
        "data": obj.data.iter().map(|d| json!({
            "name": d.name,
            "kind": d.kind.name(),
            "size": d.size,
            "variables": d.variables.iter().map(|v| json!({"name": v.name, "offset": v.offset, "size": v.size})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "externs": obj.externs.iter().map(|e| json!({"name": e.name, "kind": e.kind.name(), "weak": e.weak})).collect::<Vec<_>>(),
    })
}

/// Reads and parses a BPF object, naming the file in errors (and, for a
/// file another command reads, which one).
pub fn load_object(path: &std::path::Path) -> Result<Object> {
    let data = input::read(path)?;
    let shown = safe_path(path);
    Object::parse(&data).map_err(|e| match e {
        Error::NotElf { found } => {
            let reader = match found {
                NotElf::RawBtf | NotElf::Xz => "corex btf dump",
                _ => "another command",
            };
            anyhow::anyhow!("{shown} is {found}, not an ELF object; `{reader} {shown}` reads it")
        }
        Error::ForeignElf(elf) if elf.has_btf => {
            // A module's BTF is split on the kernel's.
            let base = if elf.kernel_module {
                " --base /sys/kernel/btf/vmlinux"
            } else {
                ""
            };
            anyhow::anyhow!(
                "{shown} is {elf}, not a BPF object; its .BTF section is read by `corex btf dump{base} {shown}`"
            )
        }
        Error::ForeignElf(elf) => anyhow::anyhow!("{shown} is {elf}, not a BPF object"),
        e => anyhow::Error::new(e).context(shown),
    })
}

/// Runs `corex inspect`.
pub fn run(args: InspectArgs) -> Result<ExitCode> {
    let obj = load_object(&args.object)?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => text(&obj, &safe_path(&args.object), &mut out)?,
        Format::Json => {
            let path = args.object.display().to_string();
            serde_json::to_writer_pretty(&mut out, &json_doc(&obj, &path))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
