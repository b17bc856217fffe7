//! An object relocated against its own BTF: every relocation finds its own
//! type, so local == target and the instructions keep their values.

use corex_object::core::{Outcome, Patched, Target};
use corex_object::Object;

fn load(name: &str) -> Object {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    Object::parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn own_btf_gives_local_equal_target() {
    check_against_itself("core_basic.bpf.o");
}

#[test]
fn big_endian_object_against_its_own_btf() {
    check_against_itself("core_basic.bpfeb.o");
}

fn check_against_itself(name: &str) {
    let obj = load(name);
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let btf = corex_btf::Btf::parse(
        &corex_btf::elf_btf_sections(&std::fs::read(path).unwrap())
            .unwrap()
            .0,
    )
    .unwrap();
    let report = obj.relocate_core(&Target::new(&btf));
    assert!(report.results.len() >= 20, "{}", report.results.len());
    for r in &report.results {
        let what = format!("{} relo #{} <{}> {}", r.program, r.index, r.kind, r.local);
        let fx = r
            .fixup
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: {:?}", r.outcome));
        assert_eq!(fx.orig, fx.new, "{what}");
        match &r.outcome {
            // Bitfield offsets and sizes are not validated: clang may have
            // chosen another load unit than libbpf computes.
            Outcome::Applied(Patched::Alu { old, new })
            | Outcome::Applied(Patched::Mem {
                old,
                new,
                size: None,
            })
            | Outcome::Applied(Patched::LdImm64 { old, new }) => {
                assert!(old == new || !fx.validate, "{what}")
            }
            other => panic!("{what}: {other:?}"),
        }
        if r.kind != "local_type_id" {
            // Flavored roots (task_struct___old) match their own essential name's types.
            let target = r
                .target
                .as_deref()
                .unwrap_or_else(|| panic!("{what}: no target"));
            if !r.local.contains("___") {
                assert_eq!(target, r.local, "{what}");
            }
        }
    }
    // The `?kprobe` program is not relocated, as libbpf skips it.
    assert!(report
        .skipped
        .iter()
        .any(|s| s.program.as_deref() == Some("not_loaded")));
}
