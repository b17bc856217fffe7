//! With `-x`, the syscall programs stage each exec at entry and remove the
//! stage at exit (or, for a successful exec, in the exec program). The
//! stage is keyed by the task, not its tid, so an exec from a non-leader
//! thread (whose tid becomes the leader's pid) leaves nothing behind,
//! where libbpf-tools' execsnoop leaks a staging entry. The proof reads
//! the tracer's own `stages` map after execs confined to a fresh cgroup
//! (`-c`: only they are staged, so the map must then be empty whatever
//! the rest of the machine is doing).

use corex_sys::{MapFd, ObjectKind};

use super::cgroup2_mount;
use crate::support::*;

/// The tracer's staging map, found among the ids it holds by its name.
fn stages_map(tracer: &Execsnoop) -> MapFd {
    tracer
        .ids
        .iter()
        .filter(|(kind, _)| *kind == ObjectKind::Map)
        .filter_map(|(_, id)| MapFd::from_id(*id).ok())
        .find(|map| map.info().is_ok_and(|info| info.name == "stages"))
        .unwrap_or_else(|| panic!("no stages map among {:?}", tracer.ids))
}

/// Runs `driver ARGS...` after moving itself into `cgroup` (through sh,
/// which then execs the driver in place: that exec is staged too).
fn in_cgroup(cgroup: &std::path::Path, args: &str) -> DriverRun {
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec \"$0\" {args}",
        cgroup.display()
    );
    run_driver_as(
        std::process::Command::new("sh")
            .args(["-c", &script])
            .arg(driver()),
    )
}

#[test]
fn staged_execs_leave_no_entry() {
    let _serial = serial();
    let cgroup = cgroup2_mount().join(format!("corex-execsnoop-stages-{}", std::process::id()));
    std::fs::create_dir(&cgroup).unwrap();
    let tracer = Execsnoop::start(&["--json", "-x", "-c", cgroup.to_str().unwrap()]);
    let stages = stages_map(&tracer);
    assert_eq!(stages.keys().count(), 0, "empty at start");
    // The check below can see an entry: one made here is counted.
    let key = u64::MAX.to_ne_bytes();
    let value = vec![0u8; stages.info().unwrap().value_size as usize];
    stages.update(&key, &value, 0).unwrap();
    assert_eq!(stages.keys().count(), 1);
    assert!(stages.delete(&key).unwrap());

    let exe = driver().display().to_string();
    let t_thread = tag("stage-thread");
    let thread = in_cgroup(
        &cgroup,
        &format!("thread \"$0\" from-thread report {t_thread}"),
    );
    assert_ne!(
        thread.value("tid"),
        i64::from(thread.pid),
        "the exec came from a non-leader thread"
    );
    let t_fail = tag("stage-enoent");
    let failing = in_cgroup(&cgroup, &format!("execve /nonexistent/{t_fail} x {t_fail}"));
    assert_eq!(failing.value("errno"), 2);
    let t_ok = tag("stage-ok");
    let ok = in_cgroup(&cgroup, &format!("execve {exe} again report {t_ok}"));

    let left: Vec<_> = stages.keys().collect();
    // This test's own descriptor would keep the map (and its BTF) alive.
    drop(stages);
    let (events, _) = tracer.stop_json();
    std::fs::remove_dir(&cgroup).unwrap();
    assert!(left.is_empty(), "stages left behind: {left:?}");
    for (what, run, t, retval) in [
        ("the thread's exec", &thread, &t_thread, 0),
        ("the failed exec", &failing, &t_fail, -2),
        ("the exec of an exec'd driver", &ok, &t_ok, 0),
    ] {
        let found = events_of(&events, run.pid, t);
        assert!(
            found.last().is_some_and(|e| e["retval"] == retval),
            "{what}: {found:#?}"
        );
    }
}
