//! Reading the driver's `@@corex` lines (written by `xtask/guest/driver.sh`) back
//! into results. Kernel messages between them are passed over; a line the kernel
//! split or a payload that does not decode makes that variant's result an error.

use std::collections::BTreeMap;
use std::io::Read;

use base64::Engine;
use flate2::read::GzDecoder;
use sha2::{Digest as _, Sha256};

use crate::variants::Scenario;

/// What the driver sent of a command's standard output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stdout {
    /// The whole output.
    Full(Vec<u8>),
    /// Its digest only.
    Digest(Digest),
}

/// A summary of an output that is compared, not shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Length in bytes.
    pub bytes: u64,
    /// Newline count.
    pub lines: u64,
}

impl Digest {
    /// The digest of `data`, as the driver computes it.
    pub fn of(data: &[u8]) -> Self {
        let sha256 = Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Digest {
            sha256,
            bytes: data.len() as u64,
            lines: data.iter().filter(|&&b| b == b'\n').count() as u64,
        }
    }
}

impl Stdout {
    /// The digest, computed if the whole output is at hand.
    pub fn digest(&self) -> Digest {
        match self {
            Stdout::Full(data) => Digest::of(data),
            Stdout::Digest(d) => d.clone(),
        }
    }
}

/// One workload command the driver ran while a tracer ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exec {
    /// Its process id (the one the tracer must report).
    pub pid: u32,
    /// Its exit status.
    pub status: i32,
    /// Program and arguments.
    pub argv: Vec<String>,
}

/// One command's result, from the guest, the native run or the host reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// Exit status (128 + signal when killed).
    pub exit: i32,
    /// Standard output.
    pub stdout: Stdout,
    /// Standard error (its first 64 KiB).
    pub stderr: Vec<u8>,
    /// Background runs: whether the ready text appeared.
    pub ready: Option<bool>,
    /// Background runs: the workload.
    pub execs: Vec<Exec>,
    /// Killed by the driver's watchdog.
    pub timed_out: bool,
}

impl Run {
    /// The first line of standard error, for reasons.
    pub fn stderr_line(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        text.lines().next().unwrap_or("").trim().to_string()
    }
}

/// The driver's greeting: which kernel it runs on. (Times come from the host's
/// clock: a TCG guest's clock runs fast or slow with the host's load.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// `uname -r`.
    pub release: String,
}

/// Everything one driver run sent.
#[derive(Debug, Default)]
pub struct Report {
    /// The greeting, if the driver started.
    pub hello: Option<Hello>,
    /// Per scenario entered: entries visible in `/sys/kernel/btf`.
    pub btf_entries: BTreeMap<Scenario, u64>,
    /// Results by scenario and variant name; `Err` says why a result is unusable.
    pub runs: BTreeMap<(Scenario, String), Result<Run, String>>,
    /// Whether the driver reached its end.
    pub done: bool,
    /// Driver warnings and lines that could not be read.
    pub warnings: Vec<String>,
}

const MARKER: &str = "@@corex ";

#[derive(Default)]
struct Partial {
    out: String,
    err: String,
    digest: Option<Digest>,
    ready: Option<bool>,
    execs: Vec<Exec>,
    problems: Vec<String>,
}

/// Parses a console log or the native driver's output.
pub fn parse(text: &str) -> Report {
    let mut report = Report::default();
    let mut open: BTreeMap<(Scenario, String), Partial> = BTreeMap::new();
    for raw in text.lines() {
        let Some(at) = raw.find(MARKER) else { continue };
        let line = raw[at + MARKER.len()..].trim_end_matches('\r');
        let words: Vec<&str> = line.split(' ').collect();
        if let Err(problem) = record(&mut report, &mut open, &words) {
            report.warnings.push(format!("{problem}: {line:?}"));
        }
    }
    for (key, partial) in open {
        let why = match partial.problems.first() {
            Some(p) => format!("the driver's result stops before its end ({p})"),
            None => "the driver's result stops before its end".to_string(),
        };
        report.runs.insert(key, Err(why));
    }
    report
}

fn number<T: std::str::FromStr>(word: Option<&&str>, what: &str) -> Result<T, String> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| format!("bad {what}"))
}

