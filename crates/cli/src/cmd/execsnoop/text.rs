//! The text output: libbpf-tools execsnoop's columns (`[TIME] [TIME(s)]
//! [UID] PCOMM PID PPID RET ARGS`), each value escaped with
//! `corex_btf::printable` so that a hostile argv cannot reach the terminal
//! (control characters, escape sequences, bidi overrides and invalid UTF-8
//! are written as `\xNN`, `\n`, `\u{...}`; a backslash as `\\`).
//!
//! ARGS is the executed path, then argv\[1\] onwards (argv\[0\] is in
//! `--json`), as libbpf-tools shows it. What the BPF side could not send is
//! marked, never silently: `...` right after a path or argument that was
//! cut, ` ...` after the last argument when there were more than
//! `--max-args`, ` [unreadable]` where reading stopped on a fault.

use std::fmt::Write;

use chrono::{Local, TimeZone};
use corex_btf::printable;
use corex_execsnoop::{Clock, Event, Flags};

/// Which optional columns to show.
#[derive(Clone, Copy, Debug, Default)]
pub struct Columns {
    /// `-T`: local wall-clock time, HH:MM:SS.
    pub time: bool,
    /// `-t`: seconds since tracing started, from the kernel's timestamp.
    pub timestamp: bool,
    /// `-U`: the real uid.
    pub uid: bool,
    /// `-q`: each argument in double quotes.
    pub quote: bool,
}

/// The header line (without its newline).
pub fn header(columns: Columns) -> String {
    let mut line = String::new();
    if columns.time {
        line.push_str("TIME     ");
    }
    if columns.timestamp {
        line.push_str("TIME(s)  ");
    }
    if columns.uid {
        line.push_str("UID    ");
    }
    line.push_str("PCOMM            PID    PPID   RET ARGS");
    line
}

/// Appends `text` to `line`, then spaces up to `width` characters.
fn padded(line: &mut String, text: impl std::fmt::Display, width: usize) {
    let start = line.len();
    let _ = write!(line, "{text}");
    let shown = line[start..].chars().count();
    line.extend(std::iter::repeat_n(' ', width.saturating_sub(shown)));
}

/// One argument (or the path), escaped, quoted with `-q`.
fn argument(line: &mut String, bytes: &[u8], quote: bool) {
    if quote {
        line.push('"');
        let start = line.len();
        let _ = write!(line, "{}", printable(bytes));
        // printable escapes every backslash, so \" is unambiguous.
        let escaped = line[start..].replace('"', "\\\"");
        line.truncate(start);
        line.push_str(&escaped);
        line.push('"');
    } else {
        let _ = write!(line, "{}", printable(bytes));
    }
}

