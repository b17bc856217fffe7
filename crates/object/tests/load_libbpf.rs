//! The load plan against libbpf 1.1, with no kernel: `fake_kernel.c` runs
//! `bpf_object__load()` against a fake kernel with chosen features and
//! records every bpf(2) call; the plan for the same object and kernel must
//! ask for the same: the same program BTF (compared as bpftool-style dumps),
//! the same maps with the same attributes, initial values, slots, freezes
//! and pins, the same programs with the same instructions, fd references,
//! func and line info, attach targets and `fd_array`.

mod libbpf;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use corex_btf::{Btf, Endian, Kind, Linkage};
use corex_object::load::{
    kernel_version_code, plan, probe_btf, BtfSource, FdTarget, Feature, Features, Kallsyms,
    KernelBtf, KernelInputs, LoadConfig, LoadPlan, MapCreate, MapId, ModuleId, SlotValue,
};
use corex_object::Object;
use libbpf::{unhex, Fake, Record, Trace};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/load")
        .join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn raw_dump(bytes: &[u8], base: Option<Arc<Btf>>) -> String {
    let btf = match base {
        Some(b) => Btf::parse_split(bytes, b),
        None => Btf::parse(bytes),
    }
    .unwrap();
    let mut out = Vec::new();
    corex_btf::dump::raw::dump(&btf, &Default::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Writes `path` through a private file and a rename: tests running at
/// the same time may be reading it.
fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path
        .with_extension(format!("tmp{:?}", std::thread::current().id()).replace(['(', ')'], ""));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A kernel for both sides: the fake's environment and the plan's inputs.
struct Kernel {
    name: &'static str,
    missing: Vec<Feature>,
    vmlinux: PathBuf,
    modules: Vec<(String, PathBuf)>,
    kallsyms: String,
    kconfig: String,
    release: &'static str,
    cpus: u32,
}

fn debian(version: &str, release: &'static str, modules: &[&str]) -> Kernel {
    let vmlinux = corex_testkit::kernel_file(&format!("debian-{version}"), "vmlinux.btf");
    let modules = modules
        .iter()
        .map(|m| {
            let ko = corex_testkit::kernel_file(
                &format!("debian-{version}"),
                &format!("modules/{m}.ko"),
            );
            let (btf, _) = corex_btf::elf_btf_sections(&read(&ko)).unwrap();
            let raw = libbpf::work_dir().join(format!("{version}-{m}.btf"));
            write_atomically(&raw, &btf);
            ((*m).to_owned(), raw)
        })
        .collect();
    Kernel {
        name: "debian",
        missing: Vec::new(),
        vmlinux,
        modules,
        kallsyms: "ffffffff81000000 T _text\nffffffff82001000 D fake_typeless_symbol\n".into(),
        kconfig: "# generated\nCONFIG_BPF_SYSCALL=y\nCONFIG_NF_CONNTRACK=m\nCONFIG_HZ=250\n\
                  CONFIG_PHYSICAL_START=0x1000000\nCONFIG_DEFAULT_HOSTNAME=\"(none)\"\n"
            .into(),
        release,
        cpus: 4,
    }
}

impl Kernel {
    fn without(mut self, f: &[Feature]) -> Kernel {
        self.missing.extend_from_slice(f);
        self
    }

    fn fake(&self, tag: &str) -> Fake {
        let dir = libbpf::work_dir();
        let file = |what: &str, text: &str| {
            let p = dir.join(format!("{}-{tag}-{what}", self.name));
            write_atomically(&p, text.as_bytes());
            p.display().to_string()
        };
        let missing: Vec<&str> = self.missing.iter().map(|f| f.name()).collect();
        let modules: Vec<String> = self
            .modules
            .iter()
            .map(|(n, p)| format!("{n}={}", p.display()))
            .collect();
        Fake::default()
            .set("MISSING", missing.join(","))
            .set("VMLINUX", self.vmlinux.display().to_string())
            .set("MODULES", modules.join(","))
            .set("KALLSYMS", file("kallsyms", &self.kallsyms))
            .set("KCONFIG", file("kconfig", &self.kconfig))
            .set("RELEASE", self.release)
            .set(
                "POSSIBLE",
                file("possible", &format!("0-{}\n", self.cpus - 1)),
            )
            .set("PIN_ROOT", dir.join("pins").display().to_string())
    }

    fn inputs(&self) -> KernelInputs<'static> {
        let features = probed_features(&self.missing);
        let mut k = KernelInputs::new(features, kernel_version_code(self.release).unwrap());
        k.possible_cpus = self.cpus;
        let vmlinux = Arc::new(Btf::parse(&read(&self.vmlinux)).unwrap());
        let modules: Vec<Arc<KernelBtf>> = self
            .modules
            .iter()
            .map(|(n, p)| {
                let btf = Btf::parse_split(&read(p), vmlinux.clone()).unwrap();
                Arc::new(KernelBtf::new(n.clone(), Arc::new(btf)))
            })
            .collect();
        k.vmlinux = corex_object::load::Lazy::ready(Arc::new(KernelBtf::new("vmlinux", vmlinux)));
        k.modules = corex_object::load::Lazy::ready(modules);
        k.kallsyms =
            corex_object::load::Lazy::ready(Arc::new(Kallsyms::parse(&self.kallsyms).unwrap()));
        k.kconfig = corex_object::load::Lazy::ready(self.kconfig.clone());
        k
    }
}

/// Names the fake's objects: maps by kernel name, module BTFs by name.
fn object_names(trace: &Trace) -> HashMap<String, String> {
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

/// What a library probing a kernel that lacks `missing` finds: a BTF
/// feature is there only if its probe BTF (which may use other kinds: the
/// DECL_TAG probe tags a VAR) uses nothing the kernel lacks, as the fake
/// kernel judges BTF loads.
fn probed_features(missing: &[Feature]) -> Features {
    let lacks = |f: Feature| missing.contains(&f);
    let mut features = missing.iter().fold(Features::all(), |f, m| f.without(*m));
    for f in btf_features() {
        let btf = Btf::parse(&probe_btf(f, Endian::native()).unwrap()).unwrap();
        let refused = lacks(Feature::Btf)
            || btf.types().any(|t| match t.kind() {
                Kind::Func => {
                    lacks(Feature::BtfFunc)
                        || (t.linkage() == Some(Linkage::Global) && lacks(Feature::BtfGlobalFunc))
                }
                Kind::FuncProto => lacks(Feature::BtfFunc),
                Kind::Var | Kind::Datasec => lacks(Feature::BtfDatasec),
                Kind::Float => lacks(Feature::BtfFloat),
                Kind::DeclTag => lacks(Feature::BtfDeclTag),
                Kind::TypeTag => lacks(Feature::BtfTypeTag),
                Kind::Enum64 => lacks(Feature::BtfEnum64),
                _ => false,
            });
        if refused {
            features = features.without(f);
        }
    }
    if lacks(Feature::Btf) {
        features = features.without(Feature::ModuleBtf);
    }
    features
}

/// The features sanitizing looks at, and BTF itself.
fn btf_features() -> Vec<Feature> {
    std::iter::once(Feature::Btf)
        .chain(Feature::SANITIZED)
        .collect()
}

const PROBE_MAPS: [&str; 3] = ["libbpf_mmap", "libbpf_global", "libbpf_det_bind"];

/// Whether a map creation is one of libbpf's feature probes: by name, or
/// (on kernels that take no names) by their exact attributes: one-entry
/// arrays with 4-byte keys, 4- or 32-byte values and no BTF. No test
/// object has such a map.
fn is_probe_map(r: &Record) -> bool {
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
fn kname(name: &str) -> &str {
    if name.is_empty() {
        "-"
    } else {
        name
    }
}

fn map_line(c: &MapCreate, inner: Option<&str>, btf: bool) -> String {
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

fn libbpf_map_line(r: &Record, names: &HashMap<String, String>) -> String {
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
fn same_text(ours: &str, theirs: &str, what: &str) {
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

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Line info as (insn, file, line, column) with strings resolved.
fn line_info(bytes: &[u8], btf: &Btf) -> Vec<(u32, String, String, u32)> {
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
fn compare(what: &str, plan: &LoadPlan, trace: &Trace, kernel: &Kernel, extra_refs: &[&str]) {
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
        (Some(ours), Some(theirs)) => same_text(
            &raw_dump(&ours.bytes, None),
            &raw_dump(theirs, None),
            &format!("{what}: program BTF"),
        ),
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
struct Case<'a> {
    object: PathBuf,
    kernel: &'a Kernel,
    tag: String,
    config: LoadConfig,
    fake: Fake,
    extra_refs: Vec<&'static str>,
}

impl<'a> Case<'a> {
    fn new(object: &str, kernel: &'a Kernel, tag: &str) -> Case<'a> {
        let name = object.trim_end_matches(".bpf.o");
        let mut config = LoadConfig::new(name);
        config.set_pin_root(&libbpf::work_dir().join("pins").display().to_string());
        Case {
            object: data(object),
            kernel,
            tag: format!("{object} ({tag})"),
            config,
            fake: kernel.fake(tag).set("OBJ_NAME", name),
            extra_refs: Vec::new(),
        }
    }

    fn obj(&self) -> Object {
        Object::parse(&read(&self.object)).unwrap()
    }

    /// Runs both sides and compares them.
    fn run(&self) -> LoadPlan {
        let trace = libbpf::run(&self.object, &self.fake);
        let inputs = self.kernel.inputs();
        let plan = plan(&self.obj(), &self.config, &inputs)
            .unwrap_or_else(|e| panic!("{}: {e}", self.tag));
        compare(&self.tag, &plan, &trace, self.kernel, &self.extra_refs);
        plan
    }
}

fn case(object: &str, kernel: &Kernel, tag: &str) -> LoadPlan {
    Case::new(object, kernel, tag).run()
}

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
