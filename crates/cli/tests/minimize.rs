//! `corex minimize` (BTFGen) against bpftool 7.1 and libbpf 1.1 (issue 11):
//! the minimized BTF is byte for byte bpftool's `gen min_core_btf` output,
//! and libbpf and corex, relocating against it, decide exactly as against
//! the full BTF (type ids aside); split BTF with --base gives one
//! standalone BTF that relocates as the module on its base does.

// The shared oracle harness; this test uses its log and relocation parts only.
#[allow(dead_code)]
mod libbpf;

use std::path::{Path, PathBuf};
use std::process::Command;

use libbpf::log::{CoreLog, Relo};
use serde_json::Value;

const OBJECTS: &[&str] = &[
    "core-tests/task.bpf.o",
    "core-tests/syscalls.bpf.o",
    "core-tests/fields.bpf.o",
    "core-tests/types_enums.bpf.o",
    "core-tests/names.bpf.o",
    "core-tests/gcc/task.bpf.o",
    "check-tests/guards.bpf.o",
    "check-tests/attach.bpf.o",
    "check-tests/arch.bpf.o",
];

fn corex(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(args)
        .output()
        .expect("run corex");
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "corex {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn kernels() -> Vec<PathBuf> {
    vec![
        PathBuf::from("/sys/kernel/btf/vmlinux"),
        corex_testkit::kernel_file("debian-6.1", "vmlinux.btf"),
        corex_testkit::kernel_file("debian-6.12", "vmlinux.btf"),
    ]
}

fn work_dir() -> PathBuf {
    let dir = libbpf::work_dir().join("minimize");
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// What must not change between the full and the minimized BTF: per
/// relocation, its place, kind, local spec, outcome and value (a target
/// type id is a type id, which minimizing renumbers).
fn decisions(log: &CoreLog) -> Vec<String> {
    log.relocations
        .iter()
        .map(|r: &Relo| {
            let value = if r.kind.as_deref() == Some("target_type_id") {
                format!("{:?}", r.new.map(|v| v != 0))
            } else {
                format!("{:?}", r.new)
            };
            format!(
                "{} {}#{} insn {:?} {:?} {:?} {} {} {:?} {:?}",
                r.program,
                r.section,
                r.index,
                r.insn,
                r.kind,
                r.local,
                r.outcome.as_str(),
                value,
                r.mem_sz,
                r.reason.is_some()
            )
        })
        .collect()
}

/// The same for `corex reloc --format json`.
fn corex_decisions(obj: &Path, btf: &Path, base: Option<&Path>) -> Vec<String> {
    let mut args = vec![
        "reloc".as_ref(),
        obj.as_os_str(),
        "--btf".as_ref(),
        btf.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ];
    if let Some(b) = base {
        args.extend(["--base".as_ref(), b.as_os_str()]);
    }
    let out = corex(&args);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["relocations"]
        .as_array()
        .expect("relocations")
        .iter()
        .map(|r| {
            let new = if r["kind"] == "target_type_id" {
                Value::Bool(r["new"].as_u64().is_some_and(|v| v != 0))
            } else {
                r["new"].clone()
            };
            format!(
                "{} {} {} {} {} {} {} {}",
                r["program"],
                r["index"],
                r["insn"],
                r["kind"],
                r["local"],
                r["result"],
                new,
                r["reason"].is_string()
            )
        })
        .collect()
}

#[test]
fn minimized_btf_is_bpftools_and_relocates_as_the_full_one() {
    let dir = work_dir();
    let mut rows = Vec::new();
    for (k, kernel) in kernels().iter().enumerate() {
        for name in OBJECTS {
            let obj = corex_testkit::repo_root().join("bpf").join(name);
            let ours = dir.join(format!("corex-{k}.btf"));
            let theirs = dir.join(format!("bpftool-{k}.btf"));
            corex(&[
                "minimize".as_ref(),
                obj.as_os_str(),
                "--btf".as_ref(),
                kernel.as_os_str(),
                "-o".as_ref(),
                ours.as_os_str(),
            ]);
            corex_testkit::bpftool(&[
                "gen",
                "min_core_btf",
                &kernel.display().to_string(),
                &theirs.display().to_string(),
                &obj.display().to_string(),
            ]);
            let (a, b) = (
                std::fs::read(&ours).expect("read"),
                std::fs::read(&theirs).expect("read"),
            );
            assert!(
                a == b,
                "{name} on {}: corex's minimized BTF differs from bpftool's",
                kernel.display()
            );
            rows.push(format!("{name} on {}: {} bytes", kernel.display(), a.len()));
            assert_eq!(
                decisions(&libbpf::relocate(&obj, kernel)),
                decisions(&libbpf::relocate(&obj, &ours)),
                "{name}: libbpf decides otherwise against the minimized BTF of {}",
                kernel.display()
            );
            assert_eq!(
                corex_decisions(&obj, kernel, None),
                corex_decisions(&obj, &ours, None),
                "{name}: corex decides otherwise against the minimized BTF of {}",
                kernel.display()
            );
        }
    }
    eprintln!("{}", rows.join("\n"));
}

#[test]
fn split_btf_minimizes_into_one_standalone_btf() {
    let base = corex_testkit::kernel_file("debian-6.12", "vmlinux.btf");
    let module = corex_testkit::kernel_file("debian-6.12", "modules/nf_conntrack.ko");
    let out = work_dir().join("split.btf");
    for name in ["core-tests/task.bpf.o", "check-tests/guards.bpf.o"] {
        let obj = corex_testkit::repo_root().join("bpf").join(name);
        corex(&[
            "minimize".as_ref(),
            obj.as_os_str(),
            "--btf".as_ref(),
            module.as_os_str(),
            "--base".as_ref(),
            base.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        let standalone = corex_btf::Btf::parse(&std::fs::read(&out).expect("read")).expect("parse");
        assert!(standalone.base().is_none());
        assert_eq!(
            corex_decisions(&obj, &module, Some(&base)),
            corex_decisions(&obj, &out, None),
            "{name}: the minimized module BTF relocates otherwise"
        );
        assert_eq!(
            decisions(&libbpf::relocate(&obj, &base)),
            decisions(&libbpf::relocate(&obj, &out)),
            "{name}: libbpf decides otherwise against the minimized split BTF"
        );
    }
}
