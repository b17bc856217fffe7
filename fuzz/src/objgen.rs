//! BPF ELF objects written from scratch: a small ELF64 writer, BPF
//! instruction encoding, a `.BTF.ext` writer, and the scaling objects of the
//! tests and the benchmark (N programs that each load a map, call a `.text`
//! function and read a CO-RE relocated field; libbpf 1.1 opens them).
//!
//! Shared by `#[path]` with corex-object's tests, corex-cli's tests and the
//! benchmark generator, and by the fuzz targets through `corex_fuzz`, so it
//! depends on nothing but `corex_btf`. Every value is written as given: a
//! symbol may point anywhere, a relocation at anything, which is the point.

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Endian, IntInfo, Kind, TypeId};

/// `SHT_PROGBITS`.
pub const SHT_PROGBITS: u32 = 1;
/// `SHT_SYMTAB`.
pub const SHT_SYMTAB: u32 = 2;
/// `SHT_STRTAB`.
pub const SHT_STRTAB: u32 = 3;
/// `SHT_NOBITS`.
pub const SHT_NOBITS: u32 = 8;
/// `SHT_REL`.
pub const SHT_REL: u32 = 9;
/// `SHF_WRITE`.
pub const SHF_WRITE: u64 = 1;
/// `SHF_ALLOC`.
pub const SHF_ALLOC: u64 = 2;
/// `SHF_EXECINSTR`.
pub const SHF_EXECINSTR: u64 = 4;
/// `STB_LOCAL`.
pub const STB_LOCAL: u8 = 0;
/// `STB_GLOBAL`.
pub const STB_GLOBAL: u8 = 1;
/// `STB_WEAK`.
pub const STB_WEAK: u8 = 2;
/// `STT_NOTYPE`.
pub const STT_NOTYPE: u8 = 0;
/// `STT_OBJECT`.
pub const STT_OBJECT: u8 = 1;
/// `STT_FUNC`.
pub const STT_FUNC: u8 = 2;
/// `STT_SECTION`.
pub const STT_SECTION: u8 = 3;
/// `R_BPF_64_64`: an `ld_imm64` relocation.
pub const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_32`: a `call` relocation.
pub const R_BPF_64_32: u32 = 10;

/// One symbol, written as given.
#[derive(Clone, Debug)]
pub struct Symbol {
    /// Name bytes (any bytes).
    pub name: Vec<u8>,
    /// `st_value`.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
    /// `st_shndx`.
    pub shndx: u16,
    /// `STB_*`.
    pub bind: u8,
    /// `STT_*`.
    pub kind: u8,
}

impl Symbol {
    /// A global symbol of kind `kind` (`STT_*`) in section `shndx` (0 for
    /// an undefined one).
    pub fn global(name: &[u8], kind: u8, shndx: u16, value: u64, size: u64) -> Symbol {
        Symbol {
            name: name.to_vec(),
            value,
            size,
            shndx,
            bind: STB_GLOBAL,
            kind,
        }
    }
}

struct Section {
    name: Vec<u8>,
    sh_type: u32,
    flags: u64,
    data: Vec<u8>,
    /// `sh_size` when it is not the data's length (`SHT_NOBITS`).
    size: Option<u64>,
    link: u32,
    info: u32,
    entsize: u64,
}

/// Writes a relocatable ELF64 file for `EM_BPF`: the sections given, then a
/// `.rel<name>` section per relocated section, `.symtab`, `.strtab` and
/// `.shstrtab`. Symbols are written in the order given (put locals first).
pub struct ElfWriter {
    endian: Endian,
    sections: Vec<Section>,
    symbols: Vec<Symbol>,
    /// Relocation entries per section index (minus one).
    rels: Vec<Vec<u8>>,
}

impl ElfWriter {
    /// An empty object in `endian` byte order.
    pub fn new(endian: Endian) -> ElfWriter {
        ElfWriter {
            endian,
            sections: Vec::new(),
            symbols: Vec::new(),
            rels: Vec::new(),
        }
    }

    /// The byte order.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// Adds a section with contents; returns its index.
    pub fn section(&mut self, name: &[u8], sh_type: u32, flags: u64, data: Vec<u8>) -> u16 {
        self.sections.push(Section {
            name: name.to_vec(),
            sh_type,
            flags,
            data,
            size: None,
            link: 0,
            info: 0,
            entsize: 0,
        });
        self.sections.len() as u16
    }

    /// Adds an `SHT_NOBITS` section of `size` bytes; returns its index.
    pub fn nobits(&mut self, name: &[u8], size: u64) -> u16 {
        let index = self.section(name, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, Vec::new());
        self.sections[index as usize - 1].size = Some(size);
        index
    }

    /// Adds a code section (`SHT_PROGBITS`, alloc + exec); returns its index.
    pub fn code(&mut self, name: &[u8], insns: Vec<u8>) -> u16 {
        self.section(name, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, insns)
    }

    /// Adds a symbol; returns its index in the symbol table.
    pub fn symbol(&mut self, sym: Symbol) -> u32 {
        self.symbols.push(sym);
        self.symbols.len() as u32
    }

    /// Adds `count` global functions `{prefix}0`, ... of `size` bytes each,
    /// one after the other from the start of section `shndx`; returns
    /// their symbol indices.
    pub fn functions(&mut self, shndx: u16, prefix: &str, count: usize, size: u64) -> Vec<u32> {
        (0..count)
            .map(|i| {
                let name = format!("{prefix}{i}");
                self.symbol(Symbol::global(
                    name.as_bytes(),
                    STT_FUNC,
                    shndx,
                    size * i as u64,
                    size,
                ))
            })
            .collect()
    }

    /// Adds a relocation of `section` at byte `offset` against symbol `sym`.
    pub fn rel(&mut self, section: u16, offset: u64, sym: u32, r_type: u32) {
        let mut entry = self.u64(offset);
        entry.extend(self.u64((u64::from(sym) << 32) | u64::from(r_type)));
        let slot = usize::from(section).saturating_sub(1);
        if self.rels.len() <= slot {
            self.rels.resize_with(slot + 1, Vec::new);
        }
        self.rels[slot].extend(entry);
    }

    fn u16(&self, v: u16) -> Vec<u8> {
        match self.endian {
            Endian::Little => v.to_le_bytes().to_vec(),
            Endian::Big => v.to_be_bytes().to_vec(),
        }
    }

    fn u32(&self, v: u32) -> Vec<u8> {
        match self.endian {
            Endian::Little => v.to_le_bytes().to_vec(),
            Endian::Big => v.to_be_bytes().to_vec(),
        }
    }

    fn u64(&self, v: u64) -> Vec<u8> {
        match self.endian {
            Endian::Little => v.to_le_bytes().to_vec(),
            Endian::Big => v.to_be_bytes().to_vec(),
        }
    }

    /// The ELF file.
    pub fn finish(mut self) -> Vec<u8> {
        let rels: Vec<(usize, Vec<u8>)> = std::mem::take(&mut self.rels)
            .into_iter()
            .enumerate()
            .filter(|(_, data)| !data.is_empty())
            .collect();
        let symtab_index = (self.sections.len() + rels.len() + 1) as u32;
        for (slot, data) in rels {
            let mut name = b".rel".to_vec();
            name.extend_from_slice(self.sections.get(slot).map_or(&[][..], |s| &s.name));
            self.sections.push(Section {
                name,
                sh_type: SHT_REL,
                flags: 0,
                data,
                size: None,
                link: symtab_index,
                info: slot as u32 + 1,
                entsize: 16,
            });
        }
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; 24];
        let locals = 1 + self
            .symbols
            .iter()
            .take_while(|s| s.bind == STB_LOCAL)
            .count();
        for s in &self.symbols {
            let name = strtab.len() as u32;
            strtab.extend_from_slice(&s.name);
            strtab.push(0);
            symtab.extend(self.u32(name));
            symtab.push((s.bind << 4) | (s.kind & 0xf));
            symtab.push(0);
            symtab.extend(self.u16(s.shndx));
            symtab.extend(self.u64(s.value));
            symtab.extend(self.u64(s.size));
        }
        self.sections.push(Section {
            name: b".symtab".to_vec(),
            sh_type: SHT_SYMTAB,
            flags: 0,
            data: symtab,
            size: None,
            link: symtab_index + 1,
            info: locals as u32,
            entsize: 24,
        });
        self.sections.push(Section {
            name: b".strtab".to_vec(),
            sh_type: SHT_STRTAB,
            flags: 0,
            data: strtab,
            size: None,
            link: 0,
            info: 0,
            entsize: 0,
        });
        self.sections.push(Section {
            name: b".shstrtab".to_vec(),
            sh_type: SHT_STRTAB,
            flags: 0,
            data: Vec::new(),
            size: None,
            link: 0,
            info: 0,
            entsize: 0,
        });
        let mut shstrtab = vec![0u8];
        let mut name_offs = Vec::with_capacity(self.sections.len());
        for s in &self.sections {
            name_offs.push(shstrtab.len() as u32);
            shstrtab.extend_from_slice(&s.name);
            shstrtab.push(0);
        }
        let last = self.sections.len() - 1;
        self.sections[last].data = shstrtab;

        let mut out = vec![0u8; 64];
        let mut offsets = Vec::with_capacity(self.sections.len());
        for s in &self.sections {
            while !out.len().is_multiple_of(8) {
                out.push(0);
            }
            offsets.push(out.len() as u64);
            out.extend_from_slice(&s.data);
        }
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        out.extend([0u8; 64]);
        for (i, s) in self.sections.iter().enumerate() {
            out.extend(self.u32(name_offs[i]));
            out.extend(self.u32(s.sh_type));
            out.extend(self.u64(s.flags));
            out.extend(self.u64(0));
            out.extend(self.u64(offsets[i]));
            out.extend(self.u64(s.size.unwrap_or(s.data.len() as u64)));
            out.extend(self.u32(s.link));
            out.extend(self.u32(s.info));
            out.extend(self.u64(8));
            out.extend(self.u64(s.entsize));
        }
        let data_byte = match self.endian {
            Endian::Little => 1,
            Endian::Big => 2,
        };
        let mut header = vec![0x7f, b'E', b'L', b'F', 2, data_byte, 1, 0];
        header.extend([0u8; 8]);
        header.extend(self.u16(1)); // ET_REL
        header.extend(self.u16(247)); // EM_BPF
        header.extend(self.u32(1));
        header.extend(self.u64(0)); // e_entry
        header.extend(self.u64(0)); // e_phoff
        header.extend(self.u64(shoff));
        header.extend(self.u32(0)); // e_flags
        header.extend(self.u16(64)); // e_ehsize
        header.extend(self.u16(0)); // e_phentsize
        header.extend(self.u16(0)); // e_phnum
        header.extend(self.u16(64)); // e_shentsize
        header.extend(self.u16((self.sections.len() + 1) as u16));
        header.extend(self.u16(self.sections.len() as u16)); // .shstrtab
        out[..64].copy_from_slice(&header);
        out
    }
}

/// One BPF instruction's 8 bytes.
pub fn insn(endian: Endian, code: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let (regs, off, imm) = match endian {
        Endian::Little => (
            (dst & 0xf) | (src << 4),
            off.to_le_bytes(),
            imm.to_le_bytes(),
        ),
        Endian::Big => (
            (dst << 4) | (src & 0xf),
            off.to_be_bytes(),
            imm.to_be_bytes(),
        ),
    };
    [code, regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3]]
}

/// `r0 = *(u32 *)(r1 + off)`.
pub const OP_LDX_W: u8 = 0x61;
/// `ld_imm64` (two slots).
pub const OP_LD_IMM64: u8 = 0x18;
/// `call`.
pub const OP_CALL: u8 = 0x85;
/// `exit`.
pub const OP_EXIT: u8 = 0x95;
/// `r = imm` (64-bit).
pub const OP_MOV64_IMM: u8 = 0xb7;

/// A `.BTF.ext` with no function or line info and these CO-RE blocks:
/// `(section name offset in .BTF, [insn_off, type_id, access_str_off, kind])`.
pub fn btf_ext(endian: Endian, core: &[(u32, Vec<[u32; 4]>)]) -> Vec<u8> {
    let w = |v: u32| match endian {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    };
    let mut relos = Vec::new();
    if !core.is_empty() {
        relos.extend(w(16));
        for (name, records) in core {
            relos.extend(w(*name));
            relos.extend(w(records.len() as u32));
            for r in records {
                for v in r {
                    relos.extend(w(*v));
                }
            }
        }
    }
    let magic = match endian {
        Endian::Little => 0xeb9fu16.to_le_bytes(),
        Endian::Big => 0xeb9fu16.to_be_bytes(),
    };
    let mut out = magic.to_vec();
    out.extend([1, 0]);
    // hdr_len, func_info off/len, line_info off/len, core_relo off/len.
    for v in [32, 0, 0, 0, 0, 0, relos.len() as u32] {
        out.extend(w(v));
    }
    out.extend(relos);
    out
}

/// A signed 32-bit `int` definition.
pub fn int_def(name: &str) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag: false,
        body: Body::Int {
            size: 4,
            info: IntInfo {
                encoding: corex_btf::INT_SIGNED,
                offset: 0,
                bits: 32,
            },
        },
    }
}

/// A VAR of type `ty`.
pub fn var_def(name: &str, ty: TypeId, linkage: corex_btf::Linkage) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag: false,
        body: Body::Var { ty, linkage },
    }
}

/// A struct of `int` members named as given, 4 bytes apart.
pub fn int_struct(name: &str, int: TypeId, members: &[&str]) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag: false,
        body: Body::Composite {
            is_union: false,
            size: 4 * members.len() as u32,
            members: members
                .iter()
                .enumerate()
                .map(|(i, m)| MemberDef {
                    name: (*m).into(),
                    ty: int,
                    bit_offset: 32 * i as u32,
                    bitfield_size: 0,
                })
                .collect(),
        },
    }
}

/// A reference kind (PTR, TYPEDEF, CONST...) to `target`.
pub fn ref_def(name: &str, kind: Kind, target: TypeId) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag: false,
        body: Body::Ref { kind, target },
    }
}

/// The shape of a scaling object (see [`scale_object`]).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Number of programs.
    pub programs: usize,
    /// Programs per ELF section.
    pub per_section: usize,
    /// Number of `.text` functions the programs call (round robin).
    pub subprogs: usize,
}

/// Instructions per program of [`scale_object`].
pub const SCALE_PROG_INSNS: usize = 5;

/// An object with `scale.programs` programs, `scale.per_section` to a
/// section `tp/bench/sN`, each:
///
/// ```text
/// 0: r0 = *(u32 *)(r1 + 0|4)    CO-RE field_byte_offset of task_struct.pid|tgid
/// 1: r1 = map counts            ld_imm64, relocated against the .maps symbol
/// 3: call sub_K                 relocated against .text function sub_K
/// 4: exit
/// ```
///
/// `.text` holds `scale.subprogs` functions (`r0 = 0; exit`); `.maps` one
/// BTF-defined hash map; the license is GPL. The local `struct task_struct
/// { int pid; int tgid; }` matches any kernel's.
pub fn scale_object(scale: Scale) -> Vec<u8> {
    let endian = Endian::Little;
    let per_section = scale.per_section.max(1);
    let subprogs = scale.subprogs.max(1);
    let sections = scale.programs.div_ceil(per_section);

    let mut b = BtfBuilder::new();
    let int = b.add(&int_def("int"));
    let task = b.add(&int_struct("task_struct", int, &["pid", "tgid"]));
    let access = [
        b.add_string("0:0").expect("generated strings hold no NUL"),
        b.add_string("0:1").expect("generated strings hold no NUL"),
    ];
    let map_def = btf_hash_map(&mut b, int);
    let map_var = b.add(&var_def("counts", map_def, corex_btf::Linkage::Global));
    b.add(&TypeDef {
        name: ".maps".into(),
        kflag: false,
        body: Body::Datasec {
            size: 32,
            vars: vec![corex_btf::VarSecInfo {
                ty: map_var,
                offset: 0,
                size: 32,
            }],
        },
    });
    let sec_names: Vec<String> = (0..sections).map(|s| format!("tp/bench/s{s}")).collect();
    let name_offs: Vec<u32> = sec_names
        .iter()
        .map(|n| b.add_string(n).expect("generated strings hold no NUL"))
        .collect();
    let btf = b.to_bytes(endian).expect("generated BTF is writable");

    let mut elf = ElfWriter::new(endian);
    let mut text = Vec::new();
    for _ in 0..subprogs {
        text.extend(insn(endian, OP_MOV64_IMM, 0, 0, 0, 0));
        text.extend(insn(endian, OP_EXIT, 0, 0, 0, 0));
    }
    let text_sec = elf.code(b".text", text);
    let maps_sec = elf.section(b".maps", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vec![0; 32]);
    elf.section(
        b"license",
        SHT_PROGBITS,
        SHF_ALLOC | SHF_WRITE,
        b"GPL\0".to_vec(),
    );
    let mut prog_secs = Vec::with_capacity(sections);
    let mut core = Vec::with_capacity(sections);
    for (s, name) in sec_names.iter().enumerate() {
        let count = per_section.min(scale.programs - s * per_section);
        let mut code = Vec::with_capacity(count * SCALE_PROG_INSNS * 8);
        let mut records = Vec::with_capacity(count);
        for p in 0..count {
            let field = (s * per_section + p) % 2;
            records.push([(code.len()) as u32, task.0, access[field], 0]);
            code.extend(insn(endian, OP_LDX_W, 0, 1, 4 * field as i16, 0));
            code.extend(insn(endian, OP_LD_IMM64, 1, 1, 0, 0));
            code.extend(insn(endian, 0, 0, 0, 0, 0));
            code.extend(insn(endian, OP_CALL, 0, 1, 0, -1));
            code.extend(insn(endian, OP_EXIT, 0, 0, 0, 0));
        }
        prog_secs.push((elf.code(name.as_bytes(), code), count));
        core.push((name_offs[s], records));
    }
    elf.section(b".BTF", SHT_PROGBITS, 0, btf);
    elf.section(b".BTF.ext", SHT_PROGBITS, 0, btf_ext(endian, &core));

    let sub_syms = elf.functions(text_sec, "sub_", subprogs, 16);
    let map_sym = elf.symbol(Symbol::global(b"counts", STT_OBJECT, maps_sec, 0, 32));
    let mut n = 0;
    for &(sec, count) in &prog_secs {
        for p in 0..count {
            let at = (p * SCALE_PROG_INSNS * 8) as u64;
            elf.symbol(Symbol {
                name: format!("prog_{n}").into_bytes(),
                value: at,
                size: (SCALE_PROG_INSNS * 8) as u64,
                shndx: sec,
                bind: STB_GLOBAL,
                kind: STT_FUNC,
            });
            elf.rel(sec, at + 8, map_sym, R_BPF_64_64);
            elf.rel(sec, at + 24, sub_syms[n % subprogs], R_BPF_64_32);
            n += 1;
        }
    }
    elf.finish()
}

