//! The load plan's own promises, without libbpf: one parsed object planned
//! for several kernels, system inputs read only when needed, the verifier
//! log rewrite of poisoned instructions.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use corex_btf::Btf;
use corex_object::load::{
    plan, BtfSource, Feature, Features, KernelBtf, KernelInputs, Lazy, LoadConfig, LoadPlan,
    ModuleId,
};
use corex_object::Object;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/load")
        .join(name)
}

fn object(name: &str) -> Object {
    Object::parse(&std::fs::read(data(name)).unwrap()).unwrap()
}

fn vmlinux(kernel: &str) -> Arc<KernelBtf> {
    let path = corex_testkit::kernel_file(kernel, "vmlinux.btf");
    let btf = Btf::parse(&std::fs::read(path).unwrap()).unwrap();
    Arc::new(KernelBtf::new("vmlinux", Arc::new(btf)))
}

fn module(kernel: &str, name: &str, base: &KernelBtf) -> Arc<KernelBtf> {
    let ko = corex_testkit::kernel_file(kernel, &format!("modules/{name}.ko"));
    let (raw, _) = corex_btf::elf_btf_sections(&std::fs::read(ko).unwrap()).unwrap();
    let btf = Btf::parse_split(&raw, base.shared_btf().clone()).unwrap();
    Arc::new(KernelBtf::new(name, Arc::new(btf)))
}

fn inputs(vmlinux: &Arc<KernelBtf>) -> KernelInputs<'static> {
    let mut k = KernelInputs::new(Features::all(), 0x060c00);
    k.vmlinux = Lazy::ready(vmlinux.clone());
    k
}

/// The instruction CO-RE patched for `leaf`'s read of `task_struct.tgid`.
fn tgid_offsets(plan: &LoadPlan) -> Vec<corex_object::Insn> {
    plan.core
        .results
        .iter()
        .filter(|r| r.local.contains("tgid"))
        .map(|r| {
            let p = plan.programs.iter().find(|p| p.name == "first").unwrap();
            let leaf = p.functions.iter().find(|f| f.name == "leaf").unwrap();
            p.insns[leaf.start + r.insn]
        })
        .collect()
}

#[test]
fn one_object_planned_for_two_kernels() {
    let obj = object("calls.bpf.o");
    let original: Vec<_> = obj.programs.iter().map(|p| p.insns().to_vec()).collect();
    let config = LoadConfig::for_file("calls.bpf.o");
    let (v61, v612) = (vmlinux("debian-6.1"), vmlinux("debian-6.12"));
    let p61 = plan(&obj, &config, &inputs(&v61)).unwrap();
    let p612 = plan(&obj, &config, &inputs(&v612)).unwrap();
    let again = plan(&obj, &config, &inputs(&v61)).unwrap();
    assert_ne!(tgid_offsets(&p61), tgid_offsets(&p612));
    assert_eq!(tgid_offsets(&p61), tgid_offsets(&again));
    let after: Vec<_> = obj.programs.iter().map(|p| p.insns().to_vec()).collect();
    assert_eq!(original, after, "planning patched the object");
    for (a, b) in p61.programs.iter().zip(&again.programs) {
        assert_eq!(a.insns, b.insns);
    }
}

#[test]
fn a_long_lived_loader_indexes_the_kernel_btf_once_from_its_second_plan() {
    let obj = object("calls.bpf.o");
    let config = LoadConfig::for_file("calls.bpf.o");
    let v = vmlinux("debian-6.12");
    // The first plan reads only the types the object looks up.
    let first = plan(&obj, &config, &inputs(&v)).unwrap();
    assert!(!v.has_core_index());
    // The second indexes every named type, kept for all later plans.
    let second = plan(&obj, &config, &inputs(&v)).unwrap();
    assert!(v.has_core_index());
    // Exact lookups have indexes of their own, by kind.
    assert_eq!(v.exact_index_builds(), 0);
    let third = plan(&obj, &config, &inputs(&v)).unwrap();
    assert_eq!(tgid_offsets(&first), tgid_offsets(&second));
    assert_eq!(tgid_offsets(&first), tgid_offsets(&third));
    assert_eq!(first.core.results.len(), third.core.results.len());
    for (a, b) in first.programs.iter().zip(&third.programs) {
        assert_eq!(a.insns, b.insns);
    }
    // A split module BTF gets its own index with its base's types.
    let m = module("debian-6.12", "nf_conntrack", &v);
    let _ = m.core_target(&obj);
    assert!(!m.has_core_index());
    let _ = m.core_target(&obj);
    assert!(m.has_core_index() && m.exact_index_builds() == 0);
}

