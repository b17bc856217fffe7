//! The kernels of the oracle tests, for both sides: the fake kernel's
//! environment (fake_kernel.c) and the plan's [`KernelInputs`] for the same
//! features, BTF, modules, kallsyms and Kconfig.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use corex_btf::{Btf, Endian, Kind, Linkage};
use corex_object::load::{
    kernel_version_code, probe_btf, Feature, Features, Kallsyms, KernelBtf, KernelInputs, Lazy,
};

use super::Fake;

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/load")
        .join(name)
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn raw_dump(bytes: &[u8], base: Option<Arc<Btf>>) -> String {
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
pub fn write_atomically(path: &Path, bytes: &[u8]) {
    let tmp = path
        .with_extension(format!("tmp{:?}", std::thread::current().id()).replace(['(', ')'], ""));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// A kernel for both sides: the fake's environment and the plan's inputs.
pub struct Kernel {
    pub name: &'static str,
    pub missing: Vec<Feature>,
    pub vmlinux: PathBuf,
    pub modules: Vec<(String, PathBuf)>,
    pub kallsyms: String,
    pub kconfig: String,
    pub release: &'static str,
    pub cpus: u32,
}

pub fn debian(version: &str, release: &'static str, modules: &[&str]) -> Kernel {
    let vmlinux = corex_testkit::kernel_file(&format!("debian-{version}"), "vmlinux.btf");
    let modules = modules
        .iter()
        .map(|m| {
            let ko = corex_testkit::kernel_file(
                &format!("debian-{version}"),
                &format!("modules/{m}.ko"),
            );
            let (btf, _) = corex_btf::elf_btf_sections(&read(&ko)).unwrap();
            let raw = super::work_dir().join(format!("{version}-{m}.btf"));
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
    pub fn without(mut self, f: &[Feature]) -> Kernel {
        self.missing.extend_from_slice(f);
        self
    }

    pub fn fake(&self, tag: &str) -> Fake {
        let dir = super::work_dir();
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

    pub fn inputs(&self) -> KernelInputs<'static> {
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
        k.vmlinux = Lazy::ready(Arc::new(KernelBtf::new("vmlinux", vmlinux)));
        k.modules = Lazy::ready(modules);
        k.kallsyms = Lazy::ready(Arc::new(Kallsyms::parse(&self.kallsyms).unwrap()));
        k.kconfig = Lazy::ready(self.kconfig.clone());
        k
    }
}

/// What a library probing a kernel that lacks `missing` finds: a BTF
/// feature is there only if its probe BTF (which may use other kinds: the
/// DECL_TAG probe tags a VAR) uses nothing the kernel lacks, as the fake
/// kernel judges BTF loads.
pub fn probed_features(missing: &[Feature]) -> Features {
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
pub fn btf_features() -> Vec<Feature> {
    std::iter::once(Feature::Btf)
        .chain(Feature::SANITIZED)
        .collect()
}
