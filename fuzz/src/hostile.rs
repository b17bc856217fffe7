//! Hostile BPF objects at scale, one per class of problem corex must stay
//! bounded on (issue 6): each is a valid ELF file whose size is linear in
//! `n`, and which used to cost corex quadratic time or memory, or a panic.
//!
//! Shared by `#[path]` (with `objgen.rs` as the sibling module `objgen`)
//! with corex-object's and corex-cli's tests, and by the fuzz targets.

use corex_btf::write::{Body, BtfBuilder, TypeDef};
use corex_btf::{Endian, Linkage, TypeId, VarSecInfo};

use super::objgen::{
    btf_ext, insn, int_def, int_struct, var_def, ElfWriter, Symbol, OP_CALL, OP_EXIT, OP_LDX_W,
    OP_LD_IMM64, OP_MOV64_IMM, SHF_ALLOC, SHF_WRITE, SHT_PROGBITS, STT_FUNC, STT_NOTYPE,
    STT_OBJECT,
};

const LE: Endian = Endian::Little;

/// `n` one-instruction programs in section `xdp`, each `call +0`: a call,
/// without relocation, to the next program (the last calls past the end).
pub fn calling_programs(n: usize) -> Vec<u8> {
    let mut elf = ElfWriter::new(LE);
    let code = (0..n).flat_map(|_| insn(LE, OP_CALL, 0, 1, 0, 0)).collect();
    let sec = elf.code(b"xdp", code);
    elf.functions(sec, "p", n, 8);
    elf.finish()
}

/// `n` programs in section `xdp` (`r0 = *(u32 *)(r1 + 0); exit`), each with
/// a CO-RE record on its load (`task_struct.pid`), records in reverse
/// program order.
pub fn core_records(n: usize) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let task = b.add(&int_struct("task_struct", int, &["pid"]));
    loads_with_records(b, task, "xdp", (0..n).rev())
}

/// One program `p<i>` per item of `order` (`r0 = *(u32 *)(r1 + 0); exit`)
/// in section `section`, with a CO-RE record on each load (`task.pid`),
/// the records in program order `order`; `b` holds the rest of the BTF.
fn loads_with_records(
    mut b: BtfBuilder,
    task: TypeId,
    section: &str,
    order: impl ExactSizeIterator<Item = usize>,
) -> Vec<u8> {
    let n = order.len();
    let access = b.add_string("0:0").expect("generated strings hold no NUL");
    let sec_name = b
        .add_string(section)
        .expect("generated strings hold no NUL");
    let btf = b.to_bytes(LE).expect("generated BTF is writable");
    let mut elf = ElfWriter::new(LE);
    let mut code = Vec::with_capacity(16 * n);
    for _ in 0..n {
        code.extend(insn(LE, OP_LDX_W, 0, 1, 0, 0));
        code.extend(insn(LE, OP_EXIT, 0, 0, 0, 0));
    }
    let sec = elf.code(section.as_bytes(), code);
    let records = order.map(|i| [16 * i as u32, task.0, access, 0]);
    elf.section(b".BTF", SHT_PROGBITS, 0, btf);
    elf.section(
        b".BTF.ext",
        SHT_PROGBITS,
        0,
        btf_ext(LE, &[(sec_name, records.collect())]),
    );
    elf.functions(sec, "p", n, 16);
    elf.finish()
}

/// [`core_records`] with a FUNC per program, `p<i>(struct trace_ctx *ctx)`,
/// whose hand-written context struct `corex check` compares with tracefs.
pub fn context_programs(n: usize) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let task = b.add(&int_struct("task_struct", int, &["pid"]));
    let ctx = b.add(&int_struct("trace_ctx", int, &["pid"]));
    let ptr = b.add(&super::objgen::ref_def("", corex_btf::Kind::Ptr, ctx));
    let proto = b.add(&TypeDef::func_proto(int, vec![("ctx".into(), ptr)]));
    for i in 0..n {
        b.add(&TypeDef::func(format!("p{i}"), proto, Linkage::Global));
    }
    loads_with_records(b, task, "tp/sched/sched_switch", 0..n)
}

/// Adds section `xdp`: `call` (to be relocated against a `.text`
/// function) and `exit`; returns its index.
fn xdp_calling_text(elf: &mut ElfWriter) -> u16 {
    elf.code(
        b"xdp",
        [
            insn(LE, OP_CALL, 0, 1, 0, -1),
            insn(LE, OP_EXIT, 0, 0, 0, 0),
        ]
        .concat(),
    )
}

/// A DATASEC `name` of 4-byte extern VARs (clang leaves their offsets 0).
pub fn extern_datasec(name: &str, vars: &[TypeId]) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag: false,
        body: Body::Datasec {
            size: 0,
            vars: vars
                .iter()
                .map(|&ty| VarSecInfo {
                    ty,
                    offset: 0,
                    size: 4,
                })
                .collect(),
        },
    }
}

