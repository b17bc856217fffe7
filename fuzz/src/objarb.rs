//! BPF objects generated from fuzzer input (`arbitrary`): programs in
//! several sections and `.text`, BPF-to-BPF calls (relocated and relative),
//! map loads (`.maps` and legacy `maps`), global data, externs (`.kconfig`,
//! `.ksyms`), `.BTF` describing them and `.BTF.ext` CO-RE records. Mostly
//! well formed, with the values that matter drawn from the edges: symbol
//! values near `u64::MAX`, overlapping and misaligned functions, relocations
//! past the end, wrong symbol kinds, names with escapes and invalid UTF-8.
//!
//! Shared by `#[path]` with corex-object's property tests (with `objgen.rs`
//! as the sibling module `objgen`) and by the fuzz target `object_gen`.

use arbitrary::{Result, Unstructured};
use corex_btf::write::{Body, BtfBuilder, TypeDef};
use corex_btf::{Endian, Linkage, TypeId, VarSecInfo};

use super::objgen::{
    btf_ext, btf_hash_map, insn, int_def, int_struct, var_def, ElfWriter, Symbol, OP_CALL, OP_EXIT,
    OP_LDX_W, OP_LD_IMM64, OP_MOV64_IMM, R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR,
    SHF_WRITE, SHT_PROGBITS, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_NOTYPE, STT_OBJECT,
    STT_SECTION,
};

/// Program section names: libbpf's, `?` ones, and hostile ones (the last,
/// not UTF-8, only in wild objects).
const SECTIONS: &[&[u8]] = &[
    b"xdp",
    b"tracepoint/syscalls/sys_enter_openat",
    b"kprobe/do_unlinkat",
    b"?tc",
    b"fentry/x",
    b"uprobe//bin/sh:main",
    b"unknown",
    b"xdp/\x1b[31mred",
    b"tp/\xff\xfe",
];

/// Symbol names, hostile ones included (the last, not UTF-8, only in wild
/// objects).
const NAMES: &[&[u8]] = &[
    b"a",
    b"b",
    b"main",
    b"counts",
    b"\x1b]0;title\x07",
    b"",
    b"bad\xff",
];

/// How far a generated object strays from what a compiler writes.
struct Gen<'u, 'd> {
    u: &'u mut Unstructured<'d>,
    /// One in four objects is wild: any value may come from the edges.
    wild: bool,
}

impl Gen<'_, '_> {
    /// Whether this item strays (only in a wild object, one in four).
    fn strays(&mut self) -> Result<bool> {
        Ok(self.wild && self.u.ratio(1u8, 4u8)?)
    }

    /// One of `names`; the last only if this item strays.
    fn name<'n>(&mut self, names: &[&'n [u8]]) -> Result<&'n [u8]> {
        let last = names.len() - 1 + usize::from(self.strays()?);
        Ok(names[self.u.int_in_range(0..=last - 1)?])
    }

    /// `fit` (a valid value) or, if this item strays, a value from the
    /// edges of `u64`.
    fn value(&mut self, fit: u64) -> Result<u64> {
        if !self.strays()? {
            return Ok(fit);
        }
        Ok(match self.u.int_in_range(0..=3u8)? {
            0 => u64::MAX - self.u.int_in_range(0..=31u64)?,
            1 => 1 << self.u.int_in_range(31..=63u32)?,
            2 => self.u.arbitrary()?,
            _ => fit + self.u.int_in_range(1..=9u64)?,
        })
    }
}

/// What a relocation of an instruction points at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wants {
    /// A `.text` function (a BPF-to-BPF call).
    Function,
    /// An extern (a kfunc call).
    Extern,
    /// A map, global data or an extern (`ld_imm64`).
    Data,
}

/// One random instruction (an `ld_imm64` takes two slots), and what a
/// relocation of it points at, if it can have one.
fn random_insn(
    u: &mut Unstructured<'_>,
    endian: Endian,
    code: &mut Vec<u8>,
) -> Result<Option<Wants>> {
    let imm = u.int_in_range(-4..=4i32)?;
    let kind = u.int_in_range(0..=6u8)?;
    match kind {
        0 => code.extend(insn(endian, OP_CALL, 0, 1, 0, imm)),
        1 => code.extend(insn(endian, OP_CALL, 0, *u.choose(&[0, 2])?, 0, imm)),
        2 => {
            let src = *u.choose(&[0, 1, 2, 4])?;
            code.extend(insn(endian, OP_LD_IMM64, 1, src, 0, imm));
            code.extend(insn(endian, 0, 0, 0, 0, u.arbitrary()?));
        }
        3 => code.extend(insn(endian, OP_LDX_W, 0, 1, 4 * u.int_in_range(0..=2)?, 0)),
        4 => code.extend(insn(endian, OP_MOV64_IMM, 0, 0, 0, imm)),
        5 => code.extend(insn(
            endian,
            u.arbitrary()?,
            u.arbitrary()?,
            0,
            u.arbitrary()?,
            imm,
        )),
        _ => code.extend(insn(endian, OP_EXIT, 0, 0, 0, 0)),
    }
    Ok(match kind {
        0 => Some(Wants::Function),
        1 => Some(Wants::Extern),
        2 => Some(Wants::Data),
        _ => None,
    })
}

