//! Differential test of corex's CO-RE engine against libbpf 1.1 (issue 3).
//!
//! For every object of `bpf/core-tests` and every target BTF — the running
//! kernel, Debian's 6.1 and 6.12 kernels, the synthetic variants of
//! `libbpf/targets.rs`, and the object's own BTF — libbpf relocates the
//! object (`libbpf/core_log.c` logs each decision) and so does
//! `corex reloc OBJ --btf TARGET --format json`; the two must agree on every
//! relocation: program, instruction, kind, local and target spec, outcome,
//! old and new value, and whether there is a reason. libbpf stops at the
//! first failed relocation; corex's records after it are counted as
//! unchecked, not compared. Where they disagree, corex is wrong until shown
//! otherwise.

mod libbpf;

#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/coregen.rs"]
mod coregen;
#[allow(dead_code)]
#[path = "../../../fuzz/src/objgen.rs"]
mod objgen;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use libbpf::log::{CoreLog, Outcome, Relo};
use libbpf::targets::{write_synthetic, Target};
use serde_json::Value;

/// The corpus objects relocated against every target.
const OBJECTS: &[&str] = &[
    "task.bpf.o",
    "syscalls.bpf.o",
    "fields.bpf.o",
    "types_enums.bpf.o",
    "names.bpf.o",
    "err_ambiguous_offset.bpf.o",
    "err_ambiguous_value.bpf.o",
    "err_offset_range.bpf.o",
    "err_mem_size.bpf.o",
    "err_bitfield.bpf.o",
    "err_enum64_local.bpf.o",
    "err_enum_signed.bpf.o",
    "err_anon.bpf.o",
    "err_parse.bpf.o",
    // GCC 12's BPF backend (gcc/build.sh): other instruction selection,
    // no func/line info, .rel.BTF.ext, and GCC's own CO-RE bugs.
    "gcc/task.bpf.o",
    "gcc/fields.bpf.o",
    "gcc/fields_alu32.bpf.o",
    "gcc/err_gcc_misplaced.bpf.o",
    "gcc/err_gcc_mov.bpf.o",
    "gcc/err_gcc_matrix.bpf.o",
];

/// The benchmark's large object, relocated against the kernels only.
const BENCH_OBJECT: &str = "bench/reloc_bench.bpf.o";

fn corpus(name: &str) -> PathBuf {
    corex_testkit::repo_root().join("bpf/core-tests").join(name)
}

/// An object's path inside the corpus, as the reports name it.
fn corpus_name(obj: &Path) -> String {
    obj.strip_prefix(corpus(""))
        .unwrap_or(obj)
        .display()
        .to_string()
}

fn kernel_targets() -> Vec<Target> {
    vec![
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
    ]
}

/// The synthetic variants, built once per test process.
fn synthetic_targets() -> &'static [Target] {
    static TARGETS: OnceLock<Vec<Target>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        write_synthetic(
            Path::new("/sys/kernel/btf/vmlinux"),
            &corpus("target_types.o"),
            &libbpf::work_dir(),
        )
    })
}

/// One relocation as `corex reloc --format json` reports it.
#[derive(Debug)]
struct CorexRelo {
    program: Option<String>,
    section: Option<String>,
    index: Option<u64>,
    insn: Option<u64>,
    kind: Option<String>,
    local: Option<String>,
    target: Option<String>,
    result: Option<String>,
    old: Value,
    new: Value,
    reason: Value,
}

impl CorexRelo {
    fn from_json(v: &Value) -> CorexRelo {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        let raw = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
        CorexRelo {
            program: s("program"),
            section: s("section"),
            index: n("index"),
            insn: n("insn"),
            kind: s("kind"),
            local: s("local"),
            target: s("target"),
            result: s("result"),
            old: raw("old"),
            new: raw("new"),
            reason: raw("reason"),
        }
    }
}