/// `bpf/loader-tests/module_btf.bpf.o`, the kernel matrix's module row, planned
/// against two Debian kernels with their veth and dummy modules: the fentry
/// target is the dummy module's FUNC (a split id, with that module's fd), and
/// the CO-RE relocations read veth's `struct veth_rq`, whose layout differs
/// between the two (768 bytes without page_pool on 6.1, 832 with it on 6.12).
#[test]
fn module_attach_targets_and_core_come_from_the_modules_split_btf() {
    let path = corex_testkit::repo_root().join("bpf/loader-tests/module_btf.bpf.o");
    let obj = Object::parse(&std::fs::read(path).unwrap()).unwrap();
    for (kernel, size, page_pool) in [("debian-6.1", 768, 0), ("debian-6.12", 832, 1)] {
        let v = vmlinux(kernel);
        let mods = vec![module(kernel, "veth", &v), module(kernel, "dummy", &v)];
        let mut k = inputs(&v);
        k.modules = Lazy::ready(mods.clone());
        let plan = plan(&obj, &LoadConfig::new("module_btf"), &k).unwrap();
        let attach = plan.program("dummy_stats").unwrap().attach_btf.unwrap();
        assert_eq!(attach.source, BtfSource::Module(ModuleId(1)), "{kernel}");
        let dummy = mods[1].btf();
        assert_eq!(dummy.ty(attach.id).name(), "dummy_get_stats64");
        assert!(attach.id.0 > v.btf().type_count(), "{kernel}: a split id");
        let result = |kind: &str| plan.core.results.iter().find(|r| r.kind == kind).unwrap();
        for kind in ["type_size", "byte_off"] {
            let target = result(kind).target.clone().unwrap_or_default();
            assert!(
                target.contains("struct veth_rq"),
                "{kernel} {kind}: {target}"
            );
        }
        let value = |kind: &str| result(kind).fixup.as_ref().unwrap().new;
        assert_eq!(value("type_size"), size, "{kernel}");
        assert_eq!(value("byte_off"), 704, "{kernel}");
        assert_eq!(value("field_exists"), page_pool, "{kernel}");
    }
}

/// Lazy inputs that count how often they are produced.
struct Counted {
    vmlinux: Cell<u32>,
    modules: Cell<u32>,
    kconfig: Cell<u32>,
    kallsyms: Cell<u32>,
}

fn counted<'a>(c: &'a Counted, v: &'a Arc<KernelBtf>, m: &'a Arc<KernelBtf>) -> KernelInputs<'a> {
    let mut k = KernelInputs::new(Features::all(), 0x060c00);
    k.vmlinux = Lazy::new(move || {
        c.vmlinux.set(c.vmlinux.get() + 1);
        Ok(v.clone())
    });
    k.modules = Lazy::new(move || {
        c.modules.set(c.modules.get() + 1);
        Ok(vec![m.clone()])
    });
    k.kconfig = Lazy::new(move || {
        c.kconfig.set(c.kconfig.get() + 1);
        Ok("CONFIG_BPF_SYSCALL=y\nCONFIG_NF_CONNTRACK=m\nCONFIG_HZ=250\nCONFIG_PHYSICAL_START=0\nCONFIG_DEFAULT_HOSTNAME=\"x\"\n".into())
    });
    k.kallsyms = Lazy::new(move || {
        c.kallsyms.set(c.kallsyms.get() + 1);
        Ok(Arc::new(corex_object::load::Kallsyms::from_symbols([(
            "fake_typeless_symbol",
            0xffff_ffff_8100_0000,
        )])))
    });
    k
}

