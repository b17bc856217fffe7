//! `corex execsnoop`: every exec on the machine as it happens, with its
//! arguments read from the new process image, in libbpf-tools execsnoop's
//! columns or as JSON lines. The tracing itself is `corex-execsnoop`'s
//! [`Tracer`]; this module turns options into its settings, prints events
//! and says on stderr what it chose, what the kernel could not do, and
//! every drop as it happens and at the end.
//!
//! Ctrl-C, SIGTERM or SIGHUP detach everything, print what was still in the
//! buffer and the summary. Everything loaded is held by file descriptors
//! (nothing is pinned), so even a killed corex leaves nothing behind.

mod btf_archive;
mod json;
mod text;

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use corex_btf::printable;
use corex_execsnoop::{
    AttachChoice, AttachMode, BufferChoice, BufferKind, Clock, Config, Drops, Event, Outcomes,
    Record, Setup, Tracer,
};

/// Arguments of `corex execsnoop`.
#[derive(clap::Args)]
pub struct ExecsnoopArgs {
    /// Include a time column (HH:MM:SS, local time).
    #[arg(short = 'T', long)]
    time: bool,
    /// Include a timestamp column: seconds since tracing started, from the
    /// kernel's capture time.
    #[arg(short = 't', long)]
    timestamp: bool,
    /// Include failed execs (reported when the syscall returns).
    #[arg(short = 'x', long)]
    fails: bool,
    /// Only failed execs.
    #[arg(long, conflicts_with = "fails")]
    failed_only: bool,
    /// Only execs of this user (a uid or a user name; filtered in the
    /// kernel).
    #[arg(short = 'u', long, value_name = "UID")]
    uid: Option<String>,
    /// Include a UID column.
    #[arg(short = 'U', long)]
    print_uid: bool,
    /// Put each argument in double quotes.
    #[arg(short = 'q', long)]
    quote: bool,
    /// Only execs whose command name (comm) contains NAME.
    #[arg(short = 'n', long, value_name = "NAME")]
    name: Option<OsString>,
    /// Only execs whose arguments (joined by spaces, argv[0] included) or
    /// path contain LINE.
    #[arg(short = 'l', long, value_name = "LINE")]
    line: Option<OsString>,
    /// Only execs in this cgroup v2 directory or below it (filtered in the
    /// kernel).
    #[arg(short = 'c', long, value_name = "CGROUP_PATH")]
    cgroup: Option<PathBuf>,
    /// Arguments captured per exec, argv[0] included (1 to 256).
    #[arg(long, value_name = "MAX_ARGS", default_value_t = 20)]
    max_args: u32,
    /// Where to attach: auto (the best this kernel supports), or a mode, or
    /// modes to try in order, comma-separated: raw_tracepoint, tp_btf,
    /// tracepoint, fentry, kprobe_multi, kprobe.
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = parse_attach)]
    attach: AttachChoice,
    /// The buffer events come through: auto (a ring buffer where the kernel
    /// has one), ringbuf or perf.
    #[arg(long, value_name = "BUFFER", default_value = "auto", value_parser = parse_buffer)]
    buffer: BufferChoice,
    /// BTF of the running kernel, for kernels that do not provide their
    /// own (/sys/kernel/btf/vmlinux): raw BTF, an ELF file with .BTF, or a
    /// BTFHub .btf.tar.xz.
    #[arg(long, value_name = "FILE", conflicts_with = "btf_archive")]
    btf: Option<PathBuf>,
    /// On a kernel without BTF of its own, the BTF for it (`uname -r`, this
    /// architecture) from DIR, a tree laid out as BTFHub's
    /// (distro/release/arch/KERNEL.btf.tar.xz). A kernel with BTF keeps its
    /// own.
    #[arg(long, value_name = "DIR")]
    btf_archive: Option<PathBuf>,
    /// One JSON object per exec and line (fields documented in the
    /// README).
    #[arg(long)]
    json: bool,
    /// Longest an exec waits in the buffer before it is printed, in
    /// milliseconds; the kernel wakes the reader only for a batch, which
    /// halves the in-kernel cost of an exec. 0 wakes it for every exec.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    max_delay: u64,
}

