//! The load plan on hostile objects at scale (`fuzz/src/hostile.rs`): a
//! chain of 50,000 `.text` calls is linked without recursion, and every
//! lookup per call, relocation, extern and Kconfig line is indexed, so the
//! plan takes O(n log n) steps of [`crate::work`] (steps, not time).

use super::{plan, Features, KernelInputs, Lazy, LoadConfig, LoadPlan};
use crate::scale_tests::{assert_n_log_n_steps, hostile};
use crate::work::take_steps;
use crate::Object;

/// Plans `make(n)` and `make(4n)` with Kconfig `kconfig(n)`, checks each
/// plan with `check`, and the steps planning took with
/// [`assert_n_log_n_steps`].
fn assert_plan_n_log_n(
    what: &str,
    n: usize,
    make: fn(usize) -> Vec<u8>,
    kconfig: fn(usize) -> String,
    check: fn(&LoadPlan, usize),
) {
    assert_n_log_n_steps(what, n, |size| {
        let obj = Object::parse(&make(size)).unwrap_or_else(|e| panic!("{what} ({size}): {e}"));
        let mut kernel = KernelInputs::new(Features::all(), 0x0006_0c00);
        kernel.endian = obj.endian;
        kernel.kconfig = Lazy::ready(kconfig(size));
        take_steps();
        let planned = plan(&obj, &LoadConfig::new("hostile"), &kernel)
            .unwrap_or_else(|e| panic!("{what} ({size}): {e}"));
        let taken = take_steps();
        check(&planned, size);
        taken
    });
}

#[test]
fn a_long_chain_of_text_calls_is_linked_without_recursion() {
    // Each link of the chain used to be a frame of a recursive linker: the
    // 200,000-deep chain overflowed the stack.
    assert_plan_n_log_n(
        "a chain of .text calls",
        50_000,
        hostile::text_call_chain,
        |_| String::new(),
        |plan, n| {
            let prog = &plan.programs[0];
            assert_eq!(prog.insns.len(), 2 + 2 * n);
            assert_eq!(prog.functions.len(), 1 + n);
            // Function i was appended i-th, right after the one calling it.
            for (i, f) in prog.functions.iter().enumerate().skip(1) {
                assert_eq!(f.start, 2 * i, "function {}", f.name);
                assert_eq!(f.name, format!("f{}", i - 1));
            }
        },
    );
}

#[test]
fn many_kconfig_externs_each_relocated_and_set() {
    assert_plan_n_log_n(
        "kconfig externs loaded by as many relocations",
        // 4n VARs in one DATASEC: at most 65,535.
        10_000,
        hostile::kconfig_externs,
        hostile::kconfig_text,
        |plan, n| {
            let prog = &plan.programs[0];
            assert_eq!(prog.insns.len(), 2 * n + 1);
            assert_eq!(plan.externs.len(), n);
        },
    );
}

/// An object with one `.kconfig` extern, `char CONFIG_HUGE[nelems]`.
fn huge_kconfig_array(nelems: u32) -> Vec<u8> {
    use crate::scale_tests::objgen::{
        int_def, var_def, ElfWriter, Symbol, SHT_PROGBITS, STT_NOTYPE,
    };
    use corex_btf::write::{Body, BtfBuilder, TypeDef};
    use corex_btf::{Endian::Little as LE, Linkage};
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let char_ty = b.add(&TypeDef::int("char", 1, 0));
    let array = b.add(&TypeDef {
        name: String::new(),
        kflag: false,
        body: Body::Array {
            elem: char_ty,
            index: int,
            nelems,
        },
    });
    let var = b.add(&var_def("CONFIG_HUGE", array, Linkage::Extern));
    b.add(&hostile::extern_datasec(".kconfig", &[var]));
    let mut elf = ElfWriter::new(LE);
    elf.section(b".BTF", SHT_PROGBITS, 0, b.to_bytes(LE).unwrap());
    elf.symbol(Symbol::global(b"CONFIG_HUGE", STT_NOTYPE, 0, 0, 0));
    elf.finish()
}

#[test]
fn a_kconfig_map_past_the_kernels_largest_value_is_refused_before_it_is_allocated() {
    let fits = Object::parse(&huge_kconfig_array(4 << 20)).unwrap();
    let kernel = KernelInputs::new(Features::all(), 0x0006_0c00);
    let e = plan(&fits, &LoadConfig::new("huge"), &kernel).unwrap_err();
    // 4 MiB is allowed: what stops this plan is the missing Kconfig.
    assert!(!e.to_string().contains("largest map value"), "{e}");
    // ~4 GiB would have been allocated (and copied) before.
    let huge = Object::parse(&huge_kconfig_array(u32::MAX - 7)).unwrap();
    let e = plan(&huge, &LoadConfig::new("huge"), &kernel).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "huge: extern 'CONFIG_HUGE': the .kconfig map would be {} bytes with it, \
             more than the largest map value the kernel takes (4194304 bytes)",
            u32::MAX - 7
        )
    );
}

