//! Comparing a load plan with libbpf's trace of the same load, and the
//! cases the oracle tests run (one object, one kernel, one configuration).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use corex_btf::{Btf, Endian};
use corex_object::load::{
    plan, probe_btf, BtfSource, FdTarget, Feature, LoadConfig, LoadPlan, MapCreate, MapId,
    SlotValue,
};
use corex_object::Object;

use super::kernel::{data, raw_dump, read, Kernel};
use super::{unhex, Fake, Record, Trace};

/// Names the fake's objects: maps by kernel name, module BTFs by name.
pub fn object_names(trace: &Trace) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let maps = trace.all("map_create").filter(|r| !is_probe_map(r));
    for (i, r) in maps.enumerate() {
        names.insert(
            r.get("obj").to_owned(),
            format!("map#{i}:{}", r.get("name")),
        );
    }
    for r in trace.all("module") {
        names.insert(r.get("obj").to_owned(), format!("module:{}", r.get("name")));
    }
    names
}

pub const PROBE_MAPS: [&str; 3] = ["libbpf_mmap", "libbpf_global", "libbpf_det_bind"];

/// Whether a map creation is one of libbpf's feature probes: by name, or
/// (on kernels that take no names) by their exact attributes: one-entry
/// arrays with 4-byte keys, 4- or 32-byte values and no BTF. No test
/// object has such a map.
pub fn is_probe_map(r: &Record) -> bool {
    match r.get("name") {
        "-" => {
            r.num("type") == 2
                && r.num("key") == 4
                && matches!(r.num("value"), 4 | 32)
                && r.num("max") == 1
                && r.get("btf") == "0"
        }
        name => PROBE_MAPS.contains(&name),
    }
}

/// A kernel name as the fake prints it (`-` for none).
pub fn kname(name: &str) -> &str {
    if name.is_empty() {
        "-"
    } else {
        name
    }
}

pub fn map_line(c: &MapCreate, inner: Option<&str>, btf: bool) -> String {
    let name = kname(&c.name);
    let (k, v) = if btf {
        (c.btf_key_type_id.0, c.btf_value_type_id.0)
    } else {
        (0, 0)
    };
    format!(
        "type={} name={name} key={} value={} max={} flags={} inner={} numa={} key_id={k} value_id={v} extra={}",
        c.map_type.0,
        c.key_size,
        c.value_size,
        c.max_entries,
        c.map_flags,
        inner.unwrap_or("-"),
        c.numa_node,
        c.map_extra
    )
}

pub fn libbpf_map_line(r: &Record, names: &HashMap<String, String>) -> String {
    let inner = names.get(r.get("inner"));
    format!(
        "type={} name={} key={} value={} max={} flags={} inner={} numa={} key_id={} value_id={} extra={}",
        r.get("type"),
        r.get("name"),
        r.get("key"),
        r.get("value"),
        r.get("max"),
        r.get("flags"),
        inner.map_or("-", String::as_str),
        r.get("numa"),
        r.get("key_id"),
        r.get("value_id"),
        r.get("extra")
    )
}

