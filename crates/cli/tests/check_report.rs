//! `corex check`'s report and inputs (issue 11): the text summary groups
//! (program, kernel) failures by distinct cause, on kernels made with
//! corex's BTF writer from Debian 6.1's BTF; every input form (raw BTF, an
//! ELF with `.BTF`, a plain `.xz`, a `.btf.tar.xz`, a BTFHub tree) checks as
//! the raw file does; the progress bar is drawn on a terminal and nowhere
//! else.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use corex_btf::write::BtfBuilder;
use corex_btf::{Btf, Endian, Kind};
use corex_testkit::archive::{tar_xz, xz};
use serde_json::Value;

fn task_object() -> PathBuf {
    corex_testkit::repo_root().join("bpf/core-tests/task.bpf.o")
}

fn corex(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(args)
        .output()
        .expect("run corex")
}

/// A fresh directory of this test binary's own.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("check_report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn debian_61() -> Vec<u8> {
    std::fs::read(corex_testkit::kernel_file("debian-6.1", "vmlinux.btf")).expect("read")
}

/// Debian 6.1's BTF with member `member` of struct `owner` renamed away,
/// written by corex's BTF writer.
fn renamed(owner: &str, member: &str) -> Vec<u8> {
    let btf = Btf::parse(&debian_61()).expect("Debian 6.1's BTF parses");
    let mut b = BtfBuilder::from_btf(&btf);
    let id = b.find(Kind::Struct, owner).expect("the struct exists");
    let members = b
        .get_mut(id)
        .and_then(|d| d.members_mut())
        .expect("a struct has members");
    let m = members
        .iter_mut()
        .find(|m| m.name == member)
        .expect("the member exists");
    m.name = format!("{member}_renamed");
    b.to_bytes(Endian::Little).expect("the writer writes it")
}

/// Nine kernels: two as Debian 6.1 is, six without `cred.uid` (which
/// `exec_parent` reads unguarded), one without
/// `task_struct.start_time` (read by `exec_state` and `switch_direct`).
fn synthetic_kernels() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = fresh_dir("synthetic");
        let same = debian_61();
        let no_cred_uid = renamed("cred", "uid");
        let no_start_time = renamed("task_struct", "start_time");
        for name in ["6.1-a", "6.1-b"] {
            std::fs::write(dir.join(format!("{name}.btf")), &same).expect("write");
        }
        for i in 1..=6 {
            let path = dir.join(format!("6.1-no-cred-uid-{i}.btf"));
            std::fs::write(path, &no_cred_uid).expect("write");
        }
        std::fs::write(dir.join("6.1-no-start-time.btf"), &no_start_time).expect("write");
        dir
    })
}