fn key(words: &[&str]) -> Result<(Scenario, String), String> {
    let scenario = words
        .get(1)
        .and_then(|s| Scenario::from_name(s))
        .ok_or("unknown scenario")?;
    let name = words.get(2).ok_or("no variant name")?;
    Ok((scenario, name.to_string()))
}

fn record(
    report: &mut Report,
    open: &mut BTreeMap<(Scenario, String), Partial>,
    words: &[&str],
) -> Result<(), String> {
    match words[0] {
        "hello" => {
            let release = words.get(1).ok_or("no release")?.to_string();
            report.hello = Some(Hello { release });
        }
        "scenario" => {
            let scenario = words
                .get(1)
                .and_then(|s| Scenario::from_name(s))
                .ok_or("unknown scenario")?;
            report
                .btf_entries
                .insert(scenario, number(words.get(2), "entry count")?);
        }
        "warn" => report.warnings.push(words[1..].join(" ")),
        "done" => report.done = true,
        "begin" => {
            open.insert(key(words)?, Partial::default());
        }
        "end" => {
            let k = key(words)?;
            let partial = open.remove(&k).ok_or("end without begin")?;
            let result = finish(partial, words);
            report.runs.insert(k, result);
        }
        kind @ ("out" | "err" | "digest" | "ready" | "exec") => {
            let k = key(words)?;
            let partial = open.get_mut(&k).ok_or("result line outside begin/end")?;
            if let Err(problem) = field(partial, kind, &words[3..]) {
                partial.problems.push(format!("{kind} line: {problem}"));
            }
        }
        other => return Err(format!("unknown record {other:?}")),
    }
    Ok(())
}

fn field(p: &mut Partial, kind: &str, rest: &[&str]) -> Result<(), String> {
    match (kind, rest) {
        ("out", [chunk]) => p.out.push_str(chunk),
        ("err", [chunk]) => p.err.push_str(chunk),
        ("digest", [sha, bytes, lines]) => {
            p.digest = Some(Digest {
                sha256: sha.to_string(),
                bytes: number(Some(bytes), "byte count")?,
                lines: number(Some(lines), "line count")?,
            })
        }
        ("ready", [answer]) => p.ready = Some(*answer == "yes"),
        ("exec", [pid, status, argv]) => {
            let argv = base64::engine::general_purpose::STANDARD
                .decode(argv)
                .map_err(|e| format!("argv: {e}"))?;
            p.execs.push(Exec {
                pid: number(Some(pid), "pid")?,
                status: number(Some(status), "status")?,
                argv: String::from_utf8_lossy(&argv)
                    .lines()
                    .map(str::to_string)
                    .collect(),
            });
        }
        _ => return Err(format!("{} fields", rest.len())),
    }
    Ok(())
}

/// base64 then gunzip, as the driver's `send` encodes.
fn unpack(b64: &str) -> Result<Vec<u8>, String> {
    let gz = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("base64: {e}"))?;
    let mut data = Vec::new();
    GzDecoder::new(&gz[..])
        .read_to_end(&mut data)
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(data)
}

