//! Loads that fail on this kernel, and what they leave: a reachable
//! poisoned CO-RE relocation reported as the relocation it came from (the
//! guarded one loads), a verifier rejection with its log, fentry refused
//! in words, pinned maps reused or refused with the reason; after each,
//! the ids the load made are gone from the kernel. Needs root.

mod common;

use common::sys::{assert_gone, assert_present, require_privileges, Bpffs};
use common::{assert_all_gone, bpf_object, loader_test, released_ids, unload};
use corex::sys::{Errno, ObjectKind, TestRun};
use corex::{Error, OpenObject, Outcome};

fn load_only(object: &str, program: &str) -> corex::Result<corex::LoadedObject> {
    let mut obj = OpenObject::open(loader_test(object)).unwrap();
    obj.load_only(&[program]).unwrap();
    obj.load()
}

fn run(loaded: &corex::LoadedObject, program: &str) -> u32 {
    let ctx = [0u8; 16];
    let mut run = TestRun::default();
    run.ctx_in = &ctx;
    let prog = loaded.program(program).unwrap();
    prog.test_run(&mut run).unwrap().retval
}

#[test]
fn reachable_poisoned_relocation_is_reported_as_the_relocation() {
    require_privileges();
    let err = load_only("core_poison.bpf.o", "poison_reachable").unwrap_err();
    let log = err.verifier_log().expect("the verifier's log");
    assert!(
        log.contains(
            "failed to resolve CO-RE relocation <byte_off> [5] struct \
             task_struct___corex.corex_no_such_field (0:0 @ offset 0)"
        ),
        "{log}"
    );
    assert!(
        log.contains("field 'corex_no_such_field' does not exist in struct task_struct"),
        "{log}"
    );
    assert!(!log.contains("unknown#195896080"), "rewritten: {log}");
    let text = err.to_string();
    assert!(
        text.contains("program 'poison_reachable'") && text.contains("core_poison.bpf.o"),
        "{text}"
    );
    let report = err.load_report().unwrap();
    let outcome = |name: &str| {
        report
            .programs
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.outcome.clone())
    };
    assert_eq!(outcome("poison_reachable"), Some(Outcome::Failed));
    assert_eq!(outcome("poison_guarded"), Some(Outcome::NotSelected));
    let ids = released_ids(&err);
    assert!(!ids.is_empty(), "its .bss map was made, then released");
    assert_all_gone(&ids);

    let loaded = load_only("core_poison.bpf.o", "poison_guarded").unwrap();
    assert_eq!(run(&loaded, "poison_guarded"), 2, "the guard held");
    unload(loaded);
}

#[test]
fn verifier_rejection_comes_with_its_log_and_leaves_nothing() {
    require_privileges();
    let err = OpenObject::open(loader_test("verifier_reject.bpf.o"))
        .unwrap()
        .load()
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EACCES));
    let log = err.verifier_log().unwrap();
    assert!(
        log.trim_end()
            .lines()
            .any(|l| l == "R0 invalid mem access 'map_value_or_null'"),
        "{log}"
    );
    let text = err.to_string();
    assert!(
        text.contains("the verifier rejected the program")
            && text.contains("R0 invalid mem access 'map_value_or_null'"),
        "{text}"
    );
    let ids = released_ids(&err);
    assert!(ids.iter().any(|(k, _)| *k == ObjectKind::Map), "{ids:?}");
    assert_all_gone(&ids);
}

#[test]
fn fentry_refused_says_trampolines() {
    require_privileges();
    let mut obj = OpenObject::open(bpf_object("lab/lab.bpf.o")).unwrap();
    obj.load_only(&["fentry_bprm_execve"]).unwrap();
    let err = obj.load().unwrap_err();
    assert!(
        matches!(
            err.cause(),
            Error::TrampolinesRefused { kind: "fentry", .. }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("fentry needs BPF trampolines, which this kernel refused: EPERM"),
        "{err}"
    );
    assert_all_gone(&released_ids(&err));
}

#[test]
fn pinned_map_is_reused_and_an_incompatible_one_refused() {
    require_privileges();
    let fs = Bpffs::mount("corex-pin");
    let open = |object: &str| {
        let mut obj = OpenObject::open(loader_test(object)).unwrap();
        obj.set_pin_root(&fs.dir);
        obj
    };
    let first = open("pinned.bpf.o").load().unwrap();
    let map = first.map("corex_pinned").unwrap();
    assert_eq!(map.pin_path(), Some(fs.path("corex_pinned").as_path()));
    assert!(!map.reused_pin());
    let map_id = map.id();
    assert_eq!(run(&first, "bump_pinned"), 0);

    let second = open("pinned.bpf.o").load().unwrap();
    let shared = second.map("corex_pinned").unwrap();
    assert!(shared.reused_pin());
    assert_eq!(shared.id(), map_id);
    assert_eq!(run(&second, "bump_pinned"), 0);
    let value = shared.lookup(&0u32.to_ne_bytes()).unwrap().unwrap();
    assert_eq!(value, 2u64.to_ne_bytes(), "both loads count in one map");

    let err = open("pinned_incompatible.bpf.o").load().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("map 'corex_pinned'")
            && text.contains(&format!("{}", fs.path("corex_pinned").display()))
            && text.contains("value size 8, the object's has 4"),
        "{text}"
    );
    assert_all_gone(&released_ids(&err));

    let prog_ids: Vec<u32> = [&first, &second]
        .iter()
        .flat_map(|l| l.programs().map(|p| p.id()))
        .collect();
    drop((first, second));
    for id in prog_ids {
        assert_gone(ObjectKind::Prog, id);
    }
    assert_present(ObjectKind::Map, map_id);
    std::fs::remove_file(fs.path("corex_pinned")).unwrap();
    assert_gone(ObjectKind::Map, map_id);
}

