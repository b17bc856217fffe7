//! The load plan against libbpf 1.1, with no kernel: `fake_kernel.c` runs
//! `bpf_object__load()` against a fake kernel with chosen features and
//! records every bpf(2) call; the plan for the same object and kernel must
//! ask for the same: the same program BTF (compared as bpftool-style dumps),
//! the same maps with the same attributes, initial values, slots, freezes
//! and pins, the same programs with the same instructions, fd references,
//! func and line info, attach targets and `fd_array`.

mod libbpf;

use std::path::{Path, PathBuf};

use corex_object::load::{plan, BtfSource, FdTarget, Feature, LoadConfig, ModuleId};
use corex_object::Object;
use libbpf::compare::{case, compare, is_probe_map, Case};
use libbpf::kernel::{btf_features, debian, read};
use libbpf::Record;

#[test]
fn subprograms_are_linked_as_libbpf_links_them() {
    let k = debian("6.1", "6.1.0", &[]);
    let plan = case("calls.bpf.o", &k, "calls");
    let second = plan.program("second").unwrap();
    let names: Vec<&str> = second.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["second", "middle_c", "leaf", "hidden_helper"]);
    assert!(plan.program("optional").is_none());
}

#[test]
fn maps_are_created_as_libbpf_creates_them() {
    let k = debian("6.1", "6.1.0", &[]);
    case("maps.bpf.o", &k, "maps");
}

#[test]
fn global_data_as_libbpf_lays_it_out() {
    let k = debian("6.1", "6.1.0", &[]);
    case("globals.bpf.o", &k, "globals");
}

#[test]
fn externs_resolve_as_libbpf_resolves_them() {
    let k = debian("6.1", "6.1.0", &["nf_conntrack"]);
    let mut c = Case::new("externs.bpf.o", &k, "externs");
    // `if (bpf_ct_release)` loads the module kfunc's address: libbpf 1.1
    // leaves the module BTF fd 0 (the kernel would look the id up in
    // vmlinux); the plan passes the module's fd.
    c.extra_refs.push("use_externs 77:module:nf_conntrack");
    let plan = c.run();
    let p = plan.program("use_externs").unwrap();
    assert!(p
        .fd_refs
        .iter()
        .any(|r| r.insn == 77 && r.target == FdTarget::ModuleBtf(ModuleId(0))));
}

#[test]
fn btf_kinds_load_unchanged_on_a_kernel_with_them() {
    let k = debian("6.12", "6.12.0", &[]);
    case("btf_kinds_enum64.bpf.o", &k, "kinds");
}

#[test]
fn btf_is_sanitized_as_libbpf_sanitizes_it_for_each_missing_feature() {
    for f in btf_features() {
        let k = debian("6.12", "6.12.0", &["nf_conntrack"]).without(&[f]);
        for object in ["btf_kinds_enum64.bpf.o", "calls.bpf.o", "globals.bpf.o"] {
            let plan = case(object, &k, &format!("no {f}"));
            match (f, &plan.btf) {
                (Feature::Btf, None) => {}
                (Feature::Btf, Some(_)) => panic!("{object}: BTF planned on a kernel without BTF"),
                (_, Some(b)) => assert!(
                    b.rewritten_for.contains(&f),
                    "{object}: no {f}: {:?}",
                    b.rewritten_for
                ),
                (_, None) => panic!("{object}: no BTF planned"),
            }
        }
        let mut c = Case::new("externs.bpf.o", &k, &format!("externs, no {f}"));
        if f != Feature::Btf {
            c.extra_refs.push("use_externs 77:module:nf_conntrack");
        }
        c.run();
    }
}

#[test]
fn btf_on_a_kernel_without_any_btf_kind_it_may_lack() {
    let k = debian("6.12", "6.12.0", &[]).without(&Feature::SANITIZED);
    for object in [
        "btf_kinds_enum64.bpf.o",
        "calls.bpf.o",
        "globals.bpf.o",
        "maps.bpf.o",
    ] {
        case(object, &k, "old BTF");
    }
}

#[test]
fn program_attributes_as_libbpf_derives_them_from_sections() {
    let k = debian("6.12", "6.12.0", &["nf_conntrack"]);
    let plan = case("sections.bpf.o", &k, "sections");
    let p = plan.program("module_fentry").unwrap();
    assert_eq!(
        p.attach_btf.map(|t| t.source),
        Some(BtfSource::Module(ModuleId(0)))
    );
    assert_eq!(plan.program("probe_exit").unwrap().kern_version, 0x050a00);
    let old = debian("6.12", "6.12.0", &["nf_conntrack"])
        .without(&[Feature::ExpAttachType, Feature::ProbeReadKernel]);
    let plan = case("sections.bpf.o", &old, "old sections");
    assert_eq!(plan.program("xdp_pass").unwrap().expected_attach_type, None);
    assert!(plan
        .program("xdp_frags")
        .unwrap()
        .expected_attach_type
        .is_some());
    let k61 = debian("6.1", "6.1.0", &["nf_conntrack"]);
    case("sections.bpf.o", &k61, "sections 6.1");
}