fn parse_attach(text: &str) -> std::result::Result<AttachChoice, String> {
    if text == "auto" {
        return Ok(AttachChoice::Auto);
    }
    let modes = text
        .split(',')
        .map(|name| {
            AttachMode::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = AttachMode::AUTO_ORDER.iter().map(|m| m.name()).collect();
                format!(
                    "unknown attach mode '{}' (auto, or some of: {})",
                    printable(name),
                    known.join(", ")
                )
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(AttachChoice::Modes(modes))
}

fn parse_buffer(text: &str) -> std::result::Result<BufferChoice, String> {
    match text {
        "auto" => Ok(BufferChoice::Auto),
        "ringbuf" => Ok(BufferChoice::Only(BufferKind::Ring)),
        "perf" => Ok(BufferChoice::Only(BufferKind::Perf)),
        other => Err(format!(
            "unknown buffer '{}' (auto, ringbuf or perf)",
            printable(other)
        )),
    }
}

/// A uid given as a number or a user name (from /etc/passwd).
fn resolve_uid(text: &str) -> Result<u32> {
    if let Ok(uid) = text.parse::<u32>() {
        return Ok(uid);
    }
    let passwd = std::fs::read("/etc/passwd").context("-u: reading /etc/passwd")?;
    for line in passwd.split(|b| *b == b'\n') {
        let mut fields = line.split(|b| *b == b':');
        if fields.next() == Some(text.as_bytes()) {
            if let Some(uid) = fields
                .nth(1)
                .and_then(|u| std::str::from_utf8(u).ok()?.parse().ok())
            {
                return Ok(uid);
            }
        }
    }
    bail!("-u {}: no such uid or user", printable(text))
}

fn config(args: &ExecsnoopArgs) -> Result<Config> {
    let mut config = Config::default();
    config.attach = args.attach.clone();
    config.buffer = args.buffer;
    config.max_args = args.max_args;
    config.outcomes = if args.failed_only {
        Outcomes::Failed
    } else if args.fails {
        Outcomes::All
    } else {
        Outcomes::Successful
    };
    config.uid = args.uid.as_deref().map(resolve_uid).transpose()?;
    config.cgroup = args.cgroup.clone();
    config.core_btf = match &args.btf_archive {
        Some(dir) => {
            let kernel = btf_archive::RunningKernel::current()?;
            let file = btf_archive::btf_for(dir, &kernel)?;
            match &file {
                Some(file) => eprintln!(
                    "corex execsnoop: --btf-archive: CO-RE against {} (kernel {}, {})",
                    file.display(),
                    printable(&kernel.release),
                    kernel.arch.name()
                ),
                None => eprintln!(
                    "corex execsnoop: --btf-archive: this kernel has its own BTF ({}), used instead",
                    btf_archive::KERNEL_BTF
                ),
            }
            file
        }
        None => args.btf.clone(),
    };
    config.max_delay = Duration::from_millis(args.max_delay);
    config.validate()?;
    Ok(config)
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `-n` and `-l` filters (user space: they need the whole event).
#[derive(Default)]
struct Filter {
    name: Option<Vec<u8>>,
    line: Option<Vec<u8>>,
    /// The arguments joined by spaces, reused between events.
    joined: Vec<u8>,
}

impl Filter {
    fn wants(&mut self, event: &Event<'_>) -> bool {
        if let Some(name) = &self.name {
            if !contains(event.comm, name) {
                return false;
            }
        }
        if let Some(line) = &self.line {
            self.joined.clear();
            for (i, arg) in event.args.iter().enumerate() {
                if i > 0 {
                    self.joined.push(b' ');
                }
                self.joined.extend_from_slice(arg);
            }
            return contains(event.path, line) || contains(&self.joined, line);
        }
        true
    }
}

/// How events are printed.
#[derive(Clone, Copy)]
enum Format {
    Text(text::Columns),
    Json,
}

/// Where events go: filtered, formatted, written to `sink`.
struct Output<W: Write> {
    sink: W,
    format: Format,
    clock: Clock,
    filter: Filter,
    text_line: String,
    json_line: Vec<u8>,
    shown: u64,
    filtered: u64,
    /// The first write error (a closed stdout): tracing stops.
    error: Option<io::Error>,
}

impl<W: Write> Output<W> {
    fn record(&mut self, record: Record<'_>) {
        let event = match record {
            Ok(event) => event,
            Err(bad) => {
                eprintln!("corex execsnoop: a record could not be decoded: {bad}");
                return;
            }
        };
        if !self.filter.wants(&event) {
            self.filtered += 1;
            return;
        }
        self.shown += 1;
        let written = match self.format {
            Format::Text(columns) => {
                text::event_line(&mut self.text_line, &event, columns, &self.clock);
                self.text_line.push('\n');
                self.sink.write_all(self.text_line.as_bytes())
            }
            Format::Json => {
                json::event_line(&mut self.json_line, &event, &self.clock);
                self.sink.write_all(&self.json_line)
            }
        };
        self.keep_error(written);
    }

    fn keep_error(&mut self, result: io::Result<()>) {
        if let (Err(e), None) = (result, &self.error) {
            self.error = Some(e);
        }
    }

    fn flush(&mut self) {
        let flushed = self.sink.flush();
        self.keep_error(flushed);
    }
}

/// Says on stderr which mode and buffer were chosen, and why the modes
/// tried before were not usable.
fn report_setup(setup: &Setup, choice: &AttachChoice) {
    for unusable in &setup.passed_over {
        eprintln!(
            "corex execsnoop: {} cannot be used: {}",
            unusable.mode, unusable.why
        );
    }
    if let Some(e) = &setup.ring_unusable {
        eprintln!("corex execsnoop: the ring buffer cannot be used ({e}): using the perf buffer");
    }
    let why = match choice {
        AttachChoice::Auto => {
            let order: Vec<&str> = AttachMode::AUTO_ORDER.iter().map(|m| m.name()).collect();
            format!(
                " (auto: the first this kernel supports of {})",
                order.join(", ")
            )
        }
        AttachChoice::Modes(modes) if modes.len() > 1 => {
            " (the first of those asked for this kernel supports)".to_owned()
        }
        AttachChoice::Modes(_) => String::new(),
    };
    let failed = if setup.syscalls {
        ", failed execs from the execve/execveat syscall tracepoints"
    } else {
        ""
    };
    let wakeups = match setup.wakeup_bytes {
        0 => "woken for every exec".to_owned(),
        bytes => format!("woken per {} KiB or drained on a timer", bytes >> 10),
    };
    eprintln!(
        "corex execsnoop: tracing execs with {}{why}: {} on {}; reading the {} ({wakeups}){failed}; \
         Ctrl-C to stop",
        setup.mode,
        setup.mode.program(),
        setup.mode.target(),
        setup.buffer
    );
}

/// Says on stderr what was dropped (`new`, with `total` so far).
fn report_drops(new: &Drops, total: &Drops, buffer: BufferKind) {
    if new.output > 0 {
        let why = match buffer {
            BufferKind::Ring => "the ring buffer was full",
            BufferKind::Perf => "a CPU's perf ring was full or had no reader",
        };
        eprintln!(
            "corex execsnoop: {} execs lost in the kernel: {why} ({} so far)",
            new.output, total.output
        );
    }
    if new.perf_lost > 0 {
        eprintln!(
            "corex execsnoop: the perf rings reported {} samples lost ({} so far; the same \
             execs as those lost in the kernel)",
            new.perf_lost, total.perf_lost
        );
    }
    if new.stage > 0 {
        eprintln!(
            "corex execsnoop: {} failed execs not reported: they could not be staged at syscall \
             entry ({} so far)",
            new.stage, total.stage
        );
    }
}

/// The summary at exit.
fn report_summary(shown: u64, filtered: u64, total: &Drops) {
    let filtered = if filtered > 0 {
        format!(" ({filtered} more left out by -n/-l)")
    } else {
        String::new()
    };
    let lost = if total.is_empty() {
        "none".to_owned()
    } else {
        format!(
            "{} (kernel: {} output, {} staging; perf rings: {}; undecodable: {})",
            total.lost_events(),
            total.output,
            total.stage,
            total.perf_lost,
            total.undecodable
        )
    };
    eprintln!("corex execsnoop: {shown} execs shown{filtered}; lost: {lost}");
}

/// Runs `corex execsnoop`.
pub fn run(args: ExecsnoopArgs) -> Result<ExitCode> {
    let config = config(&args)?;
    let format = if args.json {
        Format::Json
    } else {
        Format::Text(text::Columns {
            time: args.time,
            timestamp: args.timestamp,
            uid: args.print_uid,
            quote: args.quote,
        })
    };
    let output = Mutex::new(Output {
        sink: io::BufWriter::with_capacity(64 << 10, io::stdout()),
        format,
        clock: Clock::now(),
        filter: Filter {
            name: args.name.as_ref().map(|n| n.as_bytes().to_vec()),
            line: args.line.as_ref().map(|l| l.as_bytes().to_vec()),
            joined: Vec::new(),
        },
        text_line: String::new(),
        json_line: Vec::new(),
        shown: 0,
        filtered: 0,
        error: None,
    });
    let lock = || output.lock().unwrap_or_else(PoisonError::into_inner);
    let mut tracer = match Tracer::start(&config, |record| lock().record(record)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("corex execsnoop: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    // Before anything is announced: whoever saw the announcement may signal
    // at once, and a signal must then stop the loop, not kill the process.
    let stop = crate::signals::stop_on_signals(tracer.waker())?;
    report_setup(tracer.setup(), &config.attach);
    if let Format::Text(columns) = format {
        let mut out = lock();
        let header = text::header(columns);
        let written = writeln!(out.sink, "{header}");
        out.keep_error(written);
        out.flush();
    }
    let buffer = tracer.setup().buffer;
    while !stop.load(Ordering::Acquire) && lock().error.is_none() {
        let progress = tracer.poll()?;
        lock().flush();
        report_drops(&progress.new_drops, &tracer.drops(), buffer);
    }
    let last = tracer.stop()?;
    report_drops(&last, &tracer.drops(), buffer);
    let mut out = lock();
    out.flush();
    report_summary(out.shown, out.filtered, &tracer.drops());
    match out.error.take() {
        Some(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(ExitCode::SUCCESS),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use corex_execsnoop::{Args, Flags};

    /// A record with ktime 2.5 s, tid = pid, ppid 1, uid 1000.
    pub(crate) fn record(
        pid: u32,
        retval: i32,
        flags: u32,
        comm: &[u8],
        path: &[u8],
        args: &[&[u8]],
    ) -> Vec<u8> {
        Event {
            ktime_ns: 2_500_000_000,
            pid,
            tid: pid,
            ppid: 1,
            uid: 1000,
            retval,
            flags: Flags::from_bits(flags),
            comm,
            path,
            args: Args::List(args),
        }
        .encode()
    }

    fn output(filter: Filter) -> Output<Vec<u8>> {
        Output {
            sink: Vec::new(),
            format: Format::Json,
            clock: Clock::now(),
            filter,
            text_line: String::new(),
            json_line: Vec::new(),
            shown: 0,
            filtered: 0,
            error: None,
        }
    }

    #[test]
    fn name_matches_the_comm_and_line_the_arguments() {
        let a = record(1, 0, 0, b"make", b"/usr/bin/cc", &[b"cc", b"-o", b"tpkg"]);
        let b = record(2, 0, 0, b"tpkg-tool", b"/bin/true", &[b"true"]);
        let run = |filter: Filter| {
            let mut out = output(filter);
            out.record(Event::parse(&a));
            out.record(Event::parse(&b));
            (out.shown, out.filtered)
        };
        let name = |n: &str| Filter {
            name: Some(n.into()),
            ..Filter::default()
        };
        let line = |l: &str| Filter {
            line: Some(l.into()),
            ..Filter::default()
        };
        assert_eq!(run(name("tpkg")), (1, 1));
        // -l matches the arguments, not the command name (libbpf-tools'
        // execsnoop matched the comm).
        assert_eq!(run(line("tpkg")), (1, 1));
        assert_eq!(run(line("cc -o tp")), (1, 1));
        assert_eq!(run(line("/bin/true")), (1, 1));
        assert_eq!(run(line("-o tpkg true")), (0, 2));
        assert_eq!(run(Filter::default()), (2, 0));
    }

    #[test]
    fn options_become_settings() {
        let attach = parse_attach("fentry,tp_btf").unwrap();
        assert_eq!(
            attach,
            AttachChoice::Modes(vec![AttachMode::Fentry, AttachMode::TpBtf])
        );
        assert!(parse_attach("fprobe")
            .unwrap_err()
            .contains("unknown attach mode 'fprobe'"));
        assert_eq!(
            parse_buffer("perf").unwrap(),
            BufferChoice::Only(BufferKind::Perf)
        );
        assert_eq!(resolve_uid("0").unwrap(), 0);
        assert_eq!(resolve_uid("root").unwrap(), 0);
        assert!(resolve_uid("no-such-user-corex")
            .unwrap_err()
            .to_string()
            .contains("no such uid or user"));
    }
}
