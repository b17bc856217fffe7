//! `corex execsnoop --attach MODE --json` rows: each workload exec reported once,
//! field by field as the driver ran it; a mode the kernel lacks refused in words.

use serde_json::{json, Value};

use super::{needs_hidden_kernel_btf, output_of_success, per_exec, refused_for_a_feature};
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
        if event[positive].as_u64().unwrap_or(0) == 0 {
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
    let stdout = match output_of_success(c, "corex execsnoop") {
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
    per_exec(c, |exec| {
        let command = exec.argv.join(" ");
        let mine: Vec<&Value> = events
            .iter()
            .filter(|e| e["pid"] == exec.pid && e["retval"] == 0)
            .collect();
        match mine.as_slice() {
            [] => Err(format!("no event for `{command}` (pid {})", exec.pid)),
            [event] => {
                let diffs = differences(event, &expected_event(exec, max_args));
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "`{command}` (pid {}): {}",
                        exec.pid,
                        diffs.join(", ")
                    ))
                }
            }
            more => Err(format!(
                "{} events for `{command}` (pid {}), one expected",
                more.len(),
                exec.pid
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use crate::protocol::{Run, Stdout};

    fn exec(pid: u32, argv: &[&str]) -> Exec {
        Exec {
            pid,
            status: 0,
            argv: argv.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn event(exec: &Exec) -> Value {
        let mut e = expected_event(exec, 3);
        e["ppid"] = json!(1);
        e["ktime_ns"] = json!(123);
        e["time_unix_ns"] = json!(456);
        e
    }

    fn tracer_run(events: &[Value], execs: Vec<Exec>, ready: bool, stderr: &str) -> Run {
        let stdout: String = events.iter().map(|e| format!("{e}\n")).collect();
        Run {
            exit: if ready { 0 } else { 1 },
            stdout: Stdout::Full(stdout.into_bytes()),
            stderr: stderr.as_bytes().to_vec(),
            ready: Some(ready),
            execs,
            timed_out: false,
        }
    }

    const PLAIN: ModeNeeds = ModeNeeds {
        feature: None,
        kernel_btf: false,
    };
    const KPROBE: ModeNeeds = ModeNeeds {
        feature: Some((Feature::Kprobes, "cannot attach kprobe")),
        kernel_btf: false,
    };
    const FENTRY: ModeNeeds = ModeNeeds {
        feature: Some((Feature::Trampolines, "fentry needs BPF trampolines")),
        kernel_btf: true,
    };

    fn judge(needs: ModeNeeds, run: &Run, features: Option<&[Feature]>, sc: Scenario) -> Verdict {
        traced(needs, 3)(&Check {
            features,
            scenario: sc,
            guest: run,
            reference: None,
        })
    }

    #[test]
    fn every_exec_must_be_reported_once_with_every_field() {
        let execs = vec![
            exec(10, &["/bin/true", "two words"]),
            exec(11, &["/bin/true", "a", "b", "c", "d"]),
            exec(12, &["/usr/lib/a-very-long-program-name", "x"]),
        ];
        let events: Vec<Value> = execs.iter().map(event).collect();
        assert_eq!(events[1]["flags"], json!(["args_truncated"]));
        assert_eq!(events[1]["args"], json!(["/bin/true", "a", "b"]));
        assert_eq!(events[2]["comm"], "a-very-long-pro");
        let good = tracer_run(&events, execs.clone(), true, "");
        assert_eq!(judge(PLAIN, &good, None, Scenario::Btf), Verdict::ok(3, 3));
        let mut wrong = events.clone();
        wrong[0]["args"] = json!(["/bin/true", "two"]);
        wrong[1]["flags"] = json!([]);
        wrong[2]["ppid"] = json!(0);
        let v = judge(
            PLAIN,
            &tracer_run(&wrong, execs.clone(), true, ""),
            None,
            Scenario::Btf,
        );
        assert_eq!((v.status, v.events, v.expected), (Status::Fail, 0, 3));
        let reason = v.reason.unwrap();
        for want in [
            "`/bin/true two words` (pid 10): args [\"/bin/true\",\"two\"]",
            "(pid 11): flags [] (expected [\"args_truncated\"])",
            "(pid 12): ppid 0 (expected > 0)",
        ] {
            assert!(reason.contains(want), "{want} not in {reason}");
        }
        let twice = [events.clone(), vec![events[0].clone()]].concat();
        let v = judge(
            PLAIN,
            &tracer_run(&twice, execs.clone(), true, ""),
            None,
            Scenario::Btf,
        );
        assert!(v
            .reason
            .unwrap()
            .contains("2 events for `/bin/true two words`"));
        let v = judge(
            PLAIN,
            &tracer_run(&events[1..], execs.clone(), true, ""),
            None,
            Scenario::Btf,
        );
        assert!(v
            .reason
            .unwrap()
            .contains("no event for `/bin/true two words` (pid 10)"));
        let garbled = Run {
            stdout: Stdout::Full(b"{\"pid\": 10\n".to_vec()),
            ..good.clone()
        };
        assert!(judge(PLAIN, &garbled, None, Scenario::Btf)
            .reason
            .unwrap()
            .contains("line 1 is not JSON"));
        let no_workload = tracer_run(&events, vec![], true, "");
        assert_eq!(
            judge(PLAIN, &no_workload, None, Scenario::Btf).status,
            Status::Fail
        );
    }

    #[test]
    fn a_missing_mode_is_unsupported_only_in_words_and_where_the_table_agrees() {
        let refused = tracer_run(
            &[],
            vec![],
            false,
            "corex execsnoop: --attach kprobe: cannot attach kprobe: this kernel has no kprobes (CONFIG_KPROBES is off)\n",
        );
        let v = judge(KPROBE, &refused, None, Scenario::Btf);
        assert_eq!(v.status, Status::Unsupported);
        assert!(v.reason.unwrap().contains("CONFIG_KPROBES is off"));
        assert_eq!(
            judge(KPROBE, &refused, Some(&[Feature::Kprobes]), Scenario::Btf).status,
            Status::Fail
        );
        let vague = tracer_run(&[], vec![], false, "corex execsnoop: error\n");
        assert_eq!(
            judge(KPROBE, &vague, None, Scenario::Btf).status,
            Status::Fail
        );
        assert_eq!(
            judge(PLAIN, &refused, None, Scenario::Btf).status,
            Status::Fail
        );
        let attached = tracer_run(&[], vec![], true, "");
        assert!(judge(KPROBE, &attached, Some(&[]), Scenario::Btf)
            .reason
            .unwrap()
            .contains("says no kprobes but corex attached"));
    }

    #[test]
    fn modes_needing_kernel_btf_must_say_it_is_hidden() {
        let named = tracer_run(
            &[],
            vec![],
            false,
            "corex execsnoop: execsnoop.bpf.o: vmlinux BTF is not available: this kernel has no BTF\n",
        );
        let v = judge(
            FENTRY,
            &named,
            Some(&[Feature::Trampolines]),
            Scenario::NoBtf,
        );
        assert_eq!(v.status, Status::Unsupported);
        assert!(v.reason.unwrap().contains("vmlinux BTF is not available"));
        let other = tracer_run(&[], vec![], false, "corex execsnoop: fentry: EINVAL\n");
        assert_eq!(
            judge(FENTRY, &other, None, Scenario::NoBtf).status,
            Status::Fail
        );
        let attached = tracer_run(&[], vec![], true, "");
        assert_eq!(
            judge(FENTRY, &attached, None, Scenario::NoBtf).status,
            Status::Fail
        );
        // Modes that need no kernel BTF must trace in no-btf like anywhere else.
        assert_eq!(
            judge(PLAIN, &named, None, Scenario::NoBtf).status,
            Status::Fail
        );
    }
}
