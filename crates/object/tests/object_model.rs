//! The object model on clang-compiled objects (tests/data, rebuilt by build.sh).

use corex_object::{AttachKind, DataKind, ExternKind, MapOrigin, Object, RelocTarget};

fn load(name: &str) -> Object {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Object::parse(&data).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn finds_programs_several_per_section_and_subprograms() {
    let obj = load("core_basic.bpf.o");
    let names: Vec<_> = obj
        .programs
        .iter()
        .map(|p| (p.name.as_str(), p.section.as_str(), p.insns().len()))
        .collect();
    assert_eq!(
        names[..5],
        [
            ("read_pid", ".text", 16),
            ("read_comm0", ".text", 15),
            ("twice", ".text", 3),
            ("exec_one", "tracepoint/sched/sched_process_exec", 57),
            (
                "exec_two",
                "tracepoint/sched/sched_process_exec",
                names[4].2
            ),
        ]
    );
    let exec_two = obj.program("exec_two").unwrap();
    assert_eq!(exec_two.section_insn, 57);
    let a = exec_two.attach.as_ref().unwrap();
    assert_eq!(
        (a.kind, a.target.as_deref()),
        (AttachKind::Tracepoint, Some("sched/sched_process_exec"))
    );
    assert!(obj.program("read_pid").unwrap().subprog);
    assert!(!obj.program("read_comm0").unwrap().global);
    assert!(!obj.program("not_loaded").unwrap().autoload);
    assert_eq!(
        obj.program("xdp_pass")
            .unwrap()
            .attach
            .as_ref()
            .unwrap()
            .kind,
        AttachKind::Xdp
    );
    assert_eq!(obj.license.as_deref(), Some("GPL"));
}

#[test]
fn reads_btf_maps_global_data_and_externs() {
    let obj = load("core_basic.bpf.o");
    let maps: Vec<_> = obj
        .maps
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.def.type_name(),
                m.def.key_size,
                m.def.value_size,
                m.def.max_entries,
                m.def.map_flags,
            )
        })
        .collect();
    assert_eq!(
        maps,
        [
            ("counts", "hash".to_string(), 4, 8, 1024, 0),
            ("events", "ringbuf".to_string(), 0, 0, 4096, 0),
            ("pairs", "array".to_string(), 4, 8, 1, 1024),
        ]
    );
    assert!(obj.maps.iter().all(|m| m.origin == MapOrigin::Btf));
    let data: Vec<_> = obj
        .data
        .iter()
        .map(|d| (d.name.as_str(), d.kind, d.size))
        .collect();
    assert!(data.contains(&(".rodata", DataKind::Rodata, 4)), "{data:?}");
    assert!(data.contains(&(".data", DataKind::Data, 4)), "{data:?}");
    assert!(data.contains(&(".bss", DataKind::Bss, 8)), "{data:?}");
    assert!(
        data.contains(&(".kconfig", DataKind::Kconfig, 4)),
        "{data:?}"
    );
    let rodata = obj.data.iter().find(|d| d.name == ".rodata").unwrap();
    assert_eq!(rodata.variables[0].name, "target_pid");
    assert_eq!(obj.externs.len(), 1);
    assert_eq!(
        (obj.externs[0].name.as_str(), obj.externs[0].kind),
        ("LINUX_KERNEL_VERSION", ExternKind::Kconfig)
    );
}

#[test]
fn classifies_instruction_relocations() {
    let obj = load("core_basic.bpf.o");
    let p = obj.program("exec_one").unwrap();
    let targets: Vec<_> = p
        .relocations
        .iter()
        .map(|r| (r.insn, r.symbol.as_str(), r.target.clone()))
        .collect();
    let map = |name: &str| obj.maps.iter().position(|m| m.name == name).unwrap();
    let data = |name: &str| obj.data.iter().position(|d| d.name == name).unwrap();
    assert!(
        targets.contains(&(7, "read_pid", RelocTarget::Call { section_insn: 0 })),
        "{targets:?}"
    );
    assert!(
        targets.contains(&(10, ".text", RelocTarget::Call { section_insn: 16 })),
        "{targets:?}"
    );
    assert!(
        targets.contains(&(
            14,
            "target_pid",
            RelocTarget::Data {
                data: data(".rodata"),
                offset: 0
            }
        )),
        "{targets:?}"
    );
    assert!(
        targets.contains(&(22, "counts", RelocTarget::Map { map: map("counts") })),
        "{targets:?}"
    );
    assert!(
        targets.contains(&(26, "LINUX_KERNEL_VERSION", RelocTarget::Extern { ext: 0 })),
        "{targets:?}"
    );
}