#[test]
fn kernels_without_global_data_or_names() {
    let k = debian("6.12", "6.12.0", &[]).without(&[Feature::GlobalData]);
    for object in ["globals.bpf.o", "calls.bpf.o", "maps.bpf.o"] {
        let plan = case(object, &k, "no global data");
        if object == "globals.bpf.o" {
            let p = plan.program("use_globals").unwrap();
            assert!(!p.poisoned_maps.is_empty());
            assert!(plan.maps.iter().all(|m| !m.autocreate));
        }
    }
    let k = debian("6.12", "6.12.0", &[]).without(&[Feature::ProgName]);
    for object in ["globals.bpf.o", "calls.bpf.o", "maps.bpf.o"] {
        let plan = case(object, &k, "no names");
        assert!(plan.programs.iter().all(|p| p.kernel_name.is_empty()));
    }
}

#[test]
fn virtual_kconfig_values_follow_the_features() {
    let k = debian("6.1", "6.1.0", &["nf_conntrack"])
        .without(&[Feature::BpfCookie, Feature::SyscallWrapper]);
    let mut c = Case::new("externs.bpf.o", &k, "no cookie");
    c.extra_refs.push("use_externs 77:module:nf_conntrack");
    c.run();
}

#[test]
fn array_mmap_flag_is_cleared_where_libbpf_1_1_toggles_it() {
    // libbpf 1.1 XORs BPF_F_MMAPABLE on kernels without mmap-able arrays,
    // setting it on maps that lacked it (here .data.hidden, whose only
    // variable is hidden): such a kernel refuses the map and the load
    // fails. The plan clears the flag everywhere instead.
    let k = debian("6.12", "6.12.0", &[]).without(&[Feature::ArrayMmap]);
    let c = Case::new("globals.bpf.o", &k, "no mmap");
    let trace = libbpf::run(&c.object, &c.fake);
    assert_ne!(trace.load_result(), Some(0));
    let refused: Vec<&Record> = trace
        .all("map_create")
        .filter(|r| r.get("result") == "EINVAL" && !is_probe_map(r))
        .collect();
    // Refused with its BTF types, then again without.
    assert_eq!(refused.len(), 2, "{:?}", refused);
    for r in refused {
        assert_eq!((r.get("name"), r.num("flags")), (".data.hidden", 1024));
    }
    let plan = plan(&c.obj(), &c.config, &k.inputs()).unwrap();
    for m in &plan.maps {
        assert_eq!(m.create.map_flags & 1024, 0, "{}", m.name);
    }
}

#[test]
fn configuration_before_load_as_libbpf_applies_it() {
    let k = debian("6.12", "6.12.0", &[]);
    let mut c = Case::new("calls.bpf.o", &k, "autoload");
    c.fake = c
        .fake
        .set("AUTOLOAD_OFF", "first")
        .set("AUTOLOAD_ON", "optional");
    let obj = c.obj();
    c.config.set_autoload(&obj, "first", false).unwrap();
    c.config.set_autoload(&obj, "optional", true).unwrap();
    let plan = c.run();
    assert!(plan.program("first").is_none() && plan.program("optional").is_some());

    let mut c = Case::new("maps.bpf.o", &k, "max_entries");
    c.fake = c.fake.set("MAX_ENTRIES", "hash=77,events=5000,perf=3");
    let obj = c.obj();
    c.config.set_max_entries(&obj, "hash", 77).unwrap();
    c.config.set_max_entries(&obj, "events", 5000).unwrap();
    c.config.set_max_entries(&obj, "perf", 3).unwrap();
    let plan = c.run();
    assert_eq!(
        plan.maps[plan.map("events").unwrap().0].create.max_entries,
        8192
    );

    let mut c = Case::new("globals.bpf.o", &k, "globals set");
    // min_pid at 0 of .rodata, delta (s16) at 4, comm at 6, counter in .data
    c.fake = c.fake.set(
        "SET",
        ".rodata:0:2a000000;.rodata:4:f6ff;.rodata:6:626173680000;.data:0:0900000000000000",
    );
    let obj = c.obj();
    use corex_object::load::GlobalValue;
    c.config
        .set_global(&obj, "min_pid", GlobalValue::Int(42))
        .unwrap();
    c.config
        .set_global(&obj, "delta", GlobalValue::Int(-10))
        .unwrap();
    c.config
        .set_global(&obj, "comm", GlobalValue::Str("bash"))
        .unwrap();
    c.config
        .set_global(&obj, "counter", GlobalValue::Bytes(&9u64.to_ne_bytes()))
        .unwrap();
    c.run();
}

