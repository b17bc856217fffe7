//! The `load:` and `probe` checkers on right and wrong results.

use super::*;
use crate::kernels::Feature::{KprobeMulti, Kprobes, TaskAcquireKfunc, Trampolines};

fn run(exit: i32, stdout: &str, stderr: &str) -> Run {
    Run {
        exit,
        stdout: Stdout::Full(stdout.as_bytes().to_vec()),
        stderr: stderr.as_bytes().to_vec(),
        ready: None,
        execs: Vec::new(),
        timed_out: false,
    }
}

fn check<'a>(
    guest: &'a Run,
    reference: Option<&'a Run>,
    features: Option<&'a [Feature]>,
    scenario: Scenario,
) -> Check<'a> {
    Check {
        features,
        scenario,
        guest,
        reference,
    }
}

const INSPECT: &str = r#"{"programs": [
  {"name": "helper", "subprog": true, "autoload": true},
  {"name": "prog_a", "subprog": false, "autoload": true},
  {"name": "prog_b", "subprog": false, "autoload": true}],
 "maps": [{"name": "counts"}]}"#;

const LOADED: &str = "map counts: created, id 12 (hash, key 4, value 8, 8 entries)\n\
    map obj.bss: created, id 13 (array, .bss, key 4, value 4, 1 entries)\n\
    program prog_a: loaded, id 40 (raw_tracepoint, section raw_tp)\n\
    program prog_b: loaded, id 41 (raw_tracepoint, section raw_tp)\n";

const FENTRY_REFUSED: &str = "corex: lab.bpf.o: program 'f' (section 'fentry/x'): fentry needs BPF trampolines, which this kernel refused: EPERM\n";

fn judge_load(expect: LoadExpect, guest: &Run, features: Option<&[Feature]>) -> Verdict {
    let inspect = run(0, INSPECT, "");
    loaded(expect, true)(&check(guest, Some(&inspect), features, Scenario::Btf))
}

#[test]
fn a_load_is_ok_only_with_every_program_and_map_loaded() {
    let good = run(0, LOADED, "");
    assert_eq!(
        judge_load(LoadExpect::Loads, &good, None),
        Verdict::ok(3, 3)
    );
    let one_missing = run(0, &LOADED.replace("program prog_b: loaded, id 41", ""), "");
    let v = judge_load(LoadExpect::Loads, &one_missing, None);
    assert_eq!((v.status, v.events, v.expected), (Status::Fail, 2, 3));
    assert!(v.reason.unwrap().contains("without loading program prog_b"));
    let no_id = run(0, &LOADED.replace("id 40", "id 0"), "");
    assert_eq!(
        judge_load(LoadExpect::Loads, &no_id, None).status,
        Status::Fail
    );
    let refused = run(1, "", "corex: obj.bpf.o: BPF_PROG_LOAD failed: EINVAL\n");
    let v = judge_load(LoadExpect::Loads, &refused, None);
    assert_eq!(v.status, Status::Fail);
    assert!(v.reason.unwrap().contains("BPF_PROG_LOAD failed"));
}

#[test]
fn refusals_must_happen_and_say_why() {
    let expect = LoadExpect::Refused("invalid mem access");
    let said = run(
        1,
        "",
        "corex: x: the verifier rejected it\nlog:\n  R0 invalid mem access 'map_value_or_null'\n",
    );
    let v = judge_load(expect, &said, None);
    assert_eq!(v.status, Status::Ok);
    assert!(v.reason.unwrap().contains("R0 invalid mem access"));
    let other = run(1, "", "corex: x: out of memory\n");
    assert_eq!(judge_load(expect, &other, None).status, Status::Fail);
    let loaded_anyway = run(0, LOADED, "");
    assert!(judge_load(expect, &loaded_anyway, None)
        .reason
        .unwrap()
        .contains("must be refused"));
}

#[test]
fn a_missing_feature_is_unsupported_where_the_table_says_so_and_fails_elsewhere() {
    let expect = LoadExpect::Needs(&[(Trampolines, "fentry needs BPF trampolines")]);
    let refused = run(1, "", FENTRY_REFUSED);
    let v = judge_load(expect, &refused, Some(&[Kprobes]));
    assert_eq!(v.status, Status::Unsupported);
    assert!(v.reason.unwrap().contains("EPERM"));
    // The running kernel is judged by what it shows.
    assert_eq!(
        judge_load(expect, &refused, None).status,
        Status::Unsupported
    );
    let v = judge_load(expect, &refused, Some(&[Trampolines]));
    assert_eq!(v.status, Status::Fail);
    assert!(v.reason.unwrap().contains("kernel table"));
    let loaded_without = run(0, LOADED, "");
    assert_eq!(
        judge_load(expect, &loaded_without, Some(&[Kprobes])).status,
        Status::Fail
    );
    let other = run(1, "", "corex: x: extern 'bpf_task_acquire': not found\n");
    assert!(judge_load(expect, &other, Some(&[TaskAcquireKfunc]))
        .reason
        .unwrap()
        .contains("none of the reasons"));
}