/// `corex reloc OBJ --btf BTF --format json`: its relocations and whether it
/// exited with an error status.
fn corex_reloc(obj: &Path, btf: &Path) -> Result<(Vec<CorexRelo>, bool), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_corex"))
        .arg("reloc")
        .arg(obj)
        .arg("--btf")
        .arg(btf)
        .args(["--format", "json"])
        .output()
        .map_err(|e| format!("cannot run corex: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "corex reloc {} --btf {} --format json: {} ({e}); stderr:\n{}",
            obj.display(),
            btf.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let relos = json
        .get("relocations")
        .and_then(Value::as_array)
        .ok_or("corex's JSON has no \"relocations\" array")?;
    Ok((
        relos.iter().map(CorexRelo::from_json).collect(),
        !out.status.success(),
    ))
}

/// Tallies of one (object, target) comparison.
#[derive(Default)]
struct Tally {
    agreed: usize,
    disagreed: usize,
    unchecked: usize,
}

/// Compares the relocations of one object against one target; appends the
/// disagreements to `report`.
fn compare_pair(obj: &Path, target: &Target, report: &mut String) -> Tally {
    let pair = format!("{} vs {}", corpus_name(obj), target.name);
    let libbpf = libbpf::relocate(obj, &target.path);
    check_complete(&libbpf, &pair);
    let mut tally = Tally::default();
    let (corex, corex_failed) = match corex_reloc(obj, &target.path) {
        Ok(r) => r,
        Err(e) => {
            tally.disagreed = libbpf.relocations.len();
            let _ = writeln!(report, "{pair}: {e}\n  libbpf's relocations:");
            for r in &libbpf.relocations {
                let _ = writeln!(report, "    {r}");
            }
            return tally;
        }
    };
    for l in &libbpf.relocations {
        let found = corex.iter().find(|c| {
            c.section.as_deref() == Some(l.section.as_str()) && c.index == Some(u64::from(l.index))
        });
        let diffs = match found {
            Some(c) => field_diffs(l, c),
            None => vec!["corex has no such relocation".to_owned()],
        };
        if diffs.is_empty() {
            tally.agreed += 1;
        } else {
            tally.disagreed += 1;
            let _ = writeln!(report, "{pair}: {}", l);
            for d in diffs {
                let _ = writeln!(report, "    {d}");
            }
        }
    }
    let extra = corex.len().saturating_sub(libbpf.relocations.len());
    if libbpf.stopped {
        tally.unchecked = extra;
    } else if extra > 0 || corex.len() != libbpf.relocations.len() {
        tally.disagreed += 1;
        let _ = writeln!(
            report,
            "{pair}: libbpf logged {} relocations, corex reported {}",
            libbpf.relocations.len(),
            corex.len()
        );
    }
    if corex_failed != libbpf.stopped {
        tally.disagreed += 1;
        let _ = writeln!(
            report,
            "{pair}: libbpf {} the load, corex exited {}",
            if libbpf.stopped { "failed" } else { "passed" },
            if corex_failed {
                "with an error status"
            } else {
                "0"
            }
        );
    }
    tally
}

/// libbpf's log must account for every record of every section, unless it
/// stopped at a failure or the section has programs it does not relocate.
fn check_complete(log: &CoreLog, pair: &str) {
    if log.stopped {
        return;
    }
    for sec in &log.sections {
        // libbpf names the program's section without the `?`.
        let unprefixed = sec.name.trim_start_matches('?');
        if log.not_autoloaded.iter().any(|(_, s)| s == unprefixed) {
            continue;
        }
        let n = log
            .relocations
            .iter()
            .filter(|r| r.section == sec.name)
            .count();
        assert_eq!(
            n, sec.count as usize,
            "{pair}: libbpf announced {} CO-RE relocations in '{}' but the parser found {n}",
            sec.count, sec.name
        );
    }
}

/// Every field libbpf's log determines, as "field: libbpf X, corex Y".
fn field_diffs(l: &Relo, c: &CorexRelo) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, libbpf: String, corex: String| {
        if libbpf != corex {
            diffs.push(format!("{field}: libbpf {libbpf}, corex {corex}"));
        }
    };
    let q = |s: &Option<String>| s.as_ref().map_or("null".to_owned(), |s| format!("{s:?}"));
    let num = |v: &Option<u64>| v.map_or("null".to_owned(), |n| n.to_string());
    check("program", format!("{:?}", l.program), q(&c.program));
    if l.insn.is_some() {
        check("insn", num(&l.insn.map(u64::from)), num(&c.insn));
    }
    if l.kind.is_some() {
        check("kind", q(&l.kind), q(&c.kind));
    }
    if l.local.is_some() {
        check("local", q(&l.local), q(&c.local));
    }
    check("target", q(&l.target), q(&c.target));
    check("result", format!("{:?}", l.outcome.as_str()), q(&c.result));
    check("old", num(&l.old), c.old.to_string());
    check("new", num(&l.new), c.new.to_string());
    let reason = |present: bool| if present { "a reason" } else { "null" }.to_owned();
    check(
        "reason",
        reason(l.reason.is_some()),
        reason(!c.reason.is_null()),
    );
    diffs
}