/// `n` undefined symbols `k0`..., each a `.ksyms` VAR of the BTF (listed
/// by DATASECs of 50,000), which also holds `n` unrelated INTs before them.
pub fn externs(n: usize) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    for i in 1..n {
        b.add(&int_def(&format!("filler{i}")));
    }
    let vars: Vec<TypeId> = (0..n)
        .map(|i| b.add(&var_def(&format!("k{i}"), int, Linkage::Extern)))
        .collect();
    for chunk in vars.chunks(50_000) {
        b.add(&extern_datasec(".ksyms", chunk));
    }
    let mut elf = ElfWriter::new(LE);
    elf.section(
        b".BTF",
        SHT_PROGBITS,
        0,
        b.to_bytes(LE).expect("generated BTF is writable"),
    );
    for i in 0..n {
        elf.symbol(Symbol::global(
            format!("k{i}").as_bytes(),
            STT_NOTYPE,
            0,
            0,
            0,
        ));
    }
    elf.finish()
}

/// `symbols` function symbols, each spanning the whole of a `.text` of
/// `insns` instructions (`r0 = *(u32 *)(r1 + 0)`, a CO-RE record on every
/// 1000th), and a program in `xdp` that calls the first instruction.
pub fn overlapping_text(symbols: usize, insns: usize) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let task = b.add(&int_struct("task_struct", int, &["pid"]));
    let access = b.add_string("0:0").expect("generated strings hold no NUL");
    let text_name = b
        .add_string(".text")
        .expect("generated strings hold no NUL");
    let btf = b.to_bytes(LE).expect("generated BTF is writable");
    let mut elf = ElfWriter::new(LE);
    let text = (0..insns)
        .flat_map(|_| insn(LE, OP_LDX_W, 0, 1, 0, 0))
        .collect();
    let text_sec = elf.code(b".text", text);
    let xdp = xdp_calling_text(&mut elf);
    let records = (0..insns)
        .step_by(1000)
        .map(|i| [8 * i as u32, task.0, access, 0])
        .collect();
    elf.section(b".BTF", SHT_PROGBITS, 0, btf);
    elf.section(
        b".BTF.ext",
        SHT_PROGBITS,
        0,
        btf_ext(LE, &[(text_name, records)]),
    );
    let mut first = 0;
    for i in 0..symbols {
        let size = 8 * insns as u64;
        let sym = elf.symbol(Symbol::global(
            format!("f{i}").as_bytes(),
            STT_FUNC,
            text_sec,
            0,
            size,
        ));
        if i == 0 {
            first = sym;
        }
    }
    elf.symbol(Symbol::global(b"main", STT_FUNC, xdp, 0, 16));
    elf.rel(xdp, 0, first, super::objgen::R_BPF_64_32);
    elf.finish()
}