/// `struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024);
/// __type(key, int); __type(value, int); }`, 32 bytes; returns its id.
pub fn btf_hash_map(b: &mut BtfBuilder, int: TypeId) -> TypeId {
    let array = |b: &mut BtfBuilder, n: u32| {
        b.add(&TypeDef {
            name: String::new(),
            kflag: false,
            body: Body::Array {
                elem: int,
                index: int,
                nelems: n,
            },
        })
    };
    let hash = array(b, 1);
    let hash_ptr = b.add(&ref_def("", Kind::Ptr, hash));
    let entries = array(b, 1024);
    let entries_ptr = b.add(&ref_def("", Kind::Ptr, entries));
    let int_ptr = b.add(&ref_def("", Kind::Ptr, int));
    let member = |name: &str, ty: TypeId, at: u32| MemberDef {
        name: name.into(),
        ty,
        bit_offset: at * 64,
        bitfield_size: 0,
    };
    b.add(&TypeDef {
        name: String::new(),
        kflag: false,
        body: Body::Composite {
            is_union: false,
            size: 32,
            members: vec![
                member("type", hash_ptr, 0),
                member("max_entries", entries_ptr, 1),
                member("key", int_ptr, 2),
                member("value", int_ptr, 3),
            ],
        },
    })
}