/// Relocates each object against its target and fails on any
/// disagreement, printing them all.
fn run_matrix(pairs: &[(PathBuf, Target)]) {
    let mut report = String::new();
    let mut summary = String::new();
    let mut total = Tally::default();
    for (obj, target) in pairs {
        let t = compare_pair(obj, target, &mut report);
        let _ = writeln!(
            summary,
            "  {:<32} {:<22} {:>5} agree {:>4} disagree {:>4} unchecked",
            corpus_name(obj),
            target.name,
            t.agreed,
            t.disagreed,
            t.unchecked
        );
        total.agreed += t.agreed;
        total.disagreed += t.disagreed;
        total.unchecked += t.unchecked;
    }
    println!("{summary}");
    println!(
        "total: {} agree, {} disagree, {} unchecked (after a libbpf failure)",
        total.agreed, total.disagreed, total.unchecked
    );
    if total.disagreed > 0 {
        panic!("corex and libbpf disagree:\n{report}");
    }
}

fn objects() -> Vec<PathBuf> {
    OBJECTS.iter().map(|o| corpus(o)).collect()
}

/// Every object with every target.
fn product(objects: &[PathBuf], targets: &[Target]) -> Vec<(PathBuf, Target)> {
    objects
        .iter()
        .flat_map(|o| targets.iter().map(move |t| (o.clone(), t.clone())))
        .collect()
}

#[test]
fn agrees_with_libbpf_on_the_kernels() {
    let mut objects = objects();
    objects.push(corpus(BENCH_OBJECT));
    run_matrix(&product(&objects, &kernel_targets()));
}

#[test]
fn agrees_with_libbpf_on_synthetic_targets() {
    run_matrix(&product(&objects(), synthetic_targets()));
}

#[test]
fn agrees_with_libbpf_relocating_objects_against_themselves() {
    let pairs: Vec<_> = objects()
        .into_iter()
        .map(|obj| {
            let me = Target {
                name: "itself".into(),
                path: obj.clone(),
            };
            (obj, me)
        })
        .collect();
    run_matrix(&pairs);
}

/// GCC 12's objects: libbpf 1.1 opens every one (core_log fails the test
/// otherwise) although GCC writes no func/line info and relocates .BTF.ext
/// with `.rel.BTF.ext`, and it fails to relocate exactly the `err_gcc_*`
/// ones, at their last record, where GCC 12 put a record on the wrong
/// instruction or wrote a multi-dimensional array's BTF backwards.
#[test]
fn libbpf_accepts_gcc_objects_and_fails_only_on_gcc_bugs() {
    let kernel = &kernel_targets()[0];
    let gcc: Vec<_> = OBJECTS.iter().filter(|o| o.starts_with("gcc/")).collect();
    assert!(gcc.len() >= 6, "the GCC objects left the corpus");
    for name in gcc {
        let log = libbpf::relocate(&corpus(name), &kernel.path);
        check_complete(&log, name);
        let last = log.relocations.last();
        assert!(last.is_some(), "{name}: libbpf found no CO-RE relocation");
        let expect_failure = name.starts_with("gcc/err_gcc_");
        assert_eq!(
            log.stopped,
            expect_failure,
            "{name}: libbpf {} the load",
            if log.stopped { "failed" } else { "passed" }
        );
        if expect_failure {
            assert_eq!(
                last.unwrap().outcome,
                Outcome::Error,
                "{name}: {}",
                last.unwrap()
            );
        }
    }
}

/// GCC's big-endian build of `gcc/fields.bpf.c`: libbpf 1.1 refuses to open
/// it on a little-endian host ("endianness mismatch"), so corex is held to
/// the little-endian build of the same source, which libbpf relocates in the
/// tests above: against every target, the same records with the same
/// decisions and values.
#[test]
fn gcc_big_endian_object_relocates_as_its_little_endian_build() {
    let be = corpus("gcc/fields_be.bpf.o");
    let le = corpus("gcc/fields.bpf.o");
    let out = Command::new(libbpf::core_log_bin())
        .arg(&be)
        .arg(&kernel_targets()[0].path)
        .output()
        .expect("cannot run core_log");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && log.contains("endianness mismatch"),
        "libbpf 1.1 was expected to refuse the big-endian object at open:\n{log}"
    );
    let summary = |r: &CorexRelo| {
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {}",
            r.program,
            r.section,
            r.index,
            r.insn,
            r.kind,
            r.local,
            r.target,
            r.result,
            r.old,
            r.new,
            r.reason.is_null()
        )
    };
    let mut compared = 0;
    for target in kernel_targets().iter().chain(synthetic_targets()) {
        let (b, b_failed) = corex_reloc(&be, &target.path).unwrap();
        let (l, l_failed) = corex_reloc(&le, &target.path).unwrap();
        assert_eq!(b_failed, l_failed, "exit status against {}", target.name);
        let b: Vec<_> = b.iter().map(summary).collect();
        let l: Vec<_> = l.iter().map(summary).collect();
        assert_eq!(
            b, l,
            "big- and little-endian builds against {}",
            target.name
        );
        compared += b.len();
    }
    assert!(compared > 0);
}