/// Writes one event's line (without its newline) into `line`.
pub fn event_line(line: &mut String, event: &Event<'_>, columns: Columns, clock: &Clock) {
    line.clear();
    if columns.time {
        let ns = clock.unix_ns(event.ktime_ns);
        let time = Local.timestamp_nanos(ns as i64);
        let _ = write!(line, "{} ", time.format("%H:%M:%S"));
    }
    if columns.timestamp {
        let seconds = clock.since_start_ns(event.ktime_ns) as f64 / 1e9;
        padded(line, format_args!("{seconds:.3}"), 8);
        line.push(' ');
    }
    if columns.uid {
        padded(line, event.uid, 6);
        line.push(' ');
    }
    padded(line, printable(event.comm), 16);
    line.push(' ');
    padded(line, event.pid, 6);
    line.push(' ');
    padded(line, event.ppid, 6);
    let _ = write!(line, " {:>3} ", event.retval);
    let flags = event.flags;
    if flags.contains(Flags::PATH_FAULT) {
        line.push_str("[unreadable]");
    } else {
        argument(line, event.path, columns.quote);
        if flags.contains(Flags::PATH_CUT) {
            line.push_str("...");
        }
    }
    for arg in event.args.iter().skip(1) {
        line.push(' ');
        argument(line, arg, columns.quote);
    }
    if flags.contains(Flags::ARGS_CUT) {
        line.push_str("...");
    }
    if flags.contains(Flags::ARGS_TRUNCATED) {
        line.push_str(" ...");
    }
    if flags.contains(Flags::ARGS_FAULT) {
        line.push_str(" [unreadable]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::execsnoop::tests::record;

    const CLOCK: Clock = Clock {
        start_ns: 1_000_000_000,
        realtime_offset_ns: 0,
    };

    fn line_of(bytes: &[u8], columns: Columns) -> String {
        let event = Event::parse(bytes).unwrap();
        let mut line = String::new();
        event_line(&mut line, &event, columns, &CLOCK);
        line
    }

    #[test]
    fn libbpf_tools_columns() {
        let r = record(42, 0, 0, b"ls", b"/usr/bin/ls", &[b"ls", b"-l", b"/tmp"]);
        assert_eq!(
            line_of(&r, Columns::default()),
            "ls               42     1        0 /usr/bin/ls -l /tmp"
        );
        assert_eq!(
            header(Columns::default()),
            "PCOMM            PID    PPID   RET ARGS"
        );
        let all = Columns {
            time: false,
            timestamp: true,
            uid: true,
            quote: true,
        };
        assert_eq!(
            header(all),
            "TIME(s)  UID    PCOMM            PID    PPID   RET ARGS"
        );
        assert_eq!(
            line_of(&r, all),
            "1.500    1000   ls               42     1        0 \"/usr/bin/ls\" \"-l\" \"/tmp\""
        );
    }

    /// `-T`: the wall-clock time of the kernel's stamp, HH:MM:SS in local
    /// time (the seconds do not depend on the time zone).
    #[test]
    fn wall_clock_column() {
        let r = record(42, 0, 0, b"ls", b"/usr/bin/ls", &[b"ls"]);
        // The record's stamp is 2.5 s: 1_700_000_045 s since the epoch.
        let clock = Clock {
            start_ns: 0,
            realtime_offset_ns: 1_700_000_042_500_000_000,
        };
        let columns = Columns {
            time: true,
            ..Columns::default()
        };
        assert_eq!(
            header(columns),
            "TIME     PCOMM            PID    PPID   RET ARGS"
        );
        let event = Event::parse(&r).unwrap();
        let mut line = String::new();
        event_line(&mut line, &event, columns, &clock);
        let (time, rest) = line.split_at(9);
        let fields: Vec<&str> = time.trim_end().split(':').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert!(
            fields
                .iter()
                .all(|f| f.len() == 2 && f.parse::<u8>().is_ok()),
            "{line}"
        );
        assert_eq!(fields[2], "05", "{line}");
        assert_eq!(rest, "ls               42     1        0 /usr/bin/ls");
    }

    #[test]
    fn hostile_bytes_are_escaped() {
        let r = record(
            7,
            -2,
            0,
            b"evil\x1b[2J",
            b"/tmp/\xff\xfe",
            &[b"x", b"a\nb", b"\x1b]0;title\x07", b"say \"hi\" \\"],
        );
        let line = line_of(&r, Columns::default());
        assert!(!line.bytes().any(|b| b < 0x20 || b == 0x7f), "{line:?}");
        assert_eq!(
            line,
            "evil\\x1b[2J      7      1       -2 /tmp/\\xff\\xfe a\\nb \\x1b]0;title\\x07 say \"hi\" \\\\"
        );
        let quoted = line_of(
            &r,
            Columns {
                quote: true,
                ..Columns::default()
            },
        );
        assert!(quoted.ends_with(r#" "say \"hi\" \\""#), "{quoted}");
    }

    #[test]
    fn what_was_left_out_is_marked() {
        let cut = Flags::ARGS_CUT.bits() | Flags::ARGS_TRUNCATED.bits();
        let r = record(1, 0, cut, b"a", b"/a", &[b"a", b"bbb"]);
        assert!(line_of(&r, Columns::default()).ends_with(" /a bbb... ..."));
        let fault = Flags::PATH_FAULT.bits() | Flags::ARGS_FAULT.bits();
        let r = record(1, -14, fault, b"a", b"", &[]);
        assert!(line_of(&r, Columns::default()).ends_with(" -14 [unreadable] [unreadable]"));
        let r = record(1, 0, Flags::PATH_CUT.bits(), b"a", b"/long", &[b"x"]);
        assert!(line_of(&r, Columns::default()).ends_with(" /long..."));
    }
}