#[test]
fn text_summary_groups_failures_by_cause() {
    let dir = synthetic_kernels();
    let out = corex(&[
        "check".as_ref(),
        task_object().as_os_str(),
        "--btf-dir".as_ref(),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "some program fails: exit 1");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let expected = "\
corex check: 1 object, 9 kernels

programs:
    1  exec_parent
    2  exec_state
    3  switch_direct

kernel             arch      programs 1..3 (. works, X fails)
6.1-a              x86_64    ...
6.1-b              x86_64    ...
6.1-no-cred-uid-1  x86_64    X..
6.1-no-cred-uid-2  x86_64    X..
6.1-no-cred-uid-3  x86_64    X..
6.1-no-cred-uid-4  x86_64    X..
6.1-no-cred-uid-5  x86_64    X..
6.1-no-cred-uid-6  x86_64    X..
6.1-no-start-time  x86_64    .XX

summary:
  exec_parent: works on 3 of 9 kernels
  exec_state: works on 8 of 9 kernels
  switch_direct: works on 8 of 9 kernels

causes of failure:
  - relo #6 (exec_parent insn #60) <byte_off> struct cred.uid.val (0:0:0 @ offset 0): field 'uid' does not exist in struct cred on this kernel (poisoned and reachable: the verifier rejects it)
    exec_parent on 6 kernels: 6.1-no-cred-uid-1, 6.1-no-cred-uid-2, 6.1-no-cred-uid-3, 6.1-no-cred-uid-4 and 2 more
  - relo #15 (exec_state insn #34) <byte_off> struct task_struct.start_time (0:10 @ offset 72): field 'start_time' does not exist in struct task_struct on this kernel (poisoned and reachable: the verifier rejects it)
    exec_state on 1 kernel: 6.1-no-start-time
  - relo #3 (switch_direct insn #6) <byte_off> struct task_struct.start_time (0:10 @ offset 72): field 'start_time' does not exist in struct task_struct on this kernel (poisoned and reachable: the verifier rejects it)
    switch_direct on 1 kernel: 6.1-no-start-time

notes (not failures):
  - relo #11 (exec_state insn #13) <byte_off> struct task_struct___old.state (0:0 @ offset 0): field 'state' does not exist in struct task_struct on this kernel (poisoned, on a dead path: harmless)
    exec_state on 9 kernels: 6.1-a, 6.1-b, 6.1-no-cred-uid-1, 6.1-no-cred-uid-2 and 5 more
  - relo #13 (exec_state insn #23) <byte_off> struct task_struct___nope.corex_no_such_member (0:0 @ offset 0): field 'corex_no_such_member' does not exist in struct task_struct on this kernel (poisoned, on a dead path: harmless)
    exec_state on 9 kernels: 6.1-a, 6.1-b, 6.1-no-cred-uid-1, 6.1-no-cred-uid-2 and 5 more
";
    assert_eq!(text, expected, "got:\n{text}");
}

/// `(kernel label, arch, [(program, verdict, unresolved relocation indexes)])`
/// of each kernel of a JSON report.
type Verdicts = Vec<(String, String, Vec<(String, String, Vec<u64>)>)>;

fn verdicts(doc: &Value) -> Verdicts {
    let field = |v: &Value, k: &str| v[k].as_str().expect(k).to_owned();
    doc["kernels"]
        .as_array()
        .expect("kernels")
        .iter()
        .map(|k| {
            let programs = k["programs"].as_array().expect("programs");
            let programs = programs
                .iter()
                .map(|p| {
                    let unresolved = p["unresolved"].as_array().expect("unresolved");
                    let indexes = unresolved.iter().map(|u| u["index"].as_u64().unwrap());
                    (field(p, "program"), field(p, "verdict"), indexes.collect())
                })
                .collect();
            (field(k, "kernel"), field(k, "arch"), programs)
        })
        .collect()
}

fn check_json(kernels: &[&std::ffi::OsStr]) -> Value {
    let mut args = vec!["check".into(), task_object().into_os_string()];
    args.extend(kernels.iter().map(|k| k.to_os_string()));
    args.extend(["--format".into(), "json".into()]);
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = corex(&refs);
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["errors"], Value::Array(vec![]), "{doc}");
    doc
}