/// The repository's other BPF objects (CO-RE corpus, GCC's, the object
/// model's): every one planned for three kernels, against libbpf's load.
#[test]
fn the_repositorys_objects_plan_as_libbpf_loads_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut objects: Vec<PathBuf> = Vec::new();
    for dir in [
        "bpf/core-tests",
        "bpf/core-tests/gcc",
        "crates/object/tests/data",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "o") {
                objects.push(p);
            }
        }
    }
    objects.sort();
    assert!(objects.len() > 20, "{objects:?}");
    let mut kernels = vec![debian("6.1", "6.1.0", &[]), debian("6.12", "6.12.0", &[])];
    let running = Path::new("/sys/kernel/btf/vmlinux");
    if running.exists() {
        let mut k = debian("6.12", "6.18.0", &[]);
        k.vmlinux = running.to_path_buf();
        kernels.push(k);
    }
    let (mut compared, mut refused) = (0, 0);
    for k in &kernels {
        for path in &objects {
            let tag = format!("{} on {}", path.display(), k.vmlinux.display());
            let name = corex_object::load::object_name_of(&path.display().to_string());
            let fake = k.fake("corpus").set("OBJ_NAME", name.as_str());
            let trace = libbpf::run(path, &fake);
            let mut config = LoadConfig::new(&name);
            config.set_pin_root(&libbpf::work_dir().join("pins").display().to_string());
            let planned = Object::parse(&read(path))
                .map_err(|e| e.to_string())
                .and_then(|obj| plan(&obj, &config, &k.inputs()).map_err(|e| e.to_string()));
            match (trace.load_result(), planned) {
                (Some(0), Ok(p)) => {
                    compare(&tag, &p, &trace, k, &[]);
                    compared += 1;
                }
                (Some(0), Err(e)) => panic!("{tag}: libbpf loads it, the plan fails: {e}"),
                (_, Ok(_)) => panic!("{tag}: libbpf fails, the plan does not:\n{}", trace.log),
                (_, Err(_)) => refused += 1,
            }
        }
    }
    assert!(
        compared > 30 && refused > 10,
        "{compared} compared, {refused} refused"
    );
}

#[test]
fn core_looks_in_module_btf_as_libbpf_does() {
    for (v, release) in [("6.1", "6.1.0"), ("6.12", "6.12.0")] {
        let k = debian(v, release, &["veth", "loop", "nf_conntrack"]);
        let plan = case("modules.bpf.o", &k, &format!("modules {v}"));
        let p = plan.program("module_types").unwrap();
        // corex_nowhere.x exists nowhere; veth_priv.dropped is an
        // atomic64_t (a struct) in the module, a long locally.
        let reasons: Vec<&str> = p.poisoned.values().map(|r| r.local.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("corex_nowhere")));
        for field in ["lo_sizelimit", "lo_number", "users6"] {
            assert!(
                plan.core
                    .results
                    .iter()
                    .any(|r| r.local.contains(field) && r.target.is_some()),
                "{field} matched no module type"
            );
        }
    }
}

/// The objects the plan refuses (load_errors.rs) are refused by libbpf too,
/// before the kernel sees a program: all but the map sizes (7 to 9), which
/// libbpf leaves to the kernel.
#[test]
fn libbpf_refuses_the_objects_the_plan_refuses() {
    let k = debian("6.12", "6.12.0", &["nf_conntrack"]);
    for n in (1..=6).chain(10..=14) {
        let c = Case::new(&format!("bad_{n}.bpf.o"), &k, &format!("bad {n}"));
        let trace = libbpf::run(&c.object, &c.fake);
        assert_ne!(
            trace.load_result(),
            Some(0),
            "bad_{n}.bpf.o: libbpf loads it"
        );
        let loaded = trace
            .all("prog_load")
            .filter(|r| r.get("kver") != "0")
            .count();
        assert_eq!(loaded, 0, "bad_{n}.bpf.o: libbpf loaded a program");
    }
}

