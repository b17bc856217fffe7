//! `corex run OBJ [--btf FILE] [-p PROG]... [--set NAME=VALUE]...
//! [--duration S] [--keep-going]`: load a BPF object (every program, or the
//! ones named), attach each program by its section, and stream what they
//! send: every `bpf_printk` line (from a private trace pipe) and every ring
//! or perf buffer record (decoded with the map's BTF value type where it
//! has one, hex otherwise), until Ctrl-C, SIGTERM or the duration ends;
//! then detach and unload everything.
//!
//! A program that cannot be loaded or attached on this kernel is named
//! with the reason; corex then exits with status 1 unless `--keep-going`,
//! which leaves it out and runs the rest.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use corex::attach::Link;
use corex::events::{decode, PerfBuffer, Poller, RingBuffer};
use corex::trace_pipe::{TraceLine, TracePipe};
use corex::uapi::MapType;
use corex::{Error, GlobalValue, LoadedObject, OpenObject};
use corex_btf::{printable, Btf, TypeId};

/// Arguments of `corex run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The BPF object to run.
    object: PathBuf,
    /// BTF to relocate CO-RE against instead of the running kernel's.
    #[arg(long)]
    btf: Option<PathBuf>,
    /// Run only this program (repeatable). Default: every program.
    #[arg(short = 'p', long = "program", value_name = "PROG")]
    programs: Vec<String>,
    /// Set a global variable before loading (repeatable): an integer
    /// (decimal, 0x hex, negative), true or false, or text for a char
    /// array.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    globals: Vec<String>,
    /// Stop after this many seconds (default: at Ctrl-C or SIGTERM).
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Leave out programs that cannot be loaded or attached on this kernel
    /// and run the rest.
    #[arg(long)]
    keep_going: bool,
}

/// `--set` text as a global's value.
fn global_value(text: &str) -> GlobalValue<'_> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let number = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok(),
        None => digits.parse::<i128>().ok(),
    };
    match (number, text) {
        (Some(n), _) => GlobalValue::Int(if negative { -n } else { n }),
        (None, "true") => GlobalValue::Bool(true),
        (None, "false") => GlobalValue::Bool(false),
        (None, _) => GlobalValue::Str(text),
    }
}

fn open(args: &RunArgs) -> Result<OpenObject> {
    let mut obj = OpenObject::open(&args.object)?;
    if let Some(btf) = &args.btf {
        obj.set_core_btf(btf)?;
    }
    if !args.programs.is_empty() {
        let names: Vec<&str> = args.programs.iter().map(String::as_str).collect();
        obj.load_only(&names)?;
    }
    for setting in &args.globals {
        let Some((name, value)) = setting.split_once('=') else {
            bail!("--set {}: expected NAME=VALUE", printable(setting.as_str()));
        };
        obj.set_global(name, global_value(value))?;
    }
    Ok(obj)
}

/// The program a load failed on, when one program was the cause.
fn failed_program(e: &Error) -> Option<&str> {
    match e.cause() {
        Error::Program { program, .. } | Error::TrampolinesRefused { program, .. } => Some(program),
        _ => None,
    }
}

/// Loads; with `keep_going`, a program the kernel refuses is named and left
/// out, and the rest loaded again. Returns the object and how many
/// programs were left out.
fn load(obj: &mut OpenObject, keep_going: bool) -> Result<(LoadedObject, usize)> {
    let mut left_out = 0;
    loop {
        match obj.load() {
            Ok(loaded) => return Ok((loaded, left_out)),
            Err(e) => {
                let Some(program) = failed_program(&e).map(str::to_owned) else {
                    return Err(e.into());
                };
                eprintln!("corex: {}", e.cause());
                if !keep_going {
                    bail!("program {} cannot be loaded", printable(&program));
                }
                obj.set_autoload(&program, false)?;
                left_out += 1;
                if obj.programs().all(|p| !p.autoload) {
                    bail!("no program could be loaded");
                }
            }
        }
    }
}

/// Prints what programs send, to stdout.
struct Printer {
    out: io::BufWriter<io::Stdout>,
}

impl Printer {
    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        // A closed stdout ends the run at the next check; nothing to report.
        let _ = self.out.write_fmt(text);
        let _ = self.out.write_all(b"\n");
    }

    fn trace(&mut self, line: Result<TraceLine, String>) {
        match line {
            Ok(l) => self.line(format_args!(
                "{}-{} [{:03}] {}.{:06}: {}",
                printable(&l.task),
                l.pid,
                l.cpu,
                l.timestamp.as_secs(),
                l.timestamp.subsec_micros(),
                printable(&l.message)
            )),
            Err(raw) => self.line(format_args!("{}", printable(&raw))),
        }
    }
}

/// How an event map's records are shown: its name and value type.
struct Decoder<'o> {
    map: String,
    btf: Option<&'o Btf>,
    value_type: Option<TypeId>,
}

