//! The engine's [`Resolution`] carries the matching candidate's type id as
//! data (what the minimizer keeps): it is the id the printed target spec
//! starts with, and there is one exactly when a candidate matched.
//!
//! [`Resolution`]: corex_object::core::Resolution

use corex_btf::{Btf, TypeId};
use corex_object::core::{RelocKind, Relocator, Target};
use corex_object::Object;

/// The id a spec as libbpf prints it starts with (`[42] struct ...`).
fn printed_id(spec: &str) -> TypeId {
    let rest = spec.strip_prefix('[').expect("a spec starts with [id]");
    TypeId(rest[..rest.find(']').unwrap()].parse().unwrap())
}

#[test]
fn target_id_is_the_printed_candidate() {
    let root = corex_testkit::repo_root().join("bpf/core-tests");
    let kernel = corex_testkit::kernel_file("debian-6.1", "vmlinux.btf");
    let vmlinux = Btf::parse(&std::fs::read(&kernel).unwrap()).unwrap();
    let target = Target::new(&vmlinux);
    let (mut matched, mut unmatched) = (0, 0);
    for name in ["task", "syscalls", "fields", "types_enums", "names"] {
        let path = root.join(format!("{name}.bpf.o"));
        let obj = Object::parse(&std::fs::read(&path).unwrap()).unwrap();
        let local = obj.btf.as_ref().unwrap();
        let mut relocator = Relocator::new(&target);
        for rec in &obj.core_relos {
            let res = relocator.resolve(local, &rec.relo);
            let what = format!("{name} relo #{} <{}> {}", rec.index, res.kind, res.local);
            match (&res.target, res.target_id) {
                (Some(text), Some(id)) => {
                    assert_eq!(printed_id(text), id, "{what}");
                    assert_ne!(id, TypeId::VOID, "{what}");
                    matched += 1;
                }
                (None, None) => unmatched += 1,
                other => panic!("{what}: target text and id disagree: {other:?}"),
            }
            if RelocKind::from_u32(rec.relo.kind) == Some(RelocKind::TypeIdLocal) {
                assert_eq!(res.target_id, None, "{what}: local ids have no candidate");
            }
        }
    }
    // Both cases are exercised: the objects read missing fields and types too.
    assert!(
        matched > 50 && unmatched > 0,
        "{matched} matched, {unmatched} not"
    );
}