#[test]
fn attributes_core_records_to_programs() {
    let obj = load("core_basic.bpf.o");
    assert!(!obj.core_relos.is_empty());
    for r in &obj.core_relos {
        let p = &obj.programs[r.program.expect("every record is inside a program")];
        assert_eq!(p.section, r.section);
        assert!(r.insn < p.insns().len());
    }
    let exec_two = obj
        .programs
        .iter()
        .position(|p| p.name == "exec_two")
        .unwrap();
    let first = obj.core_records_of(exec_two).next().unwrap();
    assert_eq!(first.section, "tracepoint/sched/sched_process_exec");
    // Record indices count within the ELF section, across both programs.
    assert!(first.index > 0);
}

#[test]
fn finds_bpf_to_bpf_calls_with_and_without_relocations() {
    let obj = load("core_basic.bpf.o");
    let names = |prog: &str| -> Vec<(usize, String)> {
        let i = obj.programs.iter().position(|p| p.name == prog).unwrap();
        obj.calls(i)
            .iter()
            .map(|c| (c.insn, obj.programs[c.callee.unwrap()].name.clone()))
            .collect()
    };
    // Relocated calls from another section into .text.
    assert_eq!(
        names("exec_one"),
        [(7, "read_pid".to_string()), (10, "read_comm0".to_string())]
    );
    // A static call inside .text has no relocation: the immediate is relative.
    assert_eq!(names("read_comm0"), [(10, "twice".to_string())]);
    assert!(names("xdp_pass").is_empty());
}

#[test]
fn reads_legacy_maps_and_the_version_section() {
    let obj = load("legacy_maps.bpf.o");
    let maps: Vec<_> = obj
        .maps
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.origin,
                m.def.type_name(),
                m.def.key_size,
                m.def.value_size,
                m.def.max_entries,
                m.def.map_flags,
            )
        })
        .collect();
    assert_eq!(
        maps,
        [
            (
                "legacy_hash",
                MapOrigin::Legacy,
                "hash".to_string(),
                4,
                8,
                128,
                1
            ),
            (
                "legacy_array",
                MapOrigin::Legacy,
                "array".to_string(),
                4,
                16,
                2,
                0
            ),
        ]
    );
    assert_eq!(obj.kern_version, Some(0x060100));
    assert_eq!(obj.license.as_deref(), Some("Dual BSD/GPL"));
    let p = obj.program("count").unwrap();
    let targets: Vec<_> = p.relocations.iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [RelocTarget::Map { map: 0 }, RelocTarget::Map { map: 1 }]
    );
    assert_eq!(p.attach.as_ref().unwrap().kind, AttachKind::Socket);
}

#[test]
fn big_endian_objects_read_the_same() {
    let le = load("core_basic.bpf.o");
    let be = load("core_basic.bpfeb.o");
    assert_eq!(be.endian, corex_btf::Endian::Big);
    // Bitfield code differs between the byte orders; the rest is the same.
    let shape = |o: &Object| -> Vec<(String, usize)> {
        o.programs
            .iter()
            .map(|p| (p.name.clone(), p.relocations.len()))
            .collect()
    };
    assert_eq!(shape(&le), shape(&be));
    // Same instructions once decoded, registers included.
    let exec = |o: &Object| o.program("exec_one").unwrap().insns().to_vec();
    assert_eq!(exec(&le), exec(&be));
    let maps = |o: &Object| o.maps.iter().map(|m| m.def.clone()).collect::<Vec<_>>();
    assert_eq!(maps(&le), maps(&be));
}