fn finish(p: Partial, words: &[&str]) -> Result<Run, String> {
    if let Some(problem) = p.problems.first() {
        return Err(format!("unreadable driver output: {problem}"));
    }
    let exit = number(words.get(3), "exit status")?;
    let timed_out = words.get(4) == Some(&"1");
    let stdout = match p.digest {
        Some(d) => Stdout::Digest(d),
        None => Stdout::Full(unpack(&p.out).map_err(|e| format!("standard output: {e}"))?),
    };
    let stderr = unpack(&p.err).map_err(|e| format!("standard error: {e}"))?;
    Ok(Run {
        exit,
        stdout,
        stderr,
        ready: p.ready,
        execs: p.execs,
        timed_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn pack(data: &[u8]) -> String {
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(data).unwrap();
        base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
    }

    /// Driver-style lines: the payload split in 76-character lines.
    fn lines(tag: &str, data: &[u8]) -> String {
        let b64 = pack(data);
        b64.as_bytes()
            .chunks(76)
            .map(|c| format!("@@corex {tag} {}\r\n", std::str::from_utf8(c).unwrap()))
            .collect()
    }

    #[test]
    fn a_console_log_parses_into_results() {
        let json = br#"{"relocations": []}"#.repeat(20);
        let log = format!(
            "[    0.000000] Linux version 6.1.0\r\n\
             @@corex hello 6.1.0-57-cloud-amd64 1\r\n\
             @@corex scenario btf 7\r\n\
             @@corex begin btf reloc:task\r\n\
             {}{}\
             [    9.1] random: crng init done\r\n\
             @@corex end btf reloc:task 0 0\r\n\
             @@corex begin btf btf:dump\r\n\
             @@corex digest btf btf:dump 0123abcd 9085745 131072\r\n\
             {}\
             @@corex end btf btf:dump 0 0\r\n\
             @@corex done\r\n",
            lines("out btf reloc:task", &json),
            lines("err btf reloc:task", b""),
            lines("err btf btf:dump", b"warning\n"),
        );
        let r = parse(&log);
        assert!(r.done);
        assert_eq!(r.hello.unwrap().release, "6.1.0-57-cloud-amd64");
        assert_eq!(r.btf_entries[&Scenario::Btf], 7);
        let reloc = r.runs[&(Scenario::Btf, "reloc:task".into())]
            .as_ref()
            .unwrap();
        assert_eq!(reloc.stdout, Stdout::Full(json));
        assert_eq!((reloc.exit, reloc.timed_out), (0, false));
        let dump = r.runs[&(Scenario::Btf, "btf:dump".into())]
            .as_ref()
            .unwrap();
        assert_eq!(dump.stdout.digest().bytes, 9085745);
        assert_eq!(dump.stderr_line(), "warning");
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn workload_and_readiness_come_back() {
        let argv = base64::engine::general_purpose::STANDARD.encode("/bin/true\nmark-1\n");
        let log = format!(
            "@@corex begin no-btf exec:tp\n@@corex ready no-btf exec:tp yes\n\
             @@corex exec no-btf exec:tp 42 0 {argv}\n{}{}@@corex end no-btf exec:tp 130 0\n",
            lines("out no-btf exec:tp", b"{}\n"),
            lines("err no-btf exec:tp", b""),
        );
        let r = parse(&log);
        let run = r.runs[&(Scenario::NoBtf, "exec:tp".into())]
            .as_ref()
            .unwrap();
        assert_eq!(run.ready, Some(true));
        assert_eq!(
            run.execs,
            [Exec {
                pid: 42,
                status: 0,
                argv: vec!["/bin/true".into(), "mark-1".into()]
            }]
        );
        assert_eq!(run.exit, 130);
    }

    #[test]
    fn damaged_or_cut_results_are_errors_not_results() {
        let good = lines(
            "out btf a",
            b"some output that is long enough to span lines",
        );
        // A kernel message spliced into the payload.
        let spliced = good.replacen("\r\n", "[  3.2] oops\r\n", 1);
        let log = format!(
            "@@corex begin btf a\n{spliced}{}@@corex end btf a 0 0\n\
             @@corex begin btf b\n{}",
            lines("err btf a", b""),
            lines("out btf b", b"x"),
        );
        let r = parse(&log);
        let a = r.runs[&(Scenario::Btf, "a".into())].as_ref().unwrap_err();
        assert!(a.contains("unreadable driver output: out line"), "{a}");
        let b = r.runs[&(Scenario::Btf, "b".into())].as_ref().unwrap_err();
        assert!(b.contains("stops before its end"), "{b}");
        assert!(!r.done);
    }

    #[test]
    fn malformed_lines_become_warnings() {
        let r =
            parse("@@corex frobnicate\n@@corex end btf never-begun 0 0\n@@corex begin nope x\n");
        assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
        assert!(r.runs.is_empty());
    }

    #[test]
    fn digest_matches_sha256sum() {
        let d = Digest::of(b"abc\n");
        assert_eq!(
            d.sha256,
            "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb"
        );
        assert_eq!((d.bytes, d.lines), (4, 1));
    }
}