/// `n` one-instruction programs in section `xdp`, each with a FUNC, and
/// `.BTF.ext` func info for them with each pair swapped (instructions 1,
/// 0, 3, 2, ...: unsorted, which the kernel refuses, but libbpf reads).
fn unsorted_func_info(n: usize) -> Vec<u8> {
    use crate::scale_tests::objgen::{
        insn, int_def, ElfWriter, Symbol, OP_EXIT, SHT_PROGBITS, STB_GLOBAL, STT_FUNC,
    };
    use corex_btf::write::{BtfBuilder, TypeDef};
    use corex_btf::{Endian::Little as LE, Linkage};
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let proto = b.add(&TypeDef::func_proto(int, Vec::new()));
    let funcs: Vec<u32> = (0..n)
        .map(|i| {
            b.add(&TypeDef::func(format!("p{i}"), proto, Linkage::Global))
                .0
        })
        .collect();
    let sec_name = b.add_string("xdp").unwrap();
    let w = |v: u32| v.to_le_bytes();
    let mut info = Vec::new();
    info.extend(w(8)); // record size
    info.extend(w(sec_name));
    info.extend(w(n as u32));
    for i in (0..n).map(|i| i ^ 1).filter(|&i| i < n) {
        info.extend(w(8 * i as u32));
        info.extend(w(funcs[i]));
    }
    let mut ext = 0xeb9fu16.to_le_bytes().to_vec();
    ext.extend([1, 0]);
    // hdr_len, func_info off/len, line_info off/len, core_relo off/len.
    for v in [
        32,
        0,
        info.len() as u32,
        info.len() as u32,
        0,
        info.len() as u32,
        0,
    ] {
        ext.extend(w(v));
    }
    ext.extend(info);
    let mut elf = ElfWriter::new(LE);
    let code = (0..n).flat_map(|_| insn(LE, OP_EXIT, 0, 0, 0, 0)).collect();
    let sec = elf.code(b"xdp", code);
    elf.section(b"license", SHT_PROGBITS, 0, b"GPL\0".to_vec());
    elf.section(b".BTF", SHT_PROGBITS, 0, b.to_bytes(LE).unwrap());
    elf.section(b".BTF.ext", SHT_PROGBITS, 0, ext);
    for i in 0..n {
        elf.symbol(Symbol {
            name: format!("p{i}").into_bytes(),
            value: 8 * i as u64,
            size: 8,
            shndx: sec,
            bind: STB_GLOBAL,
            kind: STT_FUNC,
        });
    }
    elf.finish()
}

#[test]
fn unsorted_func_info_is_attributed_to_programs_in_n_log_n() {
    // Each program's records were found by scanning the whole block.
    assert_plan_n_log_n(
        "unsorted func info",
        5_000,
        unsorted_func_info,
        |_| String::new(),
        |plan, n| {
            assert_eq!(plan.programs.len(), n);
            for (i, prog) in plan.programs.iter().enumerate() {
                let info = &prog.func_info;
                // libbpf's scan stops at the first record at or past the
                // program's end: p0's stops at p1's record, which comes
                // first; p1's takes its own record.
                let expected = i % 2;
                assert_eq!(info.len(), expected, "program p{i}: {info:?}");
            }
        },
    );
}

/// `n` global `int` variables `g<i>` in `.data`, each with its symbol.
fn many_globals(n: usize) -> Vec<u8> {
    use crate::scale_tests::objgen::{
        int_def, var_def, ElfWriter, Symbol, SHF_ALLOC, SHF_WRITE, SHT_PROGBITS, STT_OBJECT,
    };
    use corex_btf::write::{Body, BtfBuilder, TypeDef};
    use corex_btf::{Endian::Little as LE, Linkage, VarSecInfo};
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let vars = (0..n)
        .map(|i| VarSecInfo {
            ty: b.add(&var_def(&format!("g{i}"), int, Linkage::Global)),
            offset: 4 * i as u32,
            size: 4,
        })
        .collect();
    b.add(&TypeDef {
        name: ".data".into(),
        kflag: false,
        body: Body::Datasec {
            size: 4 * n as u32,
            vars,
        },
    });
    let mut elf = ElfWriter::new(LE);
    let data = elf.section(
        b".data",
        SHT_PROGBITS,
        SHF_ALLOC | SHF_WRITE,
        vec![0; 4 * n],
    );
    elf.section(b".BTF", SHT_PROGBITS, 0, b.to_bytes(LE).unwrap());
    for i in 0..n {
        let name = format!("g{i}");
        elf.symbol(Symbol::global(
            name.as_bytes(),
            STT_OBJECT,
            data,
            4 * i as u64,
            4,
        ));
    }
    elf.finish()
}

#[test]
fn many_globals_set_by_name_in_n_log_n() {
    // Each lookup scanned every variable and every BTF type.
    crate::scale_tests::assert_n_log_n_steps("setting every global variable", 4_000, |n| {
        let obj = Object::parse(&many_globals(n)).unwrap();
        let mut config = LoadConfig::new("globals");
        take_steps();
        for i in 0..n {
            let value = super::GlobalValue::Int(i as i128);
            config
                .set_global(&obj, &format!("g{i}"), value)
                .unwrap_or_else(|e| panic!("g{i}: {e}"));
        }
        let taken = take_steps();
        let e = config.set_global(&obj, "nope", super::GlobalValue::Int(0));
        assert_eq!(
            e.unwrap_err().to_string(),
            "variable 'nope': no such global variable in .data, .rodata or .bss \
             (static and hidden variables cannot be set)"
        );
        taken
    });
}
