//! `corex check` against libbpf 1.1 and the running kernel's verifier
//! (issue 11): the poisoned relocations per program equal libbpf's on real
//! and synthetic kernels; a guarded missing field is unreachable and loads,
//! an unguarded one is reachable and the verifier rejects it; attach
//! targets, prototypes, UAPI types and helpers, architecture and tracefs
//! context layouts are reported in words.

mod libbpf;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use corex_btf::write::{Body, MemberDef, TypeDef};
use corex_btf::Kind;
use libbpf::log::Outcome;
use libbpf::targets::{write_synthetic, Target, TypeTable};
use serde_json::Value;

fn check_obj(name: &str) -> PathBuf {
    corex_testkit::repo_root()
        .join("bpf/check-tests")
        .join(name)
}

fn core_obj(name: &str) -> PathBuf {
    corex_testkit::repo_root().join("bpf/core-tests").join(name)
}

fn corex(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(args)
        .output()
        .expect("run corex")
}

/// `corex check OBJ --btf TARGETS... --format json`, parsed.
fn check_json(objects: &[&Path], targets: &[&Path], extra: &[&str]) -> Value {
    let os = std::ffi::OsStr::new;
    let mut args: Vec<&std::ffi::OsStr> = vec![os("check")];
    args.extend(objects.iter().map(|p| p.as_os_str()));
    if !targets.is_empty() {
        args.push(os("--btf"));
        args.extend(targets.iter().map(|p| p.as_os_str()));
    }
    args.extend([os("--format"), os("json")]);
    args.extend(extra.iter().map(|s| os(s)));
    let out = corex(&args);
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "corex check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn work_dir() -> PathBuf {
    let dir = libbpf::work_dir().join("check");
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// The running kernel, Debian 6.1 and 6.12, and the engine's synthetic
/// variants of the running kernel (written into this test's own directory).
fn targets() -> &'static [Target] {
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = vec![
            Target {
                name: "kernel".into(),
                path: PathBuf::from("/sys/kernel/btf/vmlinux"),
            },
            Target {
                name: "debian-6.1".into(),
                path: corex_testkit::kernel_file("debian-6.1", "vmlinux.btf"),
            },
            Target {
                name: "debian-6.12".into(),
                path: corex_testkit::kernel_file("debian-6.12", "vmlinux.btf"),
            },
        ];
        t.extend(write_synthetic(
            Path::new("/sys/kernel/btf/vmlinux"),
            &core_obj("target_types.o"),
            &work_dir(),
        ));
        t.push(edited_kernel("with-corex-missing", |t| {
            let task = t.find(Kind::Struct, "task_struct");
            let int = t.find(Kind::Int, "int");
            let Body::Composite { members, .. } = &mut t.def_mut(task).body else {
                unreachable!()
            };
            members.push(MemberDef {
                name: "corex_missing".into(),
                ty: int,
                bit_offset: 0,
                bitfield_size: 0,
            });
        }));
        t
    })
}

/// The running kernel's BTF edited by `edit`, written under `name`.
fn edited_kernel(name: &str, edit: impl FnOnce(&mut TypeTable)) -> Target {
    let data = std::fs::read("/sys/kernel/btf/vmlinux").expect("read kernel BTF");
    let btf = corex_btf::Btf::parse(&data).expect("parse kernel BTF");
    let mut table = TypeTable::from_btf(&btf);
    edit(&mut table);
    let path = work_dir().join(format!("{name}.btf"));
    std::fs::write(&path, table.to_bytes()).expect("write");
    Target {
        name: format!("synthetic:{name}"),
        path,
    }
}

/// (function, relo index) of every poisoned relocation `corex check`
/// reports on kernel `k` of `doc`.
fn corex_poisoned(doc: &Value, k: usize) -> BTreeSet<(String, u64)> {
    let mut out = BTreeSet::new();
    for p in doc["kernels"][k]["programs"].as_array().expect("programs") {
        let program = p["program"].as_str().expect("program");
        for u in p["unresolved"].as_array().expect("unresolved") {
            let text = u["explanation"].as_str().expect("explanation");
            if text.ends_with("libbpf refuses the object)") {
                continue;
            }
            let function = text
                .strip_prefix("in subprogram ")
                .and_then(|t| t.split_once(':'))
                .map_or(program, |(f, _)| f);
            out.insert((function.to_owned(), u["index"].as_u64().expect("index")));
        }
    }
    out
}