#[test]
fn hidden_kernel_btf_must_be_named_by_objects_that_need_it() {
    let inspect = run(0, INSPECT, "");
    let c = |g| check(g, Some(&inspect), None, Scenario::NoBtf);
    let named = run(
        1,
        "",
        "corex: lab.bpf.o: vmlinux BTF is not available: this kernel has no BTF\n",
    );
    let v = loaded(LoadExpect::Loads, true)(&c(&named));
    assert_eq!(v.status, Status::Unsupported);
    assert!(v.reason.unwrap().contains("needs the kernel's own BTF"));
    let vague = run(1, "", "corex: lab.bpf.o: EINVAL\n");
    assert_eq!(
        loaded(LoadExpect::Loads, true)(&c(&vague)).status,
        Status::Fail
    );
    let good = run(0, LOADED, "");
    assert_eq!(
        loaded(LoadExpect::Loads, true)(&c(&good)).status,
        Status::Fail
    );
    // Objects that need no kernel BTF must load with --btf alone.
    assert_eq!(
        loaded(LoadExpect::Loads, false)(&c(&good)).status,
        Status::Ok
    );
    assert_eq!(
        loaded(LoadExpect::Loads, false)(&c(&named)).status,
        Status::Fail
    );
}

fn probe_json(kprobe_multi: bool) -> String {
    let item = |category: &str, name: &str, supported: bool| {
        serde_json::json!({"category": category, "name": name, "supported": supported,
            "errno": null, "cause": if supported { None } else { Some("not_built_in") },
            "reason": if supported { None } else { Some(format!("{name} is missing")) }})
    };
    let mut items = vec![
        item("attach", "kprobe", true),
        item("attach", "kprobe.multi", kprobe_multi),
        item("attach", "fentry", true),
        item("btf", "btf_enum64", true),
        item("helper", "bpf_loop", false),
    ];
    items.extend(
        super::probe::BASELINE
            .iter()
            .map(|&(category, name)| item(category, name, true)),
    );
    serde_json::json!({"schema": "corex-probe/1", "kernel": {"release": "6.1.0-57-cloud-amd64"},
        "items": items})
    .to_string()
}

#[test]
fn probe_findings_are_the_reason_and_must_agree_with_the_kernel_table() {
    let table: &[Feature] = &[Feature::BtfEnum64, Kprobes, Trampolines];
    let guest = run(0, &probe_json(false), "");
    let v = probe_findings(&check(&guest, None, Some(table), Scenario::Btf));
    let all = 5 + super::probe::BASELINE.len() as u64;
    assert_eq!((v.status, v.events, v.expected), (Status::Ok, all - 2, all));
    let reason = v.reason.unwrap();
    assert!(
        reason.contains("kprobe.multi (kprobe.multi is missing)") && reason.contains("1 helper"),
        "{reason}"
    );
    let disagrees = run(0, &probe_json(true), "");
    let v = probe_findings(&check(&disagrees, None, Some(table), Scenario::Btf));
    assert_eq!(v.status, Status::Fail);
    assert!(v.reason.unwrap().contains("says no kprobe_multi"));
    let with_multi: &[Feature] = &[Feature::BtfEnum64, Kprobes, KprobeMulti, Trampolines];
    assert_eq!(
        probe_findings(&check(&guest, None, Some(with_multi), Scenario::Btf)).status,
        Status::Fail
    );
    // Probes refused for memlock on 5.10: items every kernel has, said to be missing.
    let memlock = probe_json(false).replacen(
        r#""name":"hash","reason":null,"supported":true"#,
        r#""name":"hash","reason":"the kernel refused it: EPERM","supported":false"#,
        1,
    );
    assert_ne!(memlock, probe_json(false));
    let v = probe_findings(&check(
        &run(0, &memlock, ""),
        None,
        Some(table),
        Scenario::Btf,
    ));
    assert_eq!(v.status, Status::Fail);
    assert!(
        v.reason
            .unwrap()
            .contains("map_type hash (the kernel refused it: EPERM)"),
        "baseline"
    );
    let broken = run(0, "{\"items\": [", "");
    assert_eq!(
        probe_findings(&check(&broken, None, None, Scenario::Btf)).status,
        Status::Fail
    );
    let failed = run(1, "", "corex: probing needs root\n");
    assert!(probe_findings(&check(&failed, None, None, Scenario::Btf))
        .reason
        .unwrap()
        .contains("probing needs root"));
}