/// The byte offset of `task_struct.pid` in `btf`.
fn pid_offset(btf: &corex_btf::Btf) -> i32 {
    let task = btf
        .types()
        .find(|t| t.kind() == corex_btf::Kind::Struct && t.name() == "task_struct")
        .expect("task_struct");
    let pid = task.members().find(|m| m.name == "pid").expect("pid");
    (pid.bit_offset / 8) as i32
}

/// Whether the program's translated instructions hold `offset` as an
/// immediate (`rX = offset` or `rX += offset`: the relocated field access).
fn uses_offset(prog: &corex::Program, offset: i32) -> bool {
    prog.fd().xlated_insns().unwrap().chunks(8).any(|insn| {
        matches!(insn[0], 0x07 | 0xb7)
            && i32::from_ne_bytes(insn[4..8].try_into().unwrap()) == offset
    })
}

#[test]
fn core_against_an_external_btf_uses_its_offsets() {
    require_privileges();
    let debian_61 = corex_testkit::kernel_file("debian-6.1", "vmlinux.btf");
    let foreign = corex_btf::Btf::parse(&std::fs::read(&debian_61).unwrap()).unwrap();
    let running = corex::Kernel::running().unwrap().vmlinux_btf().unwrap();
    let (here, there) = (pid_offset(running.btf()), pid_offset(&foreign));
    assert_ne!(
        here, there,
        "task_struct.pid moved between 6.1 and this kernel"
    );

    let native = load_only("core_poison.bpf.o", "poison_guarded").unwrap();
    let mut obj = OpenObject::open(loader_test("core_poison.bpf.o")).unwrap();
    obj.load_only(&["poison_guarded"]).unwrap();
    obj.set_core_btf(&debian_61).unwrap();
    let relocated = obj.load().unwrap();
    let (a, b) = (
        native.program("poison_guarded").unwrap(),
        relocated.program("poison_guarded").unwrap(),
    );
    assert!(uses_offset(a, here) && !uses_offset(a, there));
    assert!(uses_offset(b, there) && !uses_offset(b, here));
    unload(native);
    unload(relocated);
}

/// `module_btf.bpf.o` (the kernel matrix's module row: fentry on the dummy
/// module's `dummy_get_stats64`, CO-RE against veth's `struct veth_rq`) on
/// the running kernel. Where no module BTF holds that function (here: dummy
/// is not loaded, and this kernel cannot load modules) the load names the
/// missing target and where it looked; where dummy is loaded, the target is
/// found and only trampolines may be refused. Nothing is left either way.
/// The matrix runs it on kernels with the module inserted.
#[test]
fn a_module_function_target_is_found_in_module_btf_or_named_as_missing() {
    require_privileges();
    let kernel = corex::Kernel::running().unwrap();
    let dummy = kernel.module_btfs().unwrap().iter().any(|m| {
        m.btf()
            .find(corex_btf::Kind::Func, "dummy_get_stats64")
            .is_some()
    });
    let loaded = OpenObject::open(loader_test("module_btf.bpf.o"))
        .unwrap()
        .load();
    match (dummy, loaded) {
        (true, Ok(loaded)) => unload(loaded),
        (true, Err(err)) => {
            assert!(
                matches!(err.cause(), Error::TrampolinesRefused { .. }),
                "{err}"
            );
            assert_all_gone(&released_ids(&err));
        }
        (false, Ok(_)) => panic!("loaded without a module that has dummy_get_stats64"),
        (false, Err(err)) => {
            assert!(
                err.to_string().ends_with(
                    "program 'dummy_stats': the kernel has no func 'dummy_get_stats64' to \
                     attach to (looked in vmlinux and module BTF)"
                ),
                "{err}"
            );
            assert_all_gone(&released_ids(&err));
        }
    }
}