#[test]
fn poisoned_relocations_equal_libbpfs() {
    let objects = [
        check_obj("guards.bpf.o"),
        check_obj("attach.bpf.o"),
        check_obj("arch.bpf.o"),
        check_obj("ctx.bpf.o"),
        core_obj("task.bpf.o"),
        core_obj("syscalls.bpf.o"),
        core_obj("fields.bpf.o"),
        core_obj("types_enums.bpf.o"),
        core_obj("names.bpf.o"),
        core_obj("gcc/task.bpf.o"),
    ];
    let targets = targets();
    let paths: Vec<&Path> = targets.iter().map(|t| t.path.as_path()).collect();
    let (mut pairs, mut poisoned) = (0, 0);
    for obj in &objects {
        let doc = check_json(&[obj], &paths, &[]);
        for (k, t) in targets.iter().enumerate() {
            assert_eq!(doc["kernels"][k]["kernel"], t.path.display().to_string());
            let log = libbpf::relocate(obj, &t.path);
            let theirs: BTreeSet<(String, u64)> = log
                .relocations
                .iter()
                .filter(|r| r.outcome == Outcome::Poisoned)
                .map(|r| (r.program.clone(), u64::from(r.index)))
                .collect();
            let mut ours = corex_poisoned(&doc, k);
            if log.stopped {
                // libbpf stops at a failed relocation: compare what it logged.
                ours.retain(|(p, i)| {
                    log.relocations
                        .iter()
                        .any(|r| &r.program == p && u64::from(r.index) == *i)
                });
            }
            assert_eq!(
                ours,
                theirs,
                "{} on {}: poisoned relocations (corex vs libbpf)",
                obj.display(),
                t.name
            );
            pairs += 1;
            poisoned += theirs.len();
        }
    }
    eprintln!("{pairs} (object, kernel) pairs, {poisoned} poisoned relocations, all as libbpf");
    assert!(poisoned > 0);
}

#[test]
fn several_objects_in_one_run_check_as_each_alone() {
    // One pass over each kernel serves every object's CO-RE candidates and
    // attach lookups: each object's records are those of a run of its own.
    let objects = [
        check_obj("guards.bpf.o"),
        check_obj("attach.bpf.o"),
        check_obj("arch.bpf.o"),
        core_obj("task.bpf.o"),
        core_obj("fields.bpf.o"),
        core_obj("names.bpf.o"),
        core_obj("types_enums.bpf.o"),
    ];
    let paths: Vec<&Path> = targets().iter().map(|t| t.path.as_path()).collect();
    let refs: Vec<&Path> = objects.iter().map(PathBuf::as_path).collect();
    let together = check_json(&refs, &paths, &[]);
    let mut compared = 0;
    for obj in &objects {
        let alone = check_json(&[obj], &paths, &[]);
        let prefix = format!("{}:", obj.file_name().unwrap().to_string_lossy());
        for k in 0..paths.len() {
            let mine: Vec<Value> = together["kernels"][k]["programs"]
                .as_array()
                .expect("programs")
                .iter()
                .filter_map(|p| {
                    let name = p["program"].as_str()?.strip_prefix(&prefix)?;
                    let mut p = p.clone();
                    p["program"] = Value::from(name);
                    Some(p)
                })
                .collect();
            assert_eq!(
                Value::from(mine),
                alone["kernels"][k]["programs"],
                "{} on {}",
                obj.display(),
                paths[k].display()
            );
            compared += 1;
        }
    }
    assert_eq!(compared, objects.len() * paths.len());
}

/// The JSON record of `program` on kernel `k`.
fn program<'a>(doc: &'a Value, k: usize, name: &str) -> &'a Value {
    doc["kernels"][k]["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .find(|p| p["program"] == name)
        .unwrap_or_else(|| panic!("no program {name} in {doc}"))
}