/// `case` as a BPF object: one instruction per record in section `xdp`
/// (`r0 = *(u32 *)(r1 + off)` for `byte_off`, `r0 = imm` otherwise),
/// holding the value the local BTF implies, which corex computes by
/// relocating the local BTF against itself.
fn core_case_object(case: &coregen::CoreCase) -> Vec<u8> {
    use corex_btf::Endian::Little as LE;
    use objgen::{insn, ElfWriter, Symbol};
    let local = corex_btf::Btf::parse(&case.local).unwrap();
    let itself = corex_object::core::Target::new(&local);
    let mut relocator = corex_object::core::Relocator::new(&itself);
    let mut code = Vec::new();
    for r in &case.relos {
        let orig = relocator.resolve(&local, r).result.map_or(0, |fx| fx.orig);
        code.extend(match r.kind {
            0 => insn(LE, objgen::OP_LDX_W, 0, 1, orig as i16, 0),
            _ => insn(LE, objgen::OP_MOV64_IMM, 0, 0, 0, orig as i32),
        });
    }
    code.extend(insn(LE, objgen::OP_EXIT, 0, 0, 0, 0));
    let mut elf = ElfWriter::new(LE);
    let size = code.len() as u64;
    let sec = elf.code(coregen::SECTION.as_bytes(), code);
    elf.section(
        b"license",
        objgen::SHT_PROGBITS,
        objgen::SHF_ALLOC,
        b"GPL\0".to_vec(),
    );
    elf.section(b".BTF", objgen::SHT_PROGBITS, 0, case.local.clone());
    let records = case
        .relos
        .iter()
        .map(|r| [r.insn_off, r.type_id.0, r.access_str_off, r.kind])
        .collect();
    let ext = objgen::btf_ext(LE, &[(case.section_name_off, records)]);
    elf.section(b".BTF.ext", objgen::SHT_PROGBITS, 0, ext);
    elf.symbol(Symbol::global(b"prog", objgen::STT_FUNC, sec, 0, size));
    elf.finish()
}

/// The hostile families of `fuzz/src/coregen.rs` (anonymous members nested
/// in anonymous members, chains of prototypes and of structs) at depths
/// where libbpf's exponential search still ends: corex's remembered search
/// decides the same.
#[test]
fn agrees_with_libbpf_on_hostile_nesting() {
    let dir = libbpf::work_dir().join("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let mut pairs = Vec::new();
    for which in 0..5u8 {
        for depth in [0, 1, 2, 5, 9, 13] {
            let case = coregen::family(which, depth);
            let name = format!("family{which}-depth{depth}");
            let obj = dir.join(format!("{name}.o"));
            let btf = dir.join(format!("{name}.btf"));
            std::fs::write(&obj, core_case_object(&case)).unwrap();
            std::fs::write(&btf, &case.target).unwrap();
            pairs.push((obj, Target { name, path: btf }));
        }
    }
    run_matrix(&pairs);
}

/// The oracle itself: libbpf's logs of the corpus against the synthetic
/// targets and the running kernel are complete and show every relocation
/// kind and outcome.
#[test]
fn the_corpus_exercises_every_kind_and_outcome() {
    let kernel = &kernel_targets()[0];
    let mut kinds = std::collections::BTreeSet::new();
    let mut outcomes = std::collections::BTreeSet::new();
    let mut mem_sz = false;
    for target in synthetic_targets().iter().chain([kernel]) {
        for obj in objects() {
            let log = libbpf::relocate(&obj, &target.path);
            check_complete(&log, &obj.display().to_string());
            for r in &log.relocations {
                kinds.extend(r.kind.clone());
                outcomes.insert(r.outcome.as_str());
                mem_sz |= r.mem_sz.is_some();
            }
        }
    }
    let all_kinds = [
        "byte_off",
        "byte_sz",
        "field_exists",
        "signed",
        "lshift_u64",
        "rshift_u64",
        "local_type_id",
        "target_type_id",
        "type_exists",
        "type_size",
        "enumval_exists",
        "enumval_value",
        "type_matches",
    ];
    for k in all_kinds {
        assert!(kinds.contains(k), "no {k} relocation in the corpus");
    }
    for o in [Outcome::Patched, Outcome::Poisoned, Outcome::Error] {
        assert!(outcomes.contains(o.as_str()), "no {o:?} relocation");
    }
    assert!(mem_sz, "no load size adjustment (mem_sz) in the corpus");
}
