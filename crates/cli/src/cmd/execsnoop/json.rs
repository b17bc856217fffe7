//! `--json`: one object per line, per exec. The field names are stable
//! (new ones may be added, none renamed or removed):
//!
//! | field | type | what |
//! |---|---|---|
//! | `time_unix_ns` | integer | capture time, ns since the Unix epoch (the kernel's monotonic stamp plus the wall clock's offset at start) |
//! | `ktime_ns` | integer | the kernel's CLOCK_MONOTONIC stamp, ns |
//! | `pid`, `tid`, `ppid`, `uid` | integer | process, thread, parent process, real uid |
//! | `comm` | string | the task's command name |
//! | `path` | string | the executed path |
//! | `args` | array of strings | argv, argv\[0\] first |
//! | `retval` | integer | 0, or the failed exec's -errno |
//! | `error` | string or null | the errno's name (`ENOENT`) for a failed exec |
//! | `flags` | array of strings | what was left out: `args_truncated` (more than `--max-args`), `args_cut` (over 4 KiB), `path_cut`, `args_fault`, `path_fault`; `execveat` (a failed execveat: the path is relative to its fd) |
//! | `comm_hex`, `path_hex` | string | only when the field is not valid UTF-8: its exact bytes in hex |
//! | `args_hex` | array | only when an argument is not valid UTF-8: one entry per argument, `null` where `args` is exact, else the exact bytes in hex |
//!
//! JSON strings are Unicode, argv is bytes: text that is not valid UTF-8
//! is written with U+FFFD for each invalid sequence (readable, never
//! mistaken for exact), and the `_hex` field beside it carries the exact
//! bytes. Control characters are escaped as JSON requires.

use std::io::Write;

use corex_execsnoop::{errno_name, Clock, Event};

/// Writes `bytes` as a JSON string (lossy where not UTF-8).
fn string(out: &mut Vec<u8>, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    // Serializing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &*text);
}

/// Writes `bytes` as a JSON string of lowercase hex digits.
fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 15) as usize]);
    }
    out.push(b'"');
}

fn is_utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
}

/// Writes one event's object and its newline into `out`.
pub fn event_line(out: &mut Vec<u8>, event: &Event<'_>, clock: &Clock) {
    out.clear();
    let _ = write!(
        out,
        "{{\"time_unix_ns\":{},\"ktime_ns\":{},\"pid\":{},\"tid\":{},\"ppid\":{},\"uid\":{},\"comm\":",
        clock.unix_ns(event.ktime_ns),
        event.ktime_ns,
        event.pid,
        event.tid,
        event.ppid,
        event.uid
    );
    string(out, event.comm);
    out.extend_from_slice(b",\"path\":");
    string(out, event.path);
    out.extend_from_slice(b",\"args\":[");
    for (i, arg) in event.args.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, arg);
    }
    let _ = write!(out, "],\"retval\":{},\"error\":", event.retval);
    match errno_name(event.retval) {
        Some(name) => string(out, name.as_bytes()),
        None if event.retval < 0 => {
            let _ = write!(out, "\"errno {}\"", -i64::from(event.retval));
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"flags\":[");
    for (i, name) in event.flags.names().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, name.as_bytes());
    }
    out.push(b']');
    if !is_utf8(event.comm) {
        out.extend_from_slice(b",\"comm_hex\":");
        hex(out, event.comm);
    }
    if !is_utf8(event.path) {
        out.extend_from_slice(b",\"path_hex\":");
        hex(out, event.path);
    }
    if !event.args.iter().all(is_utf8) {
        out.extend_from_slice(b",\"args_hex\":[");
        for (i, arg) in event.args.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if is_utf8(arg) {
                out.extend_from_slice(b"null");
            } else {
                hex(out, arg);
            }
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::execsnoop::tests::record;
    use corex_execsnoop::Flags;
    use serde_json::{json, Value};

    fn object(bytes: &[u8]) -> Value {
        let event = Event::parse(bytes).unwrap();
        let clock = Clock {
            start_ns: 0,
            realtime_offset_ns: 1_000,
        };
        let mut out = Vec::new();
        event_line(&mut out, &event, &clock);
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
        assert!(out.ends_with(b"}\n"));
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn every_field() {
        let r = record(42, 0, 0, b"ls", b"/usr/bin/ls", &[b"ls", b"-l"]);
        assert_eq!(
            object(&r),
            json!({
                "time_unix_ns": 2_500_001_000u64, "ktime_ns": 2_500_000_000u64,
                "pid": 42, "tid": 42, "ppid": 1, "uid": 1000,
                "comm": "ls", "path": "/usr/bin/ls", "args": ["ls", "-l"],
                "retval": 0, "error": null, "flags": []
            })
        );
    }

    #[test]
    fn failures_and_flags() {
        let flags = Flags::EXECVEAT.bits() | Flags::ARGS_TRUNCATED.bits();
        let v = object(&record(5, -2, flags, b"sh", b"rel", &[b"a"]));
        assert_eq!(v["retval"], -2);
        assert_eq!(v["error"], "ENOENT");
        assert_eq!(v["flags"], json!(["args_truncated", "execveat"]));
        let v = object(&record(5, -200, 0, b"sh", b"x", &[]));
        assert_eq!(v["error"], "errno 200");
        assert_eq!(v["args"], json!([]));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept_exactly() {
        let v = object(&record(
            1,
            0,
            0,
            b"c\xffm",
            b"/tmp/\xfe",
            &[b"ok", b"\x80bad", b"tab\tnl\nq\"\\ \x1b"],
        ));
        assert_eq!(v["comm"], "c\u{fffd}m");
        assert_eq!(v["comm_hex"], "63ff6d");
        assert_eq!(v["path_hex"], "2f746d702ffe");
        assert_eq!(v["args"][1], "\u{fffd}bad");
        assert_eq!(v["args"][2], "tab\tnl\nq\"\\ \u{1b}");
        assert_eq!(v["args_hex"], json!([null, "80626164", null]));
        let clean = object(&record(1, 0, 0, b"c", b"/p", &[b"a"]));
        for field in ["comm_hex", "path_hex", "args_hex"] {
            assert!(
                clean.get(field).is_none(),
                "{field} only for non-UTF-8 text"
            );
        }
    }
}