#[test]
fn guarded_loads_are_unreachable_and_the_verifier_agrees() {
    let obj = check_obj("guards.bpf.o");
    let kernel = Path::new("/sys/kernel/btf/vmlinux");
    let doc = check_json(&[&obj], &[kernel], &[]);
    let with_field = &targets().last().expect("targets").path;
    let present = check_json(&[&obj], &[with_field], &[]);
    let cases = [
        ("guarded", false),
        ("unguarded", true),
        ("guard_in_caller", false),
        ("unguarded_call", true),
        ("guard_in_callee", false),
        ("guard_type", false),
        ("guard_enum", false),
    ];
    for (name, reachable) in cases {
        let p = program(&doc, 0, name);
        let unresolved = p["unresolved"].as_array().expect("unresolved");
        assert!(!unresolved.is_empty(), "{name}: {p}");
        // The missing field's relocation: reachable only without a guard.
        let missing: Vec<&Value> = unresolved
            .iter()
            .filter(|u| {
                u["explanation"]
                    .as_str()
                    .is_some_and(|e| !e.contains("pt_regs"))
            })
            .collect();
        assert!(
            missing.iter().any(|u| u["reachable"] == reachable),
            "{name}: expected a relocation with reachable={reachable}: {p}"
        );
        if !reachable {
            assert!(
                missing.iter().all(|u| u["reachable"] == false),
                "{name}: {p}"
            );
        }
        let verdict = if reachable { "fails" } else { "ok" };
        assert_eq!(p["verdict"], verdict, "{name}: {p}");
        // The verifier of the running kernel decides the same.
        let out = Command::new(libbpf::load_one_bin())
            .arg(&obj)
            .arg(name)
            .output()
            .expect("run load_one");
        let log = String::from_utf8_lossy(&out.stdout);
        if reachable {
            assert!(log.contains("load_one: failed"), "{name} loaded:\n{log}");
            assert!(
                log.contains("failed to resolve CO-RE relocation"),
                "{name}: the verifier did not reach the poisoned instruction:\n{log}"
            );
        } else {
            assert!(
                log.contains("load_one: loaded"),
                "{name} did not load:\n{log}"
            );
        }
        // With the field present, nothing is unresolved for the field.
        let p = program(&present, 0, name);
        assert!(
            p["unresolved"]
                .as_array()
                .expect("unresolved")
                .iter()
                .all(|u| !u["explanation"]
                    .as_str()
                    .unwrap_or("")
                    .contains("'corex_missing'")),
            "{name} with the field: {p}"
        );
    }
}