/// Asserts two texts are equal, showing the first lines that differ.
pub fn same_text(ours: &str, theirs: &str, what: &str) {
    if ours == theirs {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    let first = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |l: &[&str]| {
        l.iter()
            .skip(first.saturating_sub(2))
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    };
    panic!(
        "{what}: differs at line {}:\n--- plan:\n{}\n--- libbpf:\n{}",
        first + 1,
        show(&a),
        show(&b)
    );
}

pub fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Line info as (insn, file, line, column) with strings resolved.
/// The string section of raw BTF (native byte order, as both planned).
fn string_section(raw: &[u8]) -> &[u8] {
    let word = |at: usize| u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
    let start = word(4) + word(16);
    &raw[start..start + word(20)]
}

pub fn line_info(bytes: &[u8], btf: &Btf) -> Vec<(u32, String, String, u32)> {
    bytes
        .chunks_exact(16)
        .map(|c| {
            let w = |i: usize| u32::from_ne_bytes(c[i..i + 4].try_into().unwrap());
            let s = |off| btf.str_at(off).unwrap_or("<bad offset>").to_owned();
            (w(0), s(w(4)), s(w(8)), w(12))
        })
        .collect()
}

/// Compares `plan` for `kernel` with libbpf's `trace`. `extra_refs` are
/// fd references (`program insn:target`) the plan has and libbpf 1.1 lacks.
pub fn compare(what: &str, plan: &LoadPlan, trace: &Trace, kernel: &Kernel, extra_refs: &[&str]) {
    assert_eq!(
        trace.load_result(),
        Some(0),
        "{what}: libbpf failed:\n{}",
        trace.log
    );
    let names = object_names(trace);
    let probes: BTreeSet<Vec<u8>> = Feature::ALL
        .iter()
        .filter_map(|f| probe_btf(*f, Endian::native()))
        .collect();
    let btf_loads: Vec<&Record> = trace
        .all("btf_load")
        .filter(|r| !probes.contains(&unhex(r.get("data"))))
        .collect();
    let libbpf_btf = btf_loads.last().map(|r| unhex(r.get("data")));
    match (&plan.btf, &libbpf_btf) {
        (Some(ours), Some(theirs)) => {
            same_text(
                &raw_dump(&ours.bytes, None),
                &raw_dump(theirs, None),
                &format!("{what}: program BTF"),
            );
            assert_eq!(
                String::from_utf8_lossy(string_section(&ours.bytes)),
                String::from_utf8_lossy(string_section(theirs)),
                "{what}: program BTF's string section"
            );
        }
        (None, None) => {}
        (ours, theirs) => panic!(
            "{what}: program BTF: plan {} libbpf {}",
            ours.is_some(),
            theirs.is_some()
        ),
    }
    let btf_loaded =
        plan.btf.is_some() && btf_loads.last().is_some_and(|r| r.get("result") == "ok");

    // Maps: creations in order, with inner maps before their outer map;
    // maps are named by position in that order (names may be empty).
    let mut ours = Vec::new();
    let mut position: HashMap<MapId, usize> = HashMap::new();
    for id in &plan.creation_order {
        let m = &plan.maps[id.0];
        if !m.autocreate {
            continue;
        }
        let inner_name = m.inner.as_ref().map(|inner| {
            ours.push(map_line(inner, None, btf_loaded));
            format!("map#{}:{}", ours.len() - 1, kname(&inner.name))
        });
        position.insert(*id, ours.len());
        ours.push(map_line(&m.create, inner_name.as_deref(), btf_loaded));
    }
    let theirs: Vec<String> = trace
        .all("map_create")
        .filter(|r| !is_probe_map(r))
        .map(|r| libbpf_map_line(r, &names))
        .collect();
    assert_eq!(ours, theirs, "{what}: map creations");

    let name_of = |id: MapId| {
        let name = kname(&plan.maps[id.0].create.name);
        match position.get(&id) {
            Some(i) => format!("map#{i}:{name}"),
            None => format!("map#-:{name}"),
        }
    };
    let mut our_updates = BTreeSet::new();
    for (i, m) in plan.maps.iter().enumerate() {
        if let (true, Some(v)) = (m.autocreate, &m.initial_value) {
            our_updates.insert(format!("{} 00000000 {}", name_of(MapId(i)), hex(v)));
        }
    }
    for s in plan.map_slots.iter().chain(&plan.prog_slots) {
        let target = match s.value {
            SlotValue::Map(t) => name_of(t),
            SlotValue::Program(p) => {
                let prog = plan.programs.iter().position(|x| x.program == p).unwrap();
                format!("prog#{prog}")
            }
        };
        our_updates.insert(format!(
            "{} {} obj:{target}",
            name_of(s.map),
            hex(&s.slot.to_ne_bytes())
        ));
    }
    let prog_names: HashMap<String, String> = trace
        .all("prog_load")
        .filter(|r| r.get("kver") != "0")
        .enumerate()
        .map(|(i, r)| (r.get("obj").to_owned(), format!("prog#{i}")))
        .collect();
    let their_updates: BTreeSet<String> = trace
        .all("map_update")
        .filter(|r| names.contains_key(r.get("map")))
        .map(|r| {
            let value = match r.get("value").strip_prefix("obj:") {
                Some(o) => format!(
                    "obj:{}",
                    names
                        .get(o)
                        .or(prog_names.get(o))
                        .cloned()
                        .unwrap_or_default()
                ),
                None => r.get("value").to_owned(),
            };
            format!("{} {} {value}", names[r.get("map")], r.get("key"))
        })
        .collect();
    assert_eq!(our_updates, their_updates, "{what}: map updates");
    let our_frozen: BTreeSet<String> = (0..plan.maps.len())
        .filter(|&i| plan.maps[i].autocreate && plan.maps[i].freeze)
        .map(|i| name_of(MapId(i)))
        .collect();
    let their_frozen: BTreeSet<String> = trace
        .all("map_freeze")
        .map(|r| names[r.get("map")].clone())
        .collect();
    assert_eq!(our_frozen, their_frozen, "{what}: frozen maps");
    let our_pins: BTreeSet<String> = plan
        .maps
        .iter()
        .filter_map(|m| m.pin_path.clone())
        .collect();
    let their_pins: BTreeSet<String> = trace
        .all("obj_pin")
        .map(|r| r.get("path").to_owned())
        .collect();
    assert_eq!(our_pins, their_pins, "{what}: pins");

    // Maps bound to every loaded program (.rodata, as libbpf binds it).
    let mut our_binds = BTreeSet::new();
    for i in 0..plan.programs.len() {
        for m in &plan.bind_to_programs {
            our_binds.insert(format!("prog#{i} {}", name_of(*m)));
        }
    }
    let their_binds: BTreeSet<String> = trace
        .all("prog_bind_map")
        .filter_map(|r| {
            Some(format!(
                "{} {}",
                prog_names.get(r.get("prog"))?,
                names.get(r.get("map"))?
            ))
        })
        .collect();
    assert_eq!(our_binds, their_binds, "{what}: maps bound to programs");

    // Programs.
    let their_progs: Vec<&Record> = trace
        .all("prog_load")
        .filter(|r| r.get("kver") != "0")
        .collect();
    assert_eq!(plan.programs.len(), their_progs.len(), "{what}: programs");
    let our_btf = plan.btf.as_ref().map(|b| Btf::parse(&b.bytes).unwrap());
    let their_btf = libbpf_btf.as_ref().map(|b| Btf::parse(b).unwrap());
    for (p, r) in plan.programs.iter().zip(&their_progs) {
        let pw = format!("{what}: program {}", p.name);
        let kname = if p.kernel_name.is_empty() {
            "-"
        } else {
            &p.kernel_name
        };
        assert_eq!(kname, r.get("name"), "{pw}: name");
        assert_eq!(u64::from(p.prog_type.0), r.num("type"), "{pw}: type");
        assert_eq!(p.license, r.get("license"), "{pw}: license");
        assert_eq!(
            u64::from(p.expected_attach_type.map_or(0, |a| a.0)),
            r.num("exp"),
            "{pw}: expected attach type"
        );
        assert_eq!(u64::from(p.flags), r.num("flags"), "{pw}: flags");
        assert_eq!(
            u64::from(p.kern_version),
            r.num("kver"),
            "{pw}: kern_version"
        );
        let (attach_id, attach_obj) = match p.attach_btf {
            Some(t) => (
                u64::from(t.id.0),
                match t.source {
                    BtfSource::Vmlinux => "-".to_owned(),
                    BtfSource::Module(m) => format!("module:{}", kernel.modules[m.0].0),
                },
            ),
            None => (0, "-".to_owned()),
        };
        assert_eq!(attach_id, r.num("attach_btf_id"), "{pw}: attach_btf_id");
        let their_attach_obj = names
            .get(r.get("attach_btf_obj"))
            .cloned()
            .unwrap_or("-".into());
        assert_eq!(attach_obj, their_attach_obj, "{pw}: attach_btf_obj_fd");
        let insns: Vec<u8> = p
            .insns
            .iter()
            .flat_map(|i| i.encode(Endian::native()))
            .collect();
        assert_eq!(hex(&insns), r.get("insns"), "{pw}: instructions");
        let our_refs: Vec<String> = p
            .fd_refs
            .iter()
            .map(|f| match f.target {
                FdTarget::Map(m) => format!("{}:{}", f.insn, name_of(m)),
                FdTarget::ModuleBtf(m) => format!("{}:module:{}", f.insn, kernel.modules[m.0].0),
            })
            .filter(|r| !extra_refs.contains(&format!("{} {r}", p.name).as_str()))
            .collect();
        let their_refs: Vec<String> = match r.get("fdrefs") {
            "-" => Vec::new(),
            refs => refs
                .split(',')
                .map(|x| {
                    let (i, o) = x.split_once(':').unwrap();
                    format!("{i}:{}", names.get(o).cloned().unwrap_or_default())
                })
                .collect(),
        };
        assert_eq!(our_refs, their_refs, "{pw}: fd references");
        let func = if p.func_info.is_empty() || !btf_loaded {
            "0:-".to_owned()
        } else {
            format!("8:{}", hex(&p.func_info_bytes(Endian::native())))
        };
        assert_eq!(func, r.get("func_info"), "{pw}: func_info");
        let their_lines = unhex(r.get("line_info").split_once(':').unwrap().1);
        match (&our_btf, &their_btf) {
            (Some(o), Some(t)) if btf_loaded => assert_eq!(
                line_info(&p.line_info_bytes(Endian::native()), o),
                line_info(&their_lines, t),
                "{pw}: line_info"
            ),
            _ => assert!(their_lines.is_empty(), "{pw}: libbpf gives line info"),
        }
    }
}

/// One object, one kernel, one configuration on both sides.
pub struct Case<'a> {
    pub object: PathBuf,
    pub kernel: &'a Kernel,
    pub tag: String,
    pub config: LoadConfig,
    pub fake: Fake,
    pub extra_refs: Vec<&'static str>,
}

impl<'a> Case<'a> {
    pub fn new(object: &str, kernel: &'a Kernel, tag: &str) -> Case<'a> {
        let name = object.trim_end_matches(".bpf.o");
        let mut config = LoadConfig::new(name);
        config.set_pin_root(&super::work_dir().join("pins").display().to_string());
        Case {
            object: data(object),
            kernel,
            tag: format!("{object} ({tag})"),
            config,
            fake: kernel.fake(tag).set("OBJ_NAME", name),
            extra_refs: Vec::new(),
        }
    }

    pub fn obj(&self) -> Object {
        Object::parse(&read(&self.object)).unwrap()
    }

    /// Runs both sides and compares them.
    pub fn run(&self) -> LoadPlan {
        let trace = super::run(&self.object, &self.fake);
        let inputs = self.kernel.inputs();
        let plan = plan(&self.obj(), &self.config, &inputs)
            .unwrap_or_else(|e| panic!("{}: {e}", self.tag));
        compare(&self.tag, &plan, &trace, self.kernel, &self.extra_refs);
        plan
    }
}

pub fn case(object: &str, kernel: &Kernel, tag: &str) -> LoadPlan {
    Case::new(object, kernel, tag).run()
}
