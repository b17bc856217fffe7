//! Rows of `corex run OBJ` whose program prints `exec pid=N` with `bpf_printk` at each
//! exec: N must be the pid of every workload exec, as the trace line's header (the
//! kernel's own record of the current task) says.

use super::{output_of_success, per_exec, Check, Verdict};

/// A trace line as `corex run` prints it: `TASK-PID [CPU] SECS.MICROS: MESSAGE`.
struct TraceLine<'a> {
    pid: u32,
    message: &'a str,
}

fn parse_trace_line(line: &str) -> Option<TraceLine<'_>> {
    let (head, rest) = line.split_once(" [")?;
    let pid = head.rsplit_once('-')?.1.parse().ok()?;
    let message = rest.split_once("] ")?.1.split_once(": ")?.1;
    Some(TraceLine { pid, message })
}

/// The `N` of `... exec pid=N`.
fn reported_pid(message: &str) -> Option<i64> {
    message.split_once("exec pid=")?.1.trim().parse().ok()
}

/// Every workload exec has a trace line from its own process whose `exec pid=N` is
/// its pid.
pub fn exec_pids_traced(c: &Check) -> Verdict {
    if c.guest.ready != Some(true) {
        return Verdict::fail(format!(
            "corex run never attached: {}",
            c.guest.stderr_line()
        ));
    }
    let stdout = match output_of_success(c, "corex run") {
        Ok(data) => String::from_utf8_lossy(data),
        Err(v) => return v,
    };
    let lines: Vec<TraceLine> = stdout.lines().filter_map(parse_trace_line).collect();
    per_exec(c, |exec| {
        let command = exec.argv.join(" ");
        let seen: Vec<i64> = lines
            .iter()
            .filter(|l| l.pid == exec.pid)
            .filter_map(|l| reported_pid(l.message))
            .collect();
        if seen.is_empty() {
            return Err(format!(
                "no `exec pid=` trace line from `{command}` (pid {})",
                exec.pid
            ));
        }
        match seen.iter().find(|&&n| n != i64::from(exec.pid)) {
            Some(n) => Err(format!(
                "`{command}` (pid {}): the program read pid {n}, the kernel's trace header says {}",
                exec.pid, exec.pid
            )),
            None => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Exec, Run, Stdout};
    use crate::variants::Scenario;

    fn traced(stdout: &str, pids: &[u32]) -> Run {
        Run {
            exit: 0,
            stdout: Stdout::Full(stdout.as_bytes().to_vec()),
            stderr: b"corex: attached p (tracepoint/sched/sched_process_exec)\n".to_vec(),
            ready: Some(true),
            execs: pids
                .iter()
                .map(|&pid| Exec {
                    pid,
                    status: 0,
                    argv: vec!["/bin/true".into(), format!("x{pid}")],
                })
                .collect(),
            timed_out: false,
        }
    }

    fn judge(run: &Run) -> Verdict {
        exec_pids_traced(&Check {
            features: None,
            scenario: Scenario::Btf,
            guest: run,
            reference: None,
        })
    }

    const TRACE: &str = "grep-22992 [000] 12923.115842: hardcoded_pid: exec pid=22992\n\
        true-22994 [000] 12923.120621: hardcoded_pid: exec pid=22994\n\
        my-task-name-22999 [001] 12923.137349: hardcoded_pid: exec pid=22999\n";

    #[test]
    fn every_exec_must_report_its_own_pid() {
        assert_eq!(judge(&traced(TRACE, &[22994, 22999])), Verdict::ok(2, 2));
        let wrong = TRACE.replace("exec pid=22999", "exec pid=1835102823");
        let v = judge(&traced(&wrong, &[22994, 22999]));
        assert_eq!(
            (v.status, v.events, v.expected),
            (crate::check::Status::Fail, 1, 2)
        );
        let reason = v.reason.unwrap();
        assert!(
            reason.contains("(pid 22999): the program read pid 1835102823, the kernel's trace header says 22999"),
            "{reason}"
        );
        let v = judge(&traced(TRACE, &[22994, 4242]));
        assert!(v
            .reason
            .unwrap()
            .contains("no `exec pid=` trace line from `/bin/true x4242` (pid 4242)"));
        assert_eq!(
            judge(&traced(TRACE, &[])).status,
            crate::check::Status::Fail
        );
        let never = Run {
            ready: Some(false),
            ..traced(TRACE, &[22994])
        };
        assert_eq!(judge(&never).status, crate::check::Status::Fail);
    }
}
