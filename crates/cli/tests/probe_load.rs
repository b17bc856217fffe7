//! `corex probe` and `corex load` as commands: the probe's program types,
//! map types and helpers agree with Debian's bpftool 7.1 (`bpftool feature
//! probe kernel full`, libbpf's probes) wherever bpftool knows the item; the
//! JSON schema; `corex load` lines and exit status; and, run as `nobody`
//! without capabilities, one sentence naming the capability and nothing
//! else. Needs root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn corex(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(args)
        .output()
        .expect("corex runs")
}

fn probe_json() -> Value {
    let out = corex(&["probe", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `(category, program_type, name) -> supported`.
fn probe_items(doc: &Value) -> BTreeMap<(String, String, String), bool> {
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
            (
                (text("category"), text("program_type"), text("name")),
                i["supported"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn probe_agrees_with_bpftool() {
    let ours = probe_items(&probe_json());
    let theirs: Value = serde_json::from_slice(&corex_testkit::bpftool(&[
        "-j", "feature", "probe", "kernel", "full",
    ]))
    .unwrap();
    let mut compared = 0;
    for (group, category) in [("program_types", "program_type"), ("map_types", "map_type")] {
        for (key, have) in theirs[group].as_object().unwrap() {
            let name = key
                .strip_prefix("have_")
                .and_then(|k| {
                    k.strip_suffix("_prog_type")
                        .or_else(|| k.strip_suffix("_map_type"))
                })
                .unwrap();
            let ours = ours.get(&(category.into(), String::new(), name.into()));
            assert_eq!(ours, Some(&have.as_bool().unwrap()), "{category} {name}");
            compared += 1;
        }
    }
    for prog_type in ["tracepoint", "raw_tracepoint", "kprobe"] {
        let available = theirs["helpers"][format!("{prog_type}_available_helpers")]
            .as_array()
            .unwrap();
        let helpers = ours
            .iter()
            .filter(|((c, t, _), _)| c == "helper" && t == prog_type);
        for ((_, _, name), have) in helpers {
            let listed = available.iter().any(|h| h.as_str() == Some(name));
            assert_eq!(*have, listed, "{name} in {prog_type} programs");
            compared += 1;
        }
    }
    assert!(compared > 120, "only {compared} items compared");
}

#[test]
fn probe_json_schema_and_missing_items_say_why() {
    let doc = probe_json();
    assert_eq!(doc["schema"], "corex-probe/1");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(doc["kernel"]["release"], release.trim());
    assert!(doc["kernel"]["version_code"].as_u64().unwrap() > 0);
    for item in doc["items"].as_array().unwrap() {
        let supported = item["supported"].as_bool().unwrap();
        for key in ["cause", "reason"] {
            assert_eq!(item[key].is_null(), supported, "{item}");
        }
        assert_eq!(item["program_type"].is_null(), item["category"] != "helper");
    }
    let item = |category: &str, name: &str| {
        doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["category"] == category && i["name"] == name)
            .unwrap_or_else(|| panic!("{category} {name}"))
            .clone()
    };
    // This machine: no kprobes, fentry refused with EPERM.
    let fentry = item("attach", "fentry");
    assert_eq!(
        (&fentry["supported"], &fentry["errno"], &fentry["cause"]),
        (
            &Value::Bool(false),
            &Value::from("EPERM"),
            &Value::from("trampolines_refused")
        )
    );
    assert_eq!(
        fentry["reason"],
        "fentry needs BPF trampolines, which this kernel refused: EPERM"
    );
    let kprobe = item("attach", "kprobe");
    assert_eq!(kprobe["cause"], "no_pmu");
    assert!(kprobe["reason"]
        .as_str()
        .unwrap()
        .contains("/sys/bus/event_source/devices/kprobe is missing"));
    for (category, name) in [
        ("attach", "tracepoint"),
        ("attach", "raw_tracepoint"),
        ("attach", "tp_btf"),
        ("attach", "uprobe"),
        ("attach", "bpf_cookie"),
        ("map_type", "ringbuf"),
        ("feature", "array_mmap"),
        ("feature", "global_data"),
        ("btf", "btf_enum64"),
    ] {
        assert_eq!(item(category, name)["supported"], true, "{category} {name}");
    }
    let text = corex(&["probe"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("\nAttach kinds\n"), "{text}");
    assert!(text
        .lines()
        .any(|l| l.trim_start().starts_with("fentry") && l.ends_with("refused: EPERM")));
}

fn object(rel: &str) -> String {
    corex_testkit::repo_root()
        .join("bpf")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn load_prints_a_line_per_map_and_program() {
    let out = corex(&["load", &object("loader-tests/subprogs.bpf.o")]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with("map subprogs.data: created, id "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("program sum_squares: loaded, id "),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("program sum_again: loaded, id "),
        "{stdout}"
    );
    // Only the programs asked for; the others are not part of the load.
    let out = corex(&[
        "load",
        &object("lab/lab.bpf.o"),
        "-p",
        "tp_btf_sys_enter",
        "-p",
        "raw_tp_sys_enter",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("program ").count(), 2, "{stdout}");
    // A failure: exit status 1, a line per item, the cause on stderr.
    let out = corex(&["load", &object("loader-tests/verifier_reject.bpf.o")]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("program unchecked_lookup: failed: "),
        "{stdout}"
    );
    assert!(stdout.contains("map values: made as id "), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("R0 invalid mem access 'map_value_or_null'"),
        "{stderr}"
    );
    let out = corex(&[
        "load",
        &object("loader-tests/maps.bpf.o"),
        "-p",
        "no_such_program",
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_program"));
}

#[test]
fn execsnoop_and_lab_programs_load_where_this_kernel_allows() {
    for (object_path, programs) in [
        (
            "execsnoop/execsnoop.bpf.o",
            &[
                "exec_tp",
                "exec_raw_tp",
                "exec_tp_btf",
                "enter_execve",
                "exit_execve",
            ][..],
        ),
        (
            "execsnoop/execsnoop_perf.bpf.o",
            &["exec_tp", "exec_raw_tp", "exec_tp_btf"][..],
        ),
        (
            "lab/lab.bpf.o",
            &[
                "tp_execve_noncore",
                "tp_execve_core",
                "raw_tp_sys_enter",
                "tp_btf_sys_enter",
            ][..],
        ),
    ] {
        let mut args = vec!["load".to_owned(), object(object_path)];
        for p in programs {
            args.extend(["-p".to_owned(), (*p).to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = corex(&args);
        assert!(
            out.status.success(),
            "{object_path}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A copy of the corex binary in a directory `nobody` can read.
fn binary_for_nobody() -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("corex-cli-unpriv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("corex");
    std::fs::copy(env!("CARGO_BIN_EXE_corex"), &copy).unwrap();
    let object = dir.join("subprogs.bpf.o");
    std::fs::copy(object_path("loader-tests/subprogs.bpf.o"), &object).unwrap();
    for (path, mode) in [(&dir, 0o755), (&copy, 0o755), (&object, 0o644)] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    (copy, dir)
}

fn object_path(rel: &str) -> PathBuf {
    Path::new(&object(rel)).to_owned()
}

#[test]
fn without_capabilities_one_sentence_names_them() {
    let (binary, dir) = binary_for_nobody();
    let object = dir.join("subprogs.bpf.o");
    let sentence = "loading BPF programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN, which \
                    Linux before 5.8 requires): run as root or grant the capabilities\n";
    for args in [
        vec!["probe"],
        vec!["probe", "--format", "json"],
        vec!["load", object.to_str().unwrap()],
    ] {
        let out = corex_testkit::as_nobody(&binary)
            .args(&args)
            .output()
            .expect("setpriv runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), sentence, "{args:?}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// `corex load OBJ --btf FILE` with a kernel BTF that does not parse (a
/// Debian 6.12 vmlinux BTF with its first type's kind, its first name
/// offset or its length mangled): one message naming the file, the
/// byte offset and what is wrong (exit 2, as every refused input), before
/// anything reaches the kernel.
#[test]
fn load_with_a_kernel_btf_that_does_not_parse_names_the_file_and_offset() {
    let good = std::fs::read(corex_testkit::kernel_file("debian-6.12", "vmlinux.btf")).unwrap();
    let word = |at: usize| u32::from_le_bytes(good[at..at + 4].try_into().unwrap());
    let first_type = (word(4) + word(8)) as usize;
    let types_end = first_type + word(12) as usize;
    let mut bad_kind = good.clone();
    bad_kind[first_type + 7] = (bad_kind[first_type + 7] & 0xe0) | 31;
    let mut bad_name = good.clone();
    bad_name[first_type..first_type + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let truncated = good[..types_end / 2].to_vec();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("load_bad_kernel_btf");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, data, said) in [
        (
            "bad_kind.btf",
            bad_kind,
            format!("type [1] at byte offset {first_type}: unknown kind 31"),
        ),
        (
            "bad_name.btf",
            bad_name,
            format!("type [1] at byte offset {first_type}: name string offset 2147483647"),
        ),
        (
            "truncated.btf",
            truncated,
            "at byte offset 12: type section runs past the end of the input".to_string(),
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let out = corex(&[
            "load",
            &object("loader-tests/core_poison.bpf.o"),
            "--btf",
            path.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{}: ", path.display())) && stderr.contains(&said),
            "{name}: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{name}: nothing made: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