fn problems(doc: &Value, k: usize, name: &str) -> Vec<String> {
    program(doc, k, name)["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect()
}

fn assert_problem(doc: &Value, k: usize, name: &str, needle: &str) {
    let list = problems(doc, k, name);
    assert!(
        list.iter().any(|p| p.contains(needle)),
        "{name} on kernel #{k}: no problem saying '{needle}' in {list:?}"
    );
}

#[test]
fn attach_targets_types_and_helpers() {
    let d61 = corex_testkit::kernel_file("debian-6.1", "vmlinux.btf");
    let d612 = corex_testkit::kernel_file("debian-6.12", "vmlinux.btf");
    let doc = check_json(&[&check_obj("attach.bpf.o")], &[&d61, &d612], &[]);
    for k in 0..2 {
        for (prog, words) in [
            ("missing_fentry", "fentry target corex_no_such_function does not exist on this kernel"),
            ("missing_kprobe", "kprobe target corex_no_such_function does not exist"),
            ("missing_syscall", "ksyscall target corex_nosys does not exist on this kernel (looked for __x64_sys_corex_nosys"),
            ("missing_tp_btf", "tp_btf target corex_no_such_tracepoint does not exist on this kernel (looked for btf_trace_corex_no_such_tracepoint)"),
            ("missing_syscall_tp", "tracepoint target syscalls/sys_enter_corex_nosys does not exist"),
        ] {
            assert_problem(&doc, k, prog, words);
            assert_eq!(program(&doc, k, prog)["verdict"], "fails");
        }
        for ok in [
            "unlink_entry",
            "unlink_exit",
            "nanosleep_probe",
            "execve_syscall",
            "switch_btf",
            "exec_raw",
            "exec_ringbuf",
        ] {
            let p = program(&doc, k, ok);
            assert_eq!(p["verdict"], "ok", "{ok} on kernel #{k}: {p}");
        }
    }
    let newer = check_json(&[&check_obj("newer.bpf.o")], &[&d61, &d612], &[]);
    assert_problem(
        &newer,
        0,
        "cgroup_new",
        "map cgrp_store: the kernel has no map type BPF_MAP_TYPE_CGRP_STORAGE (32)",
    );
    assert_problem(
        &newer,
        0,
        "cgroup_new",
        "the kernel has no helper bpf_cgrp_storage_get (#210), called by cgroup_new",
    );
    assert_eq!(program(&newer, 1, "cgroup_new")["verdict"], "ok");

    // A kernel whose do_unlinkat passes a `char *` second, whose
    // sched_switch tracepoint passes only `preempt`, and without fexit or
    // the ring buffer helper in its UAPI enums.
    let old = edited_kernel("old-uapi", |t| {
        let func = t.find(Kind::Func, "do_unlinkat");
        let Body::Func { proto, .. } = t.def(func).body.clone() else {
            unreachable!()
        };
        let ch = t.find(Kind::Int, "char");
        let ptr = t.add(TypeDef {
            name: String::new(),
            kflag: false,
            body: Body::Ref {
                kind: Kind::Ptr,
                target: ch,
            },
        });
        let Body::FuncProto { params, .. } = &mut t.def_mut(proto).body else {
            unreachable!()
        };
        params[1].1 = ptr;
        let tp = t.find(Kind::Typedef, "btf_trace_sched_switch");
        let Body::Ref { target: tp_ptr, .. } = t.def(tp).body.clone() else {
            unreachable!()
        };
        let Body::Ref { target: proto, .. } = t.def(tp_ptr).body.clone() else {
            unreachable!()
        };
        let Body::FuncProto { params, .. } = &mut t.def_mut(proto).body else {
            unreachable!()
        };
        params.truncate(2);
        for (enum_name, drop) in [
            ("bpf_attach_type", "BPF_TRACE_FEXIT"),
            ("bpf_func_id", "BPF_FUNC_ringbuf_output"),
        ] {
            let id = t.find(Kind::Enum, enum_name);
            let Body::Enum { values, .. } = &mut t.def_mut(id).body else {
                unreachable!()
            };
            values.retain(|(n, _)| n != drop);
        }
    });
    let doc = check_json(&[&check_obj("attach.bpf.o")], &[&old.path], &[]);
    assert_problem(
        &doc,
        0,
        "unlink_entry",
        "the fentry program reads argument #1 of do_unlinkat as struct filename *, but this kernel passes char *: its prototype changed",
    );
    assert_problem(
        &doc,
        0,
        "switch_btf",
        "the tp_btf program reads 2 argument words, but sched_switch passes 1 on this kernel: its prototype changed",
    );
    assert_problem(
        &doc,
        0,
        "unlink_exit",
        "the kernel has no attach type BPF_TRACE_FEXIT",
    );
    assert_problem(
        &doc,
        0,
        "exec_ringbuf",
        "the kernel has no helper bpf_ringbuf_output (#130)",
    );
}

#[test]
fn arm64_kernel_is_an_architecture_mismatch() {
    let arm = edited_kernel("arm64-pt-regs", |t| {
        let u64_ty = t.find(Kind::Typedef, "u64");
        let members = t.members_mut(Kind::Struct, "pt_regs");
        members.clear();
        for (i, name) in ["pc", "sp", "pstate", "orig_x0"].iter().enumerate() {
            members.push(MemberDef {
                name: (*name).into(),
                ty: u64_ty,
                bit_offset: i as u32 * 64,
                bitfield_size: 0,
            });
        }
    });
    let doc = check_json(&[&check_obj("arch.bpf.o")], &[&arm.path], &[]);
    assert_eq!(doc["kernels"][0]["arch"], "arm64");
    assert_problem(
        &doc,
        0,
        "unlink_probe",
        "the object reads x86_64's struct pt_regs, but the kernel is arm64",
    );
    let p = program(&doc, 0, "unlink_probe");
    assert_eq!(p["verdict"], "fails");
    assert!(
        p["unresolved"][0]["explanation"]
            .as_str()
            .unwrap_or("")
            .contains("field 'di' does not exist in struct pt_regs"),
        "{p}"
    );
}

#[test]
fn live_compares_hand_written_context_structs_with_tracefs() {
    if !Path::new("/sys/kernel/tracing/events").is_dir() {
        // Root in the test VM: mount tracefs where the kernel expects it.
        let _ = Command::new("mount")
            .args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"])
            .status();
    }
    let doc = check_json(&[&check_obj("ctx.bpf.o")], &[], &["--live"]);
    let live = doc["kernels"].as_array().expect("kernels").len() - 1;
    assert!(doc["kernels"][live]["kernel"]
        .as_str()
        .expect("label")
        .starts_with("live "));
    if !Path::new("/sys/kernel/tracing/events").is_dir() {
        assert_problem(
            &doc,
            live,
            "handle_execve_wrong_ctx",
            "tracefs is not mounted",
        );
        return;
    }
    let right = problems(&doc, live, "handle_execve_tp_non_core");
    assert!(right.is_empty(), "the tutorial's struct fits: {right:?}");
    assert_eq!(
        program(&doc, live, "handle_execve_tp_non_core")["verdict"],
        "ok"
    );
    let wrong = problems(&doc, live, "handle_execve_wrong_ctx");
    assert_eq!(
        wrong,
        [
            "struct trace_sys_enter_execve_wrong.filename is at offset 12 (size 8), but tracefs's syscalls/sys_enter_execve has filename at offset 16 (size 8)",
            "struct trace_sys_enter_execve_wrong.argv is at offset 20 (size 8), but tracefs's syscalls/sys_enter_execve has argv at offset 24 (size 8)",
            "struct trace_sys_enter_execve_wrong.envp is at offset 28 (size 8), but tracefs's syscalls/sys_enter_execve has envp at offset 32 (size 8)",
        ]
    );
    assert_eq!(
        program(&doc, live, "handle_execve_wrong_ctx")["verdict"],
        "fails"
    );
}

/// A BTFHub-style tree with one good kernel and a bad file of each sort.
fn bad_archive() -> PathBuf {
    let root = work_dir().join("archive");
    let _ = std::fs::remove_dir_all(&root);
    let good = corex_testkit::kernel_file("debian-6.1", "vmlinux.btf.tar.xz");
    let put = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data).expect("write");
    };
    let bytes = std::fs::read(&good).expect("read");
    put("debian/12/x86_64/6.1.0-good.btf.tar.xz", &bytes);
    put(
        "debian/12/x86_64/6.1.0-truncated.btf.tar.xz",
        &bytes[..bytes.len() / 2],
    );
    put("debian/12/arm64/6.1.0-wrong-arch.btf.tar.xz", &bytes);
    // A tar.xz whose one member is text, not BTF.
    let tar_dir = work_dir().join("tar-src");
    std::fs::create_dir_all(&tar_dir).expect("mkdir");
    std::fs::write(tar_dir.join("README"), b"no BTF here\n").expect("write");
    let tarball = root.join("debian/12/x86_64/6.1.0-no-btf.btf.tar.xz");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -C {} -cf - README | xz -c > {}",
            tar_dir.display(),
            tarball.display()
        ))
        .status()
        .expect("tar | xz");
    assert!(status.success());
    std::os::unix::fs::symlink(
        root.join("nowhere"),
        root.join("debian/12/x86_64/6.1.0-unreadable.btf"),
    )
    .expect("symlink");
    root
}