/// A map pinned by name is reused when libbpf finds it compatible and
/// refused when not; the plan's `pin_mismatch` decides the same.
#[test]
fn pinned_maps_are_reused_or_refused_as_libbpf_decides() {
    use corex_object::load::PinnedMapInfo;
    let k = debian("6.12", "6.12.0", &[]);
    let c = Case::new("maps.bpf.o", &k, "pinned");
    let plan = plan(&c.obj(), &c.config, &k.inputs()).unwrap();
    let m = &plan.maps[plan.map("pinned").unwrap().0];
    let path = m.pin_path.clone().unwrap();
    let ours = |info: &PinnedMapInfo| m.pin_mismatch(info).map(|p| p.to_string());
    let same = PinnedMapInfo {
        map_type: m.create.map_type,
        key_size: m.create.key_size,
        value_size: m.create.value_size,
        max_entries: m.create.max_entries,
        map_flags: m.create.map_flags,
        map_extra: m.create.map_extra,
    };
    let bigger = PinnedMapInfo {
        max_entries: 16,
        ..same
    };
    for (info, reused) in [(same, true), (bigger, false)] {
        let spec = format!(
            "{path}:{}:{}:{}:{}:{}:{}",
            info.map_type.0,
            info.key_size,
            info.value_size,
            info.max_entries,
            info.map_flags,
            info.map_extra
        );
        let trace = libbpf::run(&c.object, &c.fake.clone().set("PINNED", spec));
        assert_eq!(trace.load_result() == Some(0), reused, "{:?}", info);
        assert_eq!(ours(&info).is_none(), reused, "{:?}", info);
        if reused {
            assert!(!trace.all("map_create").any(|r| r.get("name") == "pinned"));
        }
    }
    assert_eq!(
        ours(&bigger).unwrap(),
        format!("the map pinned at '{path}' has max_entries 16, the object's has 8; remove the pin or fix the definition")
    );
}

/// The BPF objects embedded in Debian's libbpf-tools (bpf/real-objects,
/// extracted at test time), written and built by others: planned for the
/// running kernel and compared with libbpf's load of each. Where libbpf
/// hands the kernel a map of `max_entries` 0 (tools that size it at run
/// time; the kernel refuses it), the plan refuses it first, naming it.
#[test]
fn libbpf_tools_objects_plan_as_libbpf_loads_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = libbpf::work_dir().join("real-objects");
    let status = std::process::Command::new("bash")
        .arg(root.join("bpf/real-objects/extract.sh"))
        .arg(&out)
        .status()
        .expect("run bpf/real-objects/extract.sh");
    assert!(status.success(), "bpf/real-objects/extract.sh failed");
    let mut objects: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "o"))
        .collect();
    objects.sort();
    assert!(objects.len() >= 50, "{} objects", objects.len());
    let mut k = debian("6.12", "6.18.0", &[]);
    let running = Path::new("/sys/kernel/btf/vmlinux");
    if running.exists() {
        k.vmlinux = running.to_path_buf();
    }
    let (mut compared, mut refused_maps, mut both_fail) = (0, 0, 0);
    for path in &objects {
        let tag = format!("{} on {}", path.display(), k.vmlinux.display());
        let name = corex_object::load::object_name_of(&path.display().to_string());
        let trace = libbpf::run(path, &k.fake("tools").set("OBJ_NAME", name.as_str()));
        let mut config = LoadConfig::new(&name);
        config.set_pin_root(&libbpf::work_dir().join("pins").display().to_string());
        let obj = Object::parse(&read(path)).unwrap_or_else(|e| panic!("{tag}: {e}"));
        match (trace.load_result(), plan(&obj, &config, &k.inputs())) {
            (Some(0), Ok(p)) => {
                compare(&tag, &p, &trace, &k, &[]);
                compared += 1;
            }
            (Some(0), Err(e)) => {
                let zero_sized = matches!(
                    e.problem(),
                    corex_object::load::Problem::Map {
                        why: corex_object::load::MapProblem::Impossible {
                            field: "max_entries",
                            value: 0,
                            ..
                        },
                        ..
                    }
                );
                assert!(zero_sized, "{tag}: libbpf loads it, the plan fails: {e}");
                refused_maps += 1;
            }
            (_, Ok(_)) => panic!("{tag}: libbpf fails, the plan does not:\n{}", trace.log),
            (_, Err(e)) => {
                // The same class of failure: libbpf's log says it too.
                use corex_object::load::Problem;
                let said = match e.problem() {
                    Problem::AttachTarget { .. } => "failed to find kernel BTF type ID",
                    Problem::Extern { .. } => "extern",
                    Problem::Core { .. } => "failed to relocate",
                    _ => "(no counterpart)",
                };
                assert!(
                    trace.log.contains(said),
                    "{tag}: libbpf fails otherwise than the plan ({e}):\n{}",
                    trace.log
                );
                both_fail += 1;
            }
        }
    }
    let summary =
        format!("{compared} compared, {refused_maps} refused, {both_fail} failing on both sides");
    println!("libbpf-tools objects: {summary}");
    assert!(compared >= 30, "{summary}");
}