/// The object's BTF: `int`, `struct task_struct { int pid; int tgid; }`, a
/// hash map definition, DATASECs `.maps` (`counts`), `.data` (`a`),
/// `.kconfig` (`LINUX_KERNEL_VERSION`) and `.ksyms` (`bpf_k`), a random
/// tail of types, and the strings the CO-RE records need.
struct ObjBtf {
    builder: BtfBuilder,
    task: TypeId,
    types: u32,
}

fn obj_btf(u: &mut Unstructured<'_>) -> Result<ObjBtf> {
    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let task = b.add(&int_struct("task_struct", int, &["pid", "tgid"]));
    let map = btf_hash_map(&mut b, int);
    let var =
        |b: &mut BtfBuilder, name: &str, ty: TypeId, linkage| b.add(&var_def(name, ty, linkage));
    let datasec = |b: &mut BtfBuilder, name: &str, ty: TypeId, size: u32| {
        b.add(&TypeDef {
            name: name.into(),
            kflag: false,
            body: Body::Datasec {
                size,
                vars: vec![VarSecInfo {
                    ty,
                    offset: 0,
                    size,
                }],
            },
        })
    };
    let counts = var(&mut b, "counts", map, Linkage::Global);
    datasec(&mut b, ".maps", counts, 32);
    let a = var(&mut b, "a", int, Linkage::Global);
    datasec(&mut b, ".data", a, 4);
    let kv = var(&mut b, "LINUX_KERNEL_VERSION", int, Linkage::Extern);
    datasec(&mut b, ".kconfig", kv, 4);
    let k = var(&mut b, "bpf_k", int, Linkage::Extern);
    datasec(&mut b, ".ksyms", k, 4);
    for _ in 0..u.int_in_range(0..=6u32)? {
        let name = String::from_utf8_lossy(u.choose(NAMES)?).into_owned();
        b.add(&int_struct(&name, int, &["pid", "x"]));
    }
    let types = b.next_id().0 - 1;
    Ok(ObjBtf {
        builder: b,
        task,
        types,
    })
}