#[test]
fn every_input_form_checks_as_the_raw_file() {
    let dir = fresh_dir("forms");
    let raw = renamed("task_struct", "start_time");
    let write = |rel: &str, data: &[u8]| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).expect("mkdir");
        std::fs::write(&p, data).expect("write");
        p
    };
    let raw_file = write("files/kernel.btf", &raw);
    let xz_file = write("files/kernel.btf.xz", &xz(&raw));
    let tar_file = write("files/kernel.btf.tar.xz", &tar_xz("vmlinux", &raw));
    // An ELF image with .BTF: Debian 6.1's, which the raw file was made from.
    let elf_xz = std::fs::read(corex_testkit::kernel_file("debian-6.1", "vmlinux.elf.xz"));
    let mut elf = Vec::new();
    std::io::Read::read_to_end(
        &mut xz2::read::XzDecoder::new(&elf_xz.expect("read")[..]),
        &mut elf,
    )
    .expect("unxz");
    assert!(elf.starts_with(b"\x7fELF"));
    let elf_file = write("files/vmlinux-6.1.elf", &elf);

    let one = |path: &Path| {
        let doc = check_json(&["--btf".as_ref(), path.as_os_str()]);
        let mut v = verdicts(&doc);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, path.display().to_string());
        v.remove(0)
    };
    let reference = one(&raw_file);
    assert_eq!(reference.1, "x86_64");
    let fails: Vec<&str> = reference
        .2
        .iter()
        .filter(|p| p.1 == "fails")
        .map(|p| p.0.as_str())
        .collect();
    assert_eq!(fails, ["exec_state", "switch_direct"]);
    for path in [&xz_file, &tar_file] {
        let v = one(path);
        assert_eq!(
            (&v.1, &v.2),
            (&reference.1, &reference.2),
            "{}",
            path.display()
        );
    }
    // The ELF holds Debian 6.1's BTF unedited: everything works there.
    let v = one(&elf_file);
    assert_eq!(v.1, "x86_64");
    assert!(v.2.iter().all(|p| p.1 == "ok"), "{v:?}");
    let unedited = write("files/6.1.btf", &debian_61());
    assert_eq!(one(&unedited).2, v.2, "the ELF checks as its raw BTF");

    // A tree laid out as BTFHub's: every form at distro/release/arch/uname.
    let tree = dir.join("btfhub");
    let put = |rel: &str, data: &[u8]| {
        let p = tree.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).expect("mkdir");
        std::fs::write(p, data).expect("write");
    };
    put(
        "debian/12/x86_64/6.1.0-edited.btf.tar.xz",
        &tar_xz("6.1.0-edited.btf", &raw),
    );
    put("debian/12/x86_64/6.1.0-plain.btf", &debian_61());
    put("fedora/38/x86_64/6.1.0-xz.btf.xz", &xz(&raw));
    put("ubuntu/22.04/x86_64/6.1.0-elf.elf", &elf);
    put(
        "ubuntu/22.04/x86_64/notes.txt",
        b"not a kernel: skipped by its name\n",
    );
    let doc = check_json(&["--btf-dir".as_ref(), tree.as_os_str()]);
    let got = verdicts(&doc);
    let labels: Vec<&str> = got.iter().map(|k| k.0.as_str()).collect();
    assert_eq!(
        labels,
        [
            "debian/12/x86_64/6.1.0-edited",
            "debian/12/x86_64/6.1.0-plain",
            "fedora/38/x86_64/6.1.0-xz",
            "ubuntu/22.04/x86_64/6.1.0-elf",
        ]
    );
    for (k, edited) in got.iter().zip([true, false, true, false]) {
        let want = if edited { &reference.2 } else { &v.2 };
        assert_eq!((&k.1[..], &k.2), ("x86_64", want), "{}", k.0);
    }
}

#[test]
fn progress_bar_on_a_terminal_only() {
    let dir = synthetic_kernels();
    let obj = task_object();
    // Pipes: no bar, stderr stays empty.
    let out = corex(&[
        "check".as_ref(),
        obj.as_os_str(),
        "--btf-dir".as_ref(),
        dir.as_os_str(),
    ]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("kernels \u{1b}"));
    // A terminal: `script` runs corex on a pseudo-terminal and copies what
    // it writes there to its own stdout.
    let command = format!(
        "{} check {} --btf-dir {} --format json",
        env!("CARGO_BIN_EXE_corex"),
        obj.display(),
        dir.display()
    );
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("run script (util-linux)");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("/9 kernels"),
        "no progress bar on the terminal:\n{screen}"
    );
    // The bar is cleared when the run ends, before the report.
    let report = screen.rfind("\"kernels\"").expect("the JSON report");
    assert!(screen.rfind("/9 kernels").unwrap() < report, "{screen}");
    // The report redirected to a file from a terminal: the bar stays on
    // the terminal (stderr), the file holds the report alone.
    let file = fresh_dir("progress").join("report.json");
    let redirected = format!("{command} > {}", file.display());
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &redirected, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("run script (util-linux)");
    assert!(String::from_utf8_lossy(&out.stdout).contains("/9 kernels"));
    let report = std::fs::read(&file).expect("the report");
    let doc: Value = serde_json::from_slice(&report).expect("only JSON in the file");
    assert_eq!(doc["kernels"].as_array().map(Vec::len), Some(9));
}