#[test]
fn system_inputs_are_read_only_when_needed_and_once() {
    let v = vmlinux("debian-6.12");
    let m = module("debian-6.12", "nf_conntrack", &v);
    let c = Counted {
        vmlinux: Cell::new(0),
        modules: Cell::new(0),
        kconfig: Cell::new(0),
        kallsyms: Cell::new(0),
    };
    // No CO-RE, no extern, no BTF attach target: nothing is read.
    let k = counted(&c, &v, &m);
    plan(&object("globals.bpf.o"), &LoadConfig::new("globals"), &k).unwrap();
    assert_eq!(
        (
            c.vmlinux.get(),
            c.modules.get(),
            c.kconfig.get(),
            c.kallsyms.get()
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(v.exact_index_builds(), 0);
    // Every extern kind: each input read once, modules for bpf_ct_release.
    plan(&object("externs.bpf.o"), &LoadConfig::new("externs"), &k).unwrap();
    assert_eq!(
        (
            c.vmlinux.get(),
            c.modules.get(),
            c.kconfig.get(),
            c.kallsyms.get()
        ),
        (1, 1, 1, 1)
    );
    // Exact lookups built one index per kind looked up: typed ksyms VARs,
    // kfuncs FUNCs, tp_btf TYPEDEFs; in the module, for what vmlinux lacks
    // (bpf_ct_release, the weak no_such_percpu_var), FUNCs and VARs.
    use corex_btf::Kind;
    let kinds = [Kind::Var, Kind::Func, Kind::Typedef];
    assert_eq!(kinds.map(|k| v.is_indexed(k)), [true; 3]);
    assert_eq!(kinds.map(|k| m.is_indexed(k)), [true, true, false]);
    assert_eq!((v.exact_index_builds(), m.exact_index_builds()), (3, 2));
    // A second object with the same inputs reads nothing again, and its
    // fentry, lsm, iter and tp_btf targets (one in the module) reuse them.
    plan(&object("sections.bpf.o"), &LoadConfig::new("sections"), &k).unwrap();
    assert_eq!((c.vmlinux.get(), c.modules.get()), (1, 1));
    assert_eq!((v.exact_index_builds(), m.exact_index_builds()), (3, 2));
    assert!(k.vmlinux.was_used() && k.kallsyms.was_used());
}

const POISON_LOG: &str = "func#0 @0\n0: R1=ctx() R10=fp0\n; foo\nINSN: (85) call unknown#195896080\ninvalid func unknown#195896080\nprocessed 42 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 1\n";

#[test]
fn verifier_logs_name_the_relocation_behind_a_poisoned_instruction() {
    let v = vmlinux("debian-6.12");
    let mut k = inputs(&v);
    let mods = vec![
        module("debian-6.12", "veth", &v),
        module("debian-6.12", "loop", &v),
        module("debian-6.12", "nf_conntrack", &v),
    ];
    k.modules = Lazy::ready(mods);
    let plan = plan(&object("modules.bpf.o"), &LoadConfig::new("modules"), &k).unwrap();
    let p = plan.program("module_types").unwrap();
    let (&insn, relo) = p
        .poisoned
        .iter()
        .find(|(_, r)| r.local.contains("corex_nowhere"))
        .unwrap();
    let log = POISON_LOG.replace("INSN", &insn.to_string());
    let rewritten = plan.rewrite_verifier_log(p, &log);
    let expected = format!(
        "func#0 @0\n0: R1=ctx() R10=fp0\n; foo\n{insn}: <invalid CO-RE relocation>\n\
         failed to resolve CO-RE relocation <byte_off> {}: struct corex_nowhere does not exist on this kernel (relocation #{} of section 'kprobe/veth_xmit')\n\
         processed 42 insns (limit 1000000) max_states_per_insn 0 total_states 3 peak_states 3 mark_read 1\n",
        relo.local, relo.index
    );
    assert_eq!(rewritten, expected);
    // Another instruction, or the line too far from the end: unchanged.
    let other = POISON_LOG.replace("INSN", "7");
    assert_eq!(plan.rewrite_verifier_log(p, &other), other);
    let far = format!("{log}{}", "more\n".repeat(10));
    assert_eq!(plan.rewrite_verifier_log(p, &far), far);
}

#[test]
fn verifier_logs_name_a_map_that_was_not_created() {
    let v = vmlinux("debian-6.12");
    let mut k = inputs(&v);
    k.features = Features::all().without(Feature::GlobalData);
    let plan = plan(&object("globals.bpf.o"), &LoadConfig::new("globals"), &k).unwrap();
    let p = plan.program("use_globals").unwrap();
    let (insn, map) = p.poisoned_maps[0];
    let imm = corex_object::load::MAP_POISON_BASE + map.0 as i32;
    let log = format!("3: (85) call unknown#{imm}\ninvalid func unknown#{imm}\n");
    let log = log.replace("3:", &format!("{insn}:"));
    assert_eq!(
        plan.rewrite_verifier_log(p, &log),
        format!(
            "{insn}: <invalid BPF map reference>\nBPF map '{}' is referenced but wasn't created (this kernel has no global data maps)\n",
            plan.maps[map.0].name
        )
    );
}
