//! What every input of the `load_plan` fuzz target (fuzz/) and of the
//! bounded property test (load_fuzz_props.rs) goes through: `Object::parse`,
//! then, if it parses, a plan for synthetic kernels (all features; no BTF
//! kinds, global data or names; no BTF at all), with the object's own BTF
//! as vmlinux and as a module, made-up Kconfig and kallsyms; every plan's
//! instructions, info records and log rewrites are used. Nothing may
//! panic; errors are fine.

use std::sync::Arc;

use corex_btf::Btf;
use corex_object::load::{
    plan, FdTarget, Feature, Features, Kallsyms, KernelBtf, KernelInputs, Lazy, LoadConfig,
};
use corex_object::Object;

const KCONFIG: &str = "CONFIG_BPF_SYSCALL=y\nCONFIG_NF_CONNTRACK=m\nCONFIG_HZ=250\n\
                       CONFIG_PHYSICAL_START=0x1000000\nCONFIG_DEFAULT_HOSTNAME=\"(none)\"\n";

fn kernels() -> [Features; 3] {
    let old = [
        Feature::BtfFunc,
        Feature::BtfDatasec,
        Feature::BtfFloat,
        Feature::BtfDeclTag,
        Feature::BtfTypeTag,
        Feature::BtfEnum64,
        Feature::GlobalData,
        Feature::ProgName,
        Feature::ArrayMmap,
        Feature::ProbeReadKernel,
    ]
    .iter()
    .fold(Features::all(), |f, x| f.without(*x));
    [Features::all(), old, Features::none()]
}

/// Parses `data` as a BPF object and plans it for a few synthetic kernels.
pub fn exercise(data: &[u8]) {
    let Ok(obj) = Object::parse(data) else {
        return;
    };
    let own = obj.btf.as_ref().map(|b| {
        let bytes = corex_btf::write::write(b, obj.endian).expect("parsed BTF writes back");
        Arc::new(Btf::parse(&bytes).expect("written BTF parses"))
    });
    for features in kernels() {
        let mut k = KernelInputs::new(features, 0x060c00);
        k.endian = obj.endian;
        k.possible_cpus = 4;
        k.kconfig = Lazy::ready(KCONFIG.to_owned());
        k.kallsyms = Lazy::ready(Arc::new(Kallsyms::from_symbols([(
            "fake_typeless_symbol",
            0xffff_ffff_8200_1000,
        )])));
        if let Some(btf) = &own {
            k.vmlinux = Lazy::ready(Arc::new(KernelBtf::new("vmlinux", btf.clone())));
            k.modules = Lazy::ready(vec![Arc::new(KernelBtf::new("self", btf.clone()))]);
        }
        let Ok(p) = plan(&obj, &LoadConfig::new("fuzz"), &k) else {
            continue;
        };
        for prog in &p.programs {
            let insns = prog.instructions(|t| match t {
                FdTarget::Map(m) => m.0 as i32 + 100,
                FdTarget::ModuleBtf(m) => m.0 as i32 + 200,
            });
            assert_eq!(insns.len(), prog.insns.len());
            let _ = prog.func_info_bytes(obj.endian);
            let _ = prog.line_info_bytes(obj.endian);
            for (insn, _) in prog.poisoned.iter().take(2) {
                let log = format!(
                    "{insn}: (85) call unknown#195896080\ninvalid func unknown#195896080\n"
                );
                let _ = p.rewrite_verifier_log(prog, &log);
            }
            for (insn, map) in prog.poisoned_maps.iter().take(2) {
                let imm = 2_001_000_000 + map.0 as i64;
                let log = format!("{insn}: (85) call unknown#{imm}\ninvalid func unknown#{imm}\n");
                let _ = p.rewrite_verifier_log(prog, &log);
            }
        }
        if let Some(btf) = &p.btf {
            assert!(
                Btf::parse(&btf.bytes).is_ok(),
                "the planned program BTF does not parse"
            );
        }
    }
}