/// An object from fuzzer input (see the module documentation).
pub fn arbitrary_object(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let wild = u.ratio(1u8, 4u8)?;
    let mut g = Gen { u, wild };
    let endian = if g.u.ratio(1u8, 8u8)? {
        Endian::Big
    } else {
        Endian::Little
    };
    let mut btf = obj_btf(g.u)?;
    let mut elf = ElfWriter::new(endian);
    // Code sections: .text first, then up to 3 program sections.
    let mut code_secs = Vec::new();
    for s in 0..g.u.int_in_range(1..=4usize)? {
        let name: &[u8] = if s == 0 { b".text" } else { g.name(SECTIONS)? };
        let mut code = Vec::new();
        let mut targets = Vec::new();
        let mut starts = Vec::new();
        for _ in 0..g.u.int_in_range(1..=12usize)? {
            let at = code.len() as u64;
            starts.push(at);
            if let Some(wants) = random_insn(g.u, endian, &mut code)? {
                targets.push((at, wants));
            }
        }
        let len = code.len() as u64;
        starts.push(len);
        code_secs.push((elf.code(name, code), name.to_vec(), starts, targets));
    }
    let maps = elf.section(b".maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vec![0; 32]);
    let legacy = if g.u.ratio(1u8, 3u8)? {
        let slots = g.u.int_in_range(1..=3u64)?;
        let size = g.value(20 * slots)? as usize % 128;
        let sec = elf.section(b"maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vec![1; size]);
        Some((sec, slots))
    } else {
        None
    };
    let data = elf.section(b".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vec![0; 4]);
    let bss = g.value(8)?;
    elf.nobits(b".bss", bss);
    if g.u.arbitrary()? {
        let license = g.name(&[b"GPL", b"Dual BSD/GPL", b"\x1b[2J", b"GPL\xff"])?;
        elf.section(b"license", SHT_PROGBITS, SHF_ALLOC, license.to_vec());
    }
    if g.u.arbitrary()? {
        let len = g.value(4)? as usize % 16;
        elf.section(b"version", SHT_PROGBITS, SHF_ALLOC, vec![0; len]);
    }
    if g.strays()? {
        let flags = u64::from(g.u.arbitrary::<u8>()?) & (SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR);
        let len = g.u.int_in_range(0..=24usize)?;
        let name = g.name(NAMES)?;
        let sh_type = g.u.int_in_range(0..=12u32)?;
        elf.section(name, sh_type, flags, vec![0; len]);
    }

    // Symbols: section symbols (local) first, then functions, maps, data,
    // externs; `functions` and `data` are what relocations may point at.
    let mut syms = Vec::new();
    let mut functions = Vec::new();
    let mut data_syms = Vec::new();
    for (index, ..) in &code_secs {
        let index = *index;
        syms.push(elf.symbol(Symbol {
            name: Vec::new(),
            value: 0,
            size: 0,
            shndx: index,
            bind: STB_LOCAL,
            kind: STT_SECTION,
        }));
    }
    let text = code_secs[0].0;
    for (index, _, starts, _) in &code_secs {
        let index = *index;
        // Functions start and end at instructions, in order, some skipped;
        // strays overlap or overflow.
        let mut first = 0;
        while first + 1 < starts.len() && g.u.ratio(3u8, 4u8)? {
            let end = g.u.int_in_range(first + 1..=starts.len() - 1)?;
            let value = g.value(starts[first])?;
            let size = g.value(starts[end] - starts[first])?;
            let name = g.name(NAMES)?.to_vec();
            let bind = *g.u.choose(&[STB_GLOBAL, STB_LOCAL, STB_WEAK])?;
            let sym = elf.symbol(Symbol {
                name,
                value,
                size,
                shndx: index,
                bind,
                kind: STT_FUNC,
            });
            syms.push(sym);
            if index == text {
                functions.push(sym);
            }
            first = end;
        }
    }
    let object = |name: &[u8], value, shndx| Symbol::global(name, STT_OBJECT, shndx, value, 4);
    data_syms.push(elf.symbol(object(b"counts", 0, maps)));
    if let Some((legacy, slots)) = legacy {
        let names: [&[u8]; 3] = [b"m0", b"m1", b"m2"];
        for slot in 0..g.value(slots)?.min(4) {
            let value = g.value(20 * slot)?;
            let name = names.get(slot as usize).copied().unwrap_or(b"m3");
            data_syms.push(elf.symbol(object(name, value, legacy)));
        }
    }
    let value = g.value(0)?;
    data_syms.push(elf.symbol(object(b"a", value, data)));
    let mut externs = Vec::new();
    let extra = g.name(&[b"bpf_k2", b"\x1b[1mk", b"bad\xff"])?;
    for name in [&b"LINUX_KERNEL_VERSION"[..], &b"bpf_k"[..], extra] {
        let bind = *g.u.choose(&[STB_GLOBAL, STB_WEAK])?;
        externs.push(elf.symbol(Symbol {
            name: name.to_vec(),
            value: 0,
            size: 0,
            shndx: 0,
            bind,
            kind: STT_NOTYPE,
        }));
    }
    data_syms.extend(&externs);

    syms.extend(&functions);
    syms.extend(&data_syms);
    // Relocations: on calls and ld_imm64, against what they want (strays
    // against any symbol, or none).
    for (index, _, _, targets) in &code_secs {
        for &(at, wants) in targets {
            if !g.u.ratio(3u8, 4u8)? {
                continue;
            }
            let offset = g.value(at)?;
            let pool = match wants {
                _ if g.strays()? => &syms,
                Wants::Function if !functions.is_empty() => &functions,
                Wants::Extern => &externs,
                _ => &data_syms,
            };
            let sym = *g.u.choose(pool)?;
            let sym = g.value(u64::from(sym))? as u32;
            let r_type = *g.u.choose(&[R_BPF_64_64, R_BPF_64_32])?;
            elf.rel(*index, offset, sym, r_type);
        }
    }

    // CO-RE records on the code sections, in the object's BTF.
    let access: Vec<u32> = ["0:0", "0:1", "0", "0:2", "1:0", "0:0:0", "x"]
        .iter()
        .map(|a| {
            btf.builder
                .add_string(a)
                .expect("generated strings hold no NUL")
        })
        .collect();
    let mut blocks = Vec::new();
    for (_, name, starts, _) in &code_secs {
        let len = starts.last().copied().unwrap_or(0);
        let name = String::from_utf8_lossy(name).into_owned();
        let name_off = btf
            .builder
            .add_string(&name)
            .expect("generated strings hold no NUL");
        let mut records = Vec::new();
        for _ in 0..g.u.int_in_range(0..=4usize)? {
            let at = 8 * g.u.int_in_range(0..=(len / 8).saturating_sub(1))?;
            let insn_off = g.value(at)? as u32;
            let type_id = if g.u.ratio(3u8, 4u8)? {
                btf.task.0
            } else {
                g.u.int_in_range(0..=btf.types + 1)?
            };
            let kind = g.u.int_in_range(0..=13)?;
            records.push([insn_off, type_id, *g.u.choose(&access)?, kind]);
        }
        if !records.is_empty() {
            blocks.push((name_off, records));
        }
    }
    elf.section(
        b".BTF",
        SHT_PROGBITS,
        0,
        btf.builder
            .to_bytes(endian)
            .expect("generated BTF is writable"),
    );
    if !g.strays()? {
        elf.section(b".BTF.ext", SHT_PROGBITS, 0, btf_ext(endian, &blocks));
    }
    Ok(elf.finish())
}