/// A legacy `maps` section of one 20-byte `struct bpf_map_def` whose
/// symbol's value is `value` (a wrapping `offset + size` once panicked).
pub fn legacy_map_at(value: u64) -> Vec<u8> {
    let mut elf = ElfWriter::new(LE);
    let maps = elf.section(b"maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vec![1; 20]);
    elf.symbol(Symbol::global(b"legacy", STT_OBJECT, maps, value, 20));
    elf.finish()
}

/// An object whose every kind of name holds `name` (a program, its
/// section, a map, a global data section and its variable, an extern, a
/// relocation's symbol, and the BTF names its CO-RE record prints): for
/// terminal escaping tests. `name` must be valid UTF-8 to reach the BTF.
pub fn named(name: &str) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let task = b.add(&int_struct(
        &format!("st{name}"),
        int,
        &[&format!("f{name}")],
    ));
    let access = b.add_string("0:0").expect("generated strings hold no NUL");
    let map_def = super::objgen::btf_hash_map(&mut b, int);
    let map_var = b.add(&var_def(&format!("map{name}"), map_def, Linkage::Global));
    let data_var = b.add(&var_def(&format!("var{name}"), int, Linkage::Global));
    let ext_var = b.add(&var_def(&format!("ext{name}"), int, Linkage::Extern));
    for (sec, var, size) in [
        (".maps".to_owned(), map_var, 32),
        (format!(".data.{name}"), data_var, 4),
        (".kconfig".to_owned(), ext_var, 4),
    ] {
        b.add(&TypeDef {
            name: sec,
            kflag: false,
            body: Body::Datasec {
                size,
                vars: vec![VarSecInfo {
                    ty: var,
                    offset: 0,
                    size,
                }],
            },
        });
    }
    let prog_sec = format!("xdp/{name}");
    let sec_name = b
        .add_string(&prog_sec)
        .expect("generated strings hold no NUL");
    let btf = b.to_bytes(LE).expect("generated BTF is writable");

    let mut elf = ElfWriter::new(LE);
    let code = [
        insn(LE, OP_LDX_W, 0, 1, 0, 0),
        insn(LE, super::objgen::OP_LD_IMM64, 1, 1, 0, 0),
        insn(LE, 0, 0, 0, 0, 0),
        insn(LE, super::objgen::OP_LD_IMM64, 2, 2, 0, 0),
        insn(LE, 0, 0, 0, 0, 0),
        insn(LE, super::objgen::OP_LD_IMM64, 3, 0, 0, 0),
        insn(LE, 0, 0, 0, 0, 0),
        insn(LE, OP_EXIT, 0, 0, 0, 0),
    ]
    .concat();
    let prog = elf.code(prog_sec.as_bytes(), code);
    let maps = elf.section(b".maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vec![0; 32]);
    let data = elf.section(
        format!(".data.{name}").as_bytes(),
        SHT_PROGBITS,
        SHF_ALLOC | SHF_WRITE,
        vec![0; 4],
    );
    elf.section(b".BTF", SHT_PROGBITS, 0, btf);
    elf.section(
        b".BTF.ext",
        SHT_PROGBITS,
        0,
        btf_ext(LE, &[(sec_name, vec![[0, task.0, access, 0]])]),
    );
    let named = |prefix: &str| format!("{prefix}{name}").into_bytes();
    elf.symbol(Symbol::global(&named("prog"), STT_FUNC, prog, 0, 64));
    let map_sym = elf.symbol(Symbol::global(&named("map"), STT_OBJECT, maps, 0, 32));
    let data_sym = elf.symbol(Symbol::global(&named("var"), STT_OBJECT, data, 0, 4));
    let ext_sym = elf.symbol(Symbol::global(&named("ext"), STT_NOTYPE, 0, 0, 0));
    elf.rel(prog, 8, map_sym, super::objgen::R_BPF_64_64);
    elf.rel(prog, 24, data_sym, super::objgen::R_BPF_64_64);
    elf.rel(prog, 40, ext_sym, super::objgen::R_BPF_64_64);
    elf.finish()
}

/// A chain of `n` two-instruction `.text` functions, each calling the next
/// (`call +1` without relocation; the last returns), and a program in
/// `xdp` that calls the first: linking it appends all `n`, each found as
/// the callee of the one before.
pub fn text_call_chain(n: usize) -> Vec<u8> {
    let mut elf = ElfWriter::new(LE);
    let mut text = Vec::with_capacity(16 * n);
    for i in 0..n {
        let imm = i32::from(i + 1 < n);
        let op = if i + 1 < n { OP_CALL } else { OP_MOV64_IMM };
        text.extend(insn(LE, op, 0, u8::from(i + 1 < n), 0, imm));
        text.extend(insn(LE, OP_EXIT, 0, 0, 0, 0));
    }
    let text_sec = elf.code(b".text", text);
    let xdp = xdp_calling_text(&mut elf);
    let first = elf.functions(text_sec, "f", n, 16)[0];
    elf.symbol(Symbol::global(b"main", STT_FUNC, xdp, 0, 16));
    elf.rel(xdp, 0, first, super::objgen::R_BPF_64_32);
    elf.section(b"license", SHT_PROGBITS, SHF_ALLOC, b"GPL\0".to_vec());
    elf.finish()
}

/// `n` `.kconfig` externs `CONFIG_K0`..., each loaded by an `ld_imm64` of
/// one program in `xdp` (so `n` relocations against `n` externs), and the
/// Kconfig text that sets them all ([`kconfig_text`]).
pub fn kconfig_externs(n: usize) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let vars: Vec<TypeId> = (0..n)
        .map(|i| b.add(&var_def(&format!("CONFIG_K{i}"), int, Linkage::Extern)))
        .collect();
    b.add(&extern_datasec(".kconfig", &vars));
    let mut elf = ElfWriter::new(LE);
    let mut code = Vec::with_capacity(16 * n + 8);
    for _ in 0..n {
        code.extend(insn(LE, OP_LD_IMM64, 1, 0, 0, 0));
        code.extend([0; 8]);
    }
    code.extend(insn(LE, OP_EXIT, 0, 0, 0, 0));
    let xdp = elf.code(b"xdp", code);
    elf.section(
        b".BTF",
        SHT_PROGBITS,
        0,
        b.to_bytes(LE).expect("generated BTF is writable"),
    );
    elf.section(b"license", SHT_PROGBITS, SHF_ALLOC, b"GPL\0".to_vec());
    elf.symbol(Symbol::global(b"main", STT_FUNC, xdp, 0, 16 * n as u64 + 8));
    for i in 0..n {
        let sym = elf.symbol(Symbol::global(
            format!("CONFIG_K{i}").as_bytes(),
            STT_NOTYPE,
            0,
            0,
            0,
        ));
        elf.rel(xdp, 16 * i as u64, sym, super::objgen::R_BPF_64_64);
    }
    elf.finish()
}

/// The Kconfig text that sets every extern of [`kconfig_externs`]`(n)`,
/// in reverse order.
pub fn kconfig_text(n: usize) -> String {
    (0..n).rev().map(|i| format!("CONFIG_K{i}={i}\n")).collect()
}