impl Decoder<'_> {
    fn show(&self, cpu: Option<u32>, data: &[u8]) -> String {
        let value = self
            .btf
            .zip(self.value_type)
            .and_then(|(btf, ty)| decode::format_value(btf, ty, data))
            .unwrap_or_else(|| decode::hex(data));
        match cpu {
            Some(cpu) => format!("{} (cpu {cpu}): {value}", printable(&self.map)),
            None => format!("{}: {value}", printable(&self.map)),
        }
    }
}

/// Attaches every loaded program by its section; reports each failure.
fn attach_all(loaded: &LoadedObject) -> (Vec<Link>, usize) {
    let mut links = Vec::new();
    let mut failed = 0;
    for prog in loaded.programs() {
        match prog.attach() {
            Ok(link) => {
                eprintln!(
                    "corex: attached {} ({}, program id {}) to {}",
                    printable(prog.name()),
                    printable(prog.section()),
                    prog.id(),
                    printable(link.target())
                );
                links.push(link);
            }
            Err(e) => {
                eprintln!(
                    "corex: program {} ({}): {e}",
                    printable(prog.name()),
                    printable(prog.section())
                );
                failed += 1;
            }
        }
    }
    (links, failed)
}

/// Runs `corex run`.
pub fn run(args: RunArgs) -> Result<ExitCode> {
    corex::check_privileges()?;
    let mut obj = open(&args)?;
    let (loaded, left_out) = match load(&mut obj, args.keep_going) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("corex: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let printer = Mutex::new(Printer {
        out: io::BufWriter::new(io::stdout()),
    });
    let printer = &printer;
    // Everything that prints is open before anything is attached, so no
    // line or record is missed.
    let mut pipe = TracePipe::open().context("opening the trace pipe")?;
    let object = obj.object();
    let decoder = |name: &str| {
        let declared = object.maps.iter().find(|m| m.name == name);
        Decoder {
            map: name.to_owned(),
            btf: object.btf.as_ref(),
            value_type: declared.and_then(|m| m.def.value_type),
        }
    };
    let mut rings = RingBuffer::builder();
    let mut perfs = Vec::new();
    for map in loaded.maps() {
        match map.map_type() {
            MapType::RINGBUF => {
                let d = decoder(map.name());
                rings = rings.add(map.fd(), move |data: &[u8]| {
                    printer
                        .lock()
                        .unwrap()
                        .line(format_args!("{}", d.show(None, data)))
                })?;
            }
            MapType::PERF_EVENT_ARRAY => {
                let d = decoder(map.name());
                let name = map.name().to_owned();
                perfs.push(
                    PerfBuffer::builder(map.fd())
                        .on_sample(move |cpu, data| {
                            printer.lock().unwrap().line(format_args!("{}", d.show(Some(cpu), data)))
                        })
                        .on_lost(move |cpu, n| {
                            eprintln!(
                                "corex: {}: the kernel dropped {n} records on CPU {cpu} (the reader fell behind)",
                                printable(&name)
                            )
                        })
                        .build()?,
                );
            }
            _ => {}
        }
    }
    let mut rings = rings.build()?;
    let mut poller = Poller::new()?;
    poller.add(&pipe)?;
    poller.add(&rings)?;
    for perf in &perfs {
        poller.add(perf)?;
    }
    let stop = crate::signals::stop_on_signals(poller.waker())?;

    let (links, failed) = attach_all(&loaded);
    if failed > 0 && !args.keep_going {
        eprintln!("corex: {failed} program(s) cannot be attached (--keep-going runs the rest)");
        return Ok(ExitCode::FAILURE);
    }
    if links.is_empty() {
        eprintln!("corex: no program is attached");
        return Ok(ExitCode::FAILURE);
    }
    if failed + left_out > 0 {
        eprintln!(
            "corex: running without the {} program(s) this kernel cannot run",
            failed + left_out
        );
    }
    let deadline = args
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let drain = |pipe: &mut TracePipe,
                 rings: &mut RingBuffer<'_>,
                 perfs: &mut [PerfBuffer<'_>]|
     -> Result<()> {
        pipe.read_available(|l| printer.lock().unwrap().trace(l))?;
        rings.consume()?;
        for perf in perfs.iter_mut() {
            perf.consume()?;
        }
        printer
            .lock()
            .unwrap()
            .out
            .flush()
            .context("writing to stdout")?;
        Ok(())
    };
    while !stop.load(Ordering::Acquire) {
        let timeout = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) => Some(left),
                None => break,
            },
            None => None,
        };
        poller.wait(timeout)?;
        drain(&mut pipe, &mut rings, &mut perfs)?;
    }
    // Detach, then print what was sent before that.
    drop(links);
    drain(&mut pipe, &mut rings, &mut perfs)?;
    let lost: u64 = perfs.iter().map(PerfBuffer::lost).sum();
    if lost > 0 {
        eprintln!("corex: {lost} perf buffer records were dropped in all");
    }
    Ok(ExitCode::SUCCESS)
}