#[test]
fn bad_archives_are_one_line_each_and_never_stop_the_run() {
    let root = bad_archive();
    let obj = check_obj("guards.bpf.o");
    let out = corex(&[
        "check".as_ref(),
        obj.as_os_str(),
        "--btf-dir".as_ref(),
        root.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let kernels = doc["kernels"].as_array().expect("kernels");
    assert_eq!(kernels.len(), 1, "{doc}");
    assert_eq!(kernels[0]["kernel"], "debian/12/x86_64/6.1.0-good");
    assert_eq!(kernels[0]["arch"], "x86_64");
    let errors: Vec<(String, String)> = doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_owned(),
                e["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = [
        ("debian/12/arm64/6.1.0-wrong-arch", "wrong architecture: the archive files it under arm64, but its struct pt_regs is x86_64's"),
        ("debian/12/x86_64/6.1.0-no-btf", "starts with bytes 6e 6f 20 42 (expected raw BTF magic 9f eb, an ELF file, or an xz stream)"),
        ("debian/12/x86_64/6.1.0-truncated", "xz stream"),
        ("debian/12/x86_64/6.1.0-unreadable", "cannot read"),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:?}");
    for ((file, error), (want_file, want_words)) in errors.iter().zip(expect) {
        assert_eq!(file, want_file);
        assert!(error.contains(want_words), "{file}: {error}");
        assert!(
            error.contains(&root.display().to_string()),
            "{file}: the error names no file: {error}"
        );
    }
    // The text report has a line per bad file, and the run goes on.
    let out = corex(&[
        "check".as_ref(),
        obj.as_os_str(),
        "--btf-dir".as_ref(),
        root.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 kernel (4 unreadable)") || text.contains("5 kernels (4 unreadable)"),
        "{text}"
    );
    assert!(
        text.contains("unreadable kernel files (not checked):"),
        "{text}"
    );
    for (file, _) in &expect {
        let name = file.rsplit('/').next().unwrap();
        assert!(
            text.lines().any(|l| l.contains(name)),
            "no line for {name}:\n{text}"
        );
    }
    // minimize goes on past them too, one line each.
    let outdir = work_dir().join("minimized");
    let _ = std::fs::remove_dir_all(&outdir);
    let out = Command::new(env!("CARGO_BIN_EXE_corex"))
        .args([
            "minimize".as_ref(),
            obj.as_os_str(),
            "--btf-dir".as_ref(),
            root.as_os_str(),
            "-o".as_ref(),
            outdir.as_os_str(),
        ])
        .output()
        .expect("run corex");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.contains(": error: ")).count(),
        4,
        "{text}"
    );
    assert!(text.contains("1 of 5 kernels minimized"), "{text}");
    assert!(outdir.join("debian/12/x86_64/6.1.0-good.btf").is_file());
}
