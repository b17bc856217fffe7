//! `KernelBtf::find` (the loader's exact lookups: fentry/fexit/lsm targets,
//! `btf_trace_*` typedefs of tp_btf programs, ksym VARs, kfunc FUNCs in
//! vmlinux and modules) against libbpf's `btf__find_by_name_kind_own`
//! semantics, a scan for the first own type of that kind whose name is
//! equal, on real Debian kernels' BTF: every named type of the kinds the
//! loader looks up, and names that are not there.

use std::collections::HashMap;
use std::sync::Arc;

use corex_btf::{Btf, Kind, TypeId};
use corex_object::load::KernelBtf;

fn vmlinux(kernel: &str) -> Arc<KernelBtf> {
    let path = corex_testkit::kernel_file(kernel, "vmlinux.btf");
    let btf = Btf::parse(&std::fs::read(path).unwrap()).unwrap();
    Arc::new(KernelBtf::new("vmlinux", Arc::new(btf)))
}

fn module(kernel: &str, name: &str, base: &KernelBtf) -> KernelBtf {
    let ko = corex_testkit::kernel_file(kernel, &format!("modules/{name}.ko"));
    let (raw, _) = corex_btf::elf_btf_sections(&std::fs::read(ko).unwrap()).unwrap();
    let btf = Btf::parse_split(&raw, base.shared_btf().clone()).unwrap();
    KernelBtf::new(name, Arc::new(btf))
}

/// libbpf's answer for every (kind, name) of `btf`'s own named types of
/// `kinds`: the first id in order, as its scan finds it.
fn scan_answers(btf: &Btf, kinds: &[Kind]) -> HashMap<(Kind, String), TypeId> {
    let mut first = HashMap::new();
    for id in btf.own_ids() {
        let t = btf.ty(id);
        if kinds.contains(&t.kind()) && !t.name().is_empty() {
            first.entry((t.kind(), t.name().to_owned())).or_insert(id);
        }
    }
    first
}

/// Checks every answer of the scan, and absent names (another kind's
/// names, prefixes and extensions of real names, names only the base has).
fn agrees_with_the_scan(k: &KernelBtf, kinds: &[Kind], base_only: &[&str]) -> usize {
    let answers = scan_answers(k.btf(), kinds);
    // find's answer for (kind, name) is the scan's, or None where the scan
    // has none.
    let agrees = |kind: Kind, name: &str| {
        let expected = answers.get(&(kind, name.to_string())).copied();
        assert_eq!(k.find(kind, name), expected, "{} {kind:?} {name}", k.name());
    };
    for (kind, name) in answers.keys() {
        agrees(*kind, name);
        let shorter = name.char_indices().last().map_or("", |(i, _)| &name[..i]);
        for other in [shorter, &format!("{name}_"), &format!("{name}\u{e9}")] {
            agrees(*kind, other);
        }
        for other in kinds.iter().filter(|&k| k != kind) {
            agrees(*other, name);
        }
    }
    for name in base_only {
        for kind in kinds {
            assert_eq!(
                k.find(*kind, name),
                None,
                "{}: {name} is its base's",
                k.name()
            );
        }
    }
    assert_eq!(k.exact_index_builds(), kinds.len() as u32);
    answers.len()
}

const LOOKED_UP: [Kind; 3] = [Kind::Func, Kind::Typedef, Kind::Var];

#[test]
fn every_fentry_tp_btf_and_ksym_lookup_agrees_with_libbpfs_scan_on_vmlinux() {
    for kernel in ["debian-6.1", "debian-6.12"] {
        let v = vmlinux(kernel);
        let checked = agrees_with_the_scan(&v, &LOOKED_UP, &[]);
        assert!(checked > 40_000, "{kernel}: {checked} names");
        // What the loader asks for, by name.
        let func = v.find(Kind::Func, "do_unlinkat").unwrap();
        assert_eq!(v.btf().ty(func).name(), "do_unlinkat");
        let tp = v.find(Kind::Typedef, "btf_trace_sched_switch").unwrap();
        assert_eq!(v.btf().ty(tp).kind(), Kind::Typedef);
        let var = v.find(Kind::Var, "runqueues").unwrap();
        assert_eq!(v.btf().ty(var).kind(), Kind::Var);
        // Other kinds get an index of their own, still exact.
        agrees_with_the_scan(&vmlinux(kernel), &[Kind::Struct, Kind::Enum], &[]);
    }
}

#[test]
fn module_lookups_find_only_the_modules_own_types() {
    let v = vmlinux("debian-6.12");
    let m = module("debian-6.12", "nf_conntrack", &v);
    // kfuncs of the module; vmlinux's names are not the module's.
    let checked = agrees_with_the_scan(&m, &LOOKED_UP, &["do_unlinkat", "runqueues"]);
    assert!(checked > 100, "{checked} names");
    let kfunc = m.find(Kind::Func, "bpf_ct_release").unwrap();
    assert!(kfunc.0 > v.btf().type_count(), "a split id");
    assert_eq!(v.find(Kind::Func, "bpf_ct_release"), None);
    let veth = module("debian-6.12", "veth", &v);
    agrees_with_the_scan(&veth, &[Kind::Func, Kind::Struct], &["do_unlinkat"]);
    assert!(veth.find(Kind::Func, "veth_xmit").is_some());
}

#[test]
fn each_kinds_index_is_built_once_by_its_first_lookup() {
    let v = vmlinux("debian-6.12");
    assert_eq!(v.exact_index_builds(), 0);
    assert!(!v.is_indexed(Kind::Typedef));
    for _ in 0..20 {
        assert!(v.find(Kind::Typedef, "btf_trace_sched_switch").is_some());
        assert!(v.find(Kind::Typedef, "btf_trace_no_such_event").is_none());
    }
    assert_eq!(v.exact_index_builds(), 1);
    // Only the typedefs were indexed: a tp_btf lookup does not pay for
    // vmlinux's FUNCs.
    let typedefs = v
        .btf()
        .types()
        .filter(|t| t.kind() == Kind::Typedef && !t.name().is_empty());
    assert_eq!(v.indexed_types(Kind::Typedef), Some(typedefs.count()));
    assert_eq!(v.indexed_types(Kind::Func), None);
    for _ in 0..20 {
        assert!(v.find(Kind::Func, "do_unlinkat").is_some());
    }
    assert_eq!(v.exact_index_builds(), 2);
    // Threads racing for the first lookup of a kind still build it once.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert!(v.find(Kind::Var, "runqueues").is_some()));
        }
    });
    assert_eq!(v.exact_index_builds(), 3);
    assert!(v.is_indexed(Kind::Var) && !v.has_core_index());
}
