//! `corex execsnoop --attach MODE --json` rows: each workload exec reported once,
//! field by field as the driver ran it; a mode the kernel lacks refused in words.

use serde_json::{json, Value};

use super::{full, needs_hidden_kernel_btf, refused_for_a_feature};
use super::{Check, Verdict};
use crate::kernels::Feature;
use crate::protocol::Exec;
use crate::variants::Scenario;

/// What an attach mode needs of the kernel.
#[derive(Clone, Copy, Debug)]
pub struct ModeNeeds {
    /// A feature of the kernel table, with the text corex says when it is missing.
    pub feature: Option<(Feature, &'static str)>,
    /// Whether the mode needs the kernel's own BTF (tp_btf, fentry: the attach target
    /// is a BTF id of the running kernel), so it cannot work in the no-btf scenario.
    pub kernel_btf: bool,
}

/// The event corex must print for `exec` with `--max-args max_args`: the fields the
/// workload fixes (times and ppid are checked apart).
fn expected_event(exec: &Exec, max_args: usize) -> Value {
    let path = exec.argv.first().map_or("", String::as_str);
    let basename = path.rsplit('/').next().unwrap_or(path);
    // The kernel's comm: the file name's first 15 bytes (TASK_COMM_LEN 16).
    let mut end = basename.len().min(15);
    while !basename.is_char_boundary(end) {
        end -= 1;
    }
    let truncated = exec.argv.len() > max_args;
    json!({
        "pid": exec.pid,
        "tid": exec.pid,
        "uid": 0,
        "comm": &basename[..end],
        "path": path,
        "args": &exec.argv[..exec.argv.len().min(max_args)],
        "retval": 0,
        "error": null,
        "flags": if truncated { vec!["args_truncated"] } else { vec![] },
    })
}

/// The fields of `event` that differ from `want`, or the timing/ppid fields that are
/// not plausible.
fn differences(event: &Value, want: &Value) -> Vec<String> {
    let mut diffs: Vec<String> = want
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| event.get(k.as_str()) != Some(v))
        .map(|(k, v)| {
            let got = event.get(k.as_str()).unwrap_or(&Value::Null);
            format!("{k} {got} (expected {v})")
        })
        .collect();
    for positive in ["ppid", "ktime_ns", "time_unix_ns"] {
        if !event[positive].as_u64().is_some_and(|n| n > 0) {
            diffs.push(format!("{positive} {} (expected > 0)", event[positive]));
        }
    }
    diffs
}

/// The checker of a tracer row for a mode needing `needs`, with `--max-args max_args`.
pub fn traced(needs: ModeNeeds, max_args: usize) -> impl Fn(&Check) -> Verdict + Send + Sync {
    move |c: &Check| {
        let attached = c.guest.ready == Some(true);
        if needs.kernel_btf && c.scenario == Scenario::NoBtf {
            return needs_hidden_kernel_btf(c, attached);
        }
        if !attached {
            return match needs.feature {
                Some((feature, text)) => refused_for_a_feature(c, &[(feature, text)]),
                None => Verdict::fail(format!(
                    "corex execsnoop never attached: {}",
                    c.guest.stderr_line()
                )),
            };
        }
        if let Some((feature, _)) = needs.feature {
            if c.features.is_some_and(|f| !f.contains(&feature)) {
                return Verdict::fail(format!(
                    "the kernel table (xtask/src/kernels.rs) says no {} but corex attached",
                    feature.name()
                ));
            }
        }
        match_events(c, max_args)
    }
}

/// Every workload exec reported exactly once, every field as expected.
fn match_events(c: &Check, max_args: usize) -> Verdict {
    if c.guest.exit != 0 {
        return Verdict::fail(format!(
            "corex execsnoop exited {}: {}",
            c.guest.exit,
            c.guest.stderr_line()
        ));
    }
    let stdout = match full(c.guest) {
        Ok(data) => data,
        Err(v) => return v,
    };
    let mut events = Vec::new();
    for (n, line) in stdout.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(e) => events.push(e),
            Err(e) => return Verdict::fail(format!("line {} is not JSON: {e}", n + 1)),
        }
    }
    let expected = c.guest.execs.len() as u64;
    if expected == 0 {
        return Verdict::fail("the row ran no workload: nothing was checked");
    }
    let mut problems = Vec::new();
    let mut matched = 0;
    for exec in &c.guest.execs {
        let command = exec.argv.join(" ");
        let mine: Vec<&Value> = events
            .iter()
            .filter(|e| e["pid"] == exec.pid && e["retval"] == 0)
            .collect();
        match mine.as_slice() {
            [] => problems.push(format!("no event for `{command}` (pid {})", exec.pid)),
            [event] => {
                let diffs = differences(event, &expected_event(exec, max_args));
                if diffs.is_empty() {
                    matched += 1;
                } else {
                    problems.push(format!(
                        "`{command}` (pid {}): {}",
                        exec.pid,
                        diffs.join(", ")
                    ));
                }
            }
            more => problems.push(format!(
                "{} events for `{command}` (pid {}), one expected",
                more.len(),
                exec.pid
            )),
        }
    }
    if problems.is_empty() {
        Verdict::ok(matched, expected)
    } else {
        Verdict {
            events: matched,
            expected,
            ..Verdict::fail(problems.join("; "))
        }
    }
}
