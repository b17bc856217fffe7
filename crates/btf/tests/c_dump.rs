//! The C dumper against bpftool 7.1's `btf dump file F format c`: the running
//! kernel, Debian's kernels and modules, the BPF objects in `tests/c_dump/`
//! (rebuilt by its `build.sh`) and BTF built here, compared byte for byte;
//! generated headers compiled with clang. Type graphs C cannot express are
//! in `c_dump_errors.rs`.

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{
    assert_same_text, c_dump as corex_c, load, params, read, running_kernel, scratch_file, values,
};
use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, Endian, IntInfo, Kind, Linkage, TypeId, INT_SIGNED};
use corex_testkit::{bpftool, kernel_file, repo_root, run};

/// bpftool's C dump of `file`, split on `base` if given.
fn bpftool_c(file: &Path, base: Option<&Path>) -> Vec<u8> {
    let mut args = Vec::new();
    if let Some(b) = base {
        args.extend(["-B", b.to_str().expect("UTF-8 path")]);
    }
    args.extend(["btf", "dump", "file", file.to_str().expect("UTF-8 path")]);
    args.extend(["format", "c"]);
    bpftool(&args)
}

/// Dumps `file` with corex and bpftool and asserts the two are identical.
fn assert_matches_bpftool(what: &str, btf: &Btf, file: &Path, base: Option<&Path>) {
    let ours = corex_c(btf).unwrap_or_else(|e| panic!("{what}: corex failed: {e}"));
    assert_same_text(what, &ours, &bpftool_c(file, base));
}

/// Writes raw BTF built here to a scratch file, parses it, and compares.
fn assert_built_matches_bpftool(name: &str, b: &BtfBuilder) {
    let bytes = b.to_bytes(Endian::native()).expect("fits BTF");
    let file = scratch_file(&format!("c_dump_{name}.btf"), &bytes);
    let btf = Btf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: cannot parse: {e}"));
    assert_matches_bpftool(name, &btf, &file, None);
}

/// A committed BPF object of this test.
fn object(name: &str) -> PathBuf {
    let p = repo_root().join("crates/btf/tests/c_dump").join(name);
    assert!(
        p.exists(),
        "missing {}: run crates/btf/tests/c_dump/build.sh",
        p.display()
    );
    p
}

const OBJECTS: [&str; 3] = ["decls.o", "layout.o", "names.o"];

#[test]
fn running_kernel_matches_bpftool() {
    let file = running_kernel();
    assert_matches_bpftool("running kernel", &load(&file), &file, None);
}

#[test]
fn bpf_objects_match_bpftool() {
    for name in OBJECTS {
        let file = object(name);
        assert_matches_bpftool(name, &load(&file), &file, None);
    }
}

#[test]
fn debian_kernels_and_modules_match_bpftool() {
    for kernel in ["debian-6.1", "debian-6.12"] {
        let vmlinux = kernel_file(kernel, "vmlinux.btf");
        let base = Arc::new(load(&vmlinux));
        assert_matches_bpftool(kernel, &base, &vmlinux, None);
        // bpftool 7.1 writes the base's types too for split BTF.
        let module = kernel_file(kernel, "modules/veth.ko");
        let btf = corex_btf::load(&read(&module), Some(base.clone()))
            .unwrap_or_else(|e| panic!("{}: {e}", module.display()))
            .btf;
        let what = format!("{kernel} veth.ko");
        assert_matches_bpftool(&what, &btf, &module, Some(&vmlinux));
    }
}

/// Compiles a file including `header` (which declares `type_used`) for BPF.
fn assert_header_compiles(name: &str, header: &[u8], type_used: &str) {
    let header_file = scratch_file(&format!("c_dump_{name}.h"), header);
    let source = format!(
        "#include \"{}\"\nint use_it({type_used} *p) {{ return sizeof(*p) > 0; }}\n",
        header_file.display()
    );
    let source_file = scratch_file(&format!("c_dump_{name}_user.c"), source.as_bytes());
    let object = source_file.with_extension("o");
    run(Command::new("clang")
        .args(["-target", "bpf", "-O2", "-Wall", "-Werror", "-c"])
        .arg(&source_file)
        .arg("-o")
        .arg(&object));
}

#[test]
fn vmlinux_header_compiles() {
    let header = corex_c(&load(&running_kernel())).expect("running kernel dumps");
    assert_header_compiles("vmlinux", &header, "struct task_struct");
}

#[test]
fn object_headers_compile() {
    // names.o's header repeats libbpf's clash of a suffixed `dup___2` with a
    // real `dup___2`, so it is compared but not compiled.
    for (name, type_used) in [
        ("decls.o", "struct ops"),
        ("layout.o", "struct anon_members"),
    ] {
        let header = corex_c(&load(&object(name))).expect("object dumps");
        assert_header_compiles(name, &header, type_used);
    }
}

/// Kinds and corners clang 14 does not emit: ENUM64, signed enums, empty
/// enums and FWDs sharing names, GCC's `__Poly8_t` and `__gnuc_va_list`,
/// kflag type tags, truncated long suffixed names, unreferenced and
/// return-type-only anonymous enums, skipped FUNC/VAR/DATASEC/DECL_TAG.
#[test]
fn built_kinds_match_bpftool() {
    let mut b = BtfBuilder::new();
    let int_t = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    let char_t = b.add(&TypeDef::int("char", 1, INT_SIGNED));
    b.add(&TypeDef::new(
        "long int",
        Body::Int {
            size: 8,
            info: IntInfo {
                encoding: INT_SIGNED,
                offset: 0,
                bits: 64,
            },
        },
    ));
    let e64s = b.add(&TypeDef::enumeration(
        "e64s",
        true,
        8,
        true,
        values(&[("NEG", -5), ("BIG", 1 << 40)]),
    ));
    let e64u = b.add(&TypeDef::enumeration(
        "e64u",
        true,
        8,
        false,
        values(&[("U1", 5), ("UMAX", -1)]),
    ));
    let e32s = b.add(&TypeDef::enumeration(
        "e32s",
        false,
        4,
        true,
        values(&[("M1", -1), ("U1", 1)]),
    ));
    let e32u = b.add(&TypeDef::enumeration(
        "e32u",
        false,
        4,
        false,
        values(&[("MAXU", 0xffff_ffff)]),
    ));
    let e8 = b.add(&TypeDef::enumeration(
        "e8",
        false,
        1,
        false,
        values(&[("B1", 1)]),
    ));
    let e8w = b.add(&TypeDef::enumeration(
        "e8w",
        false,
        8,
        false,
        values(&[("W1", 1)]),
    ));
    let ef1 = b.add(&TypeDef::enumeration("efwd", true, 8, false, values(&[])));
    let ef2 = b.add(&TypeDef::enumeration("efwd", true, 8, false, values(&[])));
    let ef3 = b.add(&TypeDef::enumeration(
        "efwd32",
        false,
        4,
        false,
        values(&[]),
    ));
    let ef4 = b.add(&TypeDef::enumeration(
        "efwd32",
        false,
        4,
        false,
        values(&[]),
    ));
    let fwd_s = b.add(&TypeDef::fwd("s_fwd", false));
    let fwd_u = b.add(&TypeDef::fwd("s_fwd", true));
    let poly = b.add(&TypeDef::int("__Poly8_t", 1, 0));
    let poly_td = b.add(&TypeDef::reference(Kind::Typedef, "poly8x", poly));
    let gnuc = b.add(&TypeDef::reference(
        Kind::Typedef,
        "__gnuc_va_list",
        TypeId::VOID,
    ));
    let char_ptr = b.add(&TypeDef::reference(Kind::Ptr, "", char_t));
    let builtin = b.add(&TypeDef::reference(
        Kind::Typedef,
        "__builtin_va_list",
        char_ptr,
    ));
    let tagk = b.add(&TypeDef {
        kflag: true,
        ..TypeDef::reference(Kind::TypeTag, "tagk", int_t)
    });
    let tag_ptr = b.add(&TypeDef::reference(Kind::Ptr, "", tagk));
    let void_proto = b.add(&TypeDef::func_proto(int_t, params(&[])));
    let void_fp = b.add(&TypeDef::reference(Kind::Ptr, "", void_proto));
    let vararg = b.add(&TypeDef::func_proto(
        TypeId::VOID,
        params(&[("fmt", char_ptr), ("", TypeId::VOID)]),
    ));
    let vararg_fp = b.add(&TypeDef::reference(Kind::Ptr, "", vararg));
    let one_void = b.add(&TypeDef::func_proto(int_t, params(&[("", TypeId::VOID)])));
    let one_void_fp = b.add(&TypeDef::reference(Kind::Ptr, "", one_void));
    b.add(&TypeDef::enumeration(
        "",
        false,
        4,
        false,
        values(&[("TOP_CONST", 42), ("U1", 2)]),
    ));
    let ret_enum = b.add(&TypeDef::enumeration(
        "",
        false,
        4,
        false,
        values(&[("RET_ONLY", 1)]),
    ));
    let ret_proto = b.add(&TypeDef::func_proto(ret_enum, params(&[("x", int_t)])));
    b.add(&TypeDef::new(
        "func",
        Body::Func {
            proto: ret_proto,
            linkage: Linkage::Global,
        },
    ));
    let float_t = b.add(&TypeDef::new("float", Body::Float { size: 4 }));
    let ldouble = b.add(&TypeDef::new("long double", Body::Float { size: 16 }));
    let i128 = b.add(&TypeDef::int("__int128", 16, INT_SIGNED));
    let long_name = "n".repeat(253);
    let long1 = b.add(&TypeDef::structure(
        &long_name,
        4,
        vec![MemberDef::new("x", int_t, 0)],
    ));
    let long2 = b.add(&TypeDef::structure(
        &long_name,
        1,
        vec![MemberDef::new("y", char_t, 0)],
    ));
    let members = [
        ("a", e64s),
        ("b", e64u),
        ("c", e32s),
        ("d", e32u),
        ("e", e8),
        ("f", e8w),
        ("g", ef1),
        ("h", ef2),
        ("i", ef3),
        ("j", ef4),
        ("k", poly_td),
        ("l", gnuc),
        ("m", builtin),
        ("n", tag_ptr),
        ("o", void_fp),
        ("p", vararg_fp),
        ("q", one_void_fp),
        ("r", float_t),
        ("s", ldouble),
        ("t", i128),
        ("u", long1),
        ("v", long2),
    ];
    let mut offset = 0;
    let mut defs = Vec::new();
    for (name, ty) in members {
        defs.push(MemberDef::new(name, ty, offset * 8));
        offset += 16;
    }
    let fwd_ptr_s = b.add(&TypeDef::reference(Kind::Ptr, "", fwd_s));
    let fwd_ptr_u = b.add(&TypeDef::reference(Kind::Ptr, "", fwd_u));
    defs.push(MemberDef::new("w", fwd_ptr_s, offset * 8));
    defs.push(MemberDef::new("x", fwd_ptr_u, offset * 8 + 64));
    let all = b.add(&TypeDef::structure("all", offset + 24, defs));
    let var = b.add(&TypeDef::new(
        "g_all",
        Body::Var {
            ty: all,
            linkage: Linkage::Global,
        },
    ));
    b.add(&TypeDef::new(
        ".bss",
        Body::Datasec {
            size: offset + 24,
            vars: vec![corex_btf::VarSecInfo {
                ty: var,
                offset: 0,
                size: offset + 24,
            }],
        },
    ));
    b.add(&TypeDef::new(
        "tag",
        Body::DeclTag {
            target: all,
            component_idx: 1,
        },
    ));
    assert_built_matches_bpftool("kinds", &b);
}

/// With a 4-byte `long`, libbpf pads with `long: 32` and sizes pointers 4.
#[test]
fn four_byte_long_matches_bpftool() {
    let mut b = BtfBuilder::new();
    let int_t = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    let long_t = b.add(&TypeDef::int("unsigned long", 4, 0));
    let ptr = b.add(&TypeDef::reference(Kind::Ptr, "", int_t));
    let members = vec![
        MemberDef::new("a", ptr, 0),
        MemberDef::new("b", long_t, 32),
        MemberDef::new("c", int_t, 128),
        MemberDef::new("d", ptr, 256),
    ];
    b.add(&TypeDef::structure("ilp32", 48, members));
    assert_built_matches_bpftool("ilp32", &b);
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A member type of the random layouts: id, size, alignment, whether it
/// can be a bitfield.
#[derive(Clone, Copy)]
struct Field {
    ty: TypeId,
    size: u32,
    align: u32,
    bits_ok: bool,
}

/// A thousand random struct and union layouts (holes, bitfields, packing,
/// over-alignment, nesting) in one BTF: libbpf's padding and packing rules
/// exercised far beyond what a C file spells out.
#[test]
fn random_layouts_match_bpftool() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut b = BtfBuilder::new();
    let mut fields = Vec::new();
    for (name, size, signed) in [
        ("char", 1, true),
        ("unsigned char", 1, false),
        ("short", 2, true),
        ("int", 4, true),
        ("unsigned int", 4, false),
        ("long", 8, true),
        ("unsigned __int128", 16, false),
    ] {
        let ty = b.add(&TypeDef::int(
            name,
            size,
            if signed { INT_SIGNED } else { 0 },
        ));
        fields.push(Field {
            ty,
            size,
            align: size.min(8),
            bits_ok: size <= 8,
        });
    }
    for size in [1u32, 2, 4, 8] {
        let ty = b.add(&TypeDef::enumeration(
            format!("e{size}"),
            size == 8,
            size,
            false,
            values(&[("X", 1)]),
        ));
        fields.push(Field {
            ty,
            size,
            align: size,
            bits_ok: true,
        });
    }
    let ptr = b.add(&TypeDef::reference(Kind::Ptr, "", TypeId::VOID));
    fields.push(Field {
        ty: ptr,
        size: 8,
        align: 8,
        bits_ok: false,
    });
    let index = fields[4].ty;
    let scalars = fields.len() as u64;
    for n in 0..1000 {
        // Anonymous composites are written inline at each use: keep them
        // to scalar members, or the header grows exponentially.
        let named = n % 5 != 0;
        let choices = if named { fields.len() as u64 } else { scalars };
        let is_union = rng.chance(15);
        let packed = rng.chance(20);
        let mut members = Vec::new();
        let (mut end, mut max_align, mut bits) = (0u32, 1u32, 0u32);
        for m in 0..1 + rng.below(8) {
            let mut f = fields[rng.below(choices) as usize];
            if f.size < 256 && rng.chance(10) {
                let nelems = rng.below(4) as u32;
                let ty = b.add(&TypeDef::new(
                    "",
                    Body::Array {
                        elem: f.ty,
                        index,
                        nelems,
                    },
                ));
                f = Field {
                    ty,
                    size: f.size * nelems,
                    align: f.align,
                    bits_ok: false,
                };
            }
            let bitfield = f.bits_ok && rng.chance(35);
            let mut off = if is_union { 0 } else { end };
            if !is_union && rng.chance(15) {
                off += if bitfield {
                    rng.below(40)
                } else {
                    8 * rng.below(20)
                } as u32;
            }
            let width = if bitfield {
                1 + rng.below(u64::from(f.size) * 8) as u32
            } else {
                0
            };
            if !bitfield {
                off = off.next_multiple_of(8);
                if !packed {
                    off = off.next_multiple_of(f.align * 8);
                }
            }
            members.push(MemberDef::bitfield(format!("m{m}"), f.ty, off, width));
            let size_bits = if bitfield { width } else { f.size * 8 };
            end = end.max(off + size_bits);
            max_align = max_align.max(f.align);
            bits |= width;
        }
        let mut size = end.div_ceil(8);
        if !packed {
            size = size.next_multiple_of(max_align);
        }
        if rng.chance(10) {
            size += rng.below(24) as u32;
        }
        let name = if named {
            format!("r{n}")
        } else {
            String::new()
        };
        let body = Body::Composite {
            is_union,
            size,
            members,
        };
        let ty = b.add(&TypeDef {
            name,
            kflag: bits != 0 || rng.chance(50),
            body,
        });
        let align = if packed { 1 } else { max_align };
        // Big structs only go into pointers' worth of the layouts.
        if size >= 4096 {
            continue;
        }
        fields.push(Field {
            ty,
            size,
            align,
            bits_ok: false,
        });
    }
    assert_built_matches_bpftool("random_layouts", &b);
}

/// Anonymous structs nested deeper than libbpf's 13 levels of indentation.
#[test]
fn deep_anonymous_nesting_matches_bpftool() {
    let mut b = BtfBuilder::new();
    let mut inner = b.add(&TypeDef::int("int", 4, INT_SIGNED));
    for _ in 0..100 {
        inner = b.add(&TypeDef::structure(
            "",
            4,
            vec![MemberDef::new("x", inner, 0)],
        ));
    }
    b.add(&TypeDef::structure(
        "outer",
        4,
        vec![MemberDef::new("nest", inner, 0)],
    ));
    assert_built_matches_bpftool("deep_nesting", &b);
}

/// `struct list { struct list *next; }` and friends are fine.
#[test]
fn cycles_through_named_struct_pointers_are_fine() {
    let mut b = BtfBuilder::new();
    let list = b.next_id();
    b.add(&TypeDef::structure(
        "list",
        8,
        vec![MemberDef::new("next", TypeId(list.0 + 1), 0)],
    ));
    b.add(&TypeDef::reference(Kind::Ptr, "", list));
    let td = b.add(&TypeDef::reference(Kind::Typedef, "list_t", list));
    let td_ptr = b.add(&TypeDef::reference(Kind::Ptr, "", td));
    let cb = b.add(&TypeDef::func_proto(TypeId::VOID, params(&[("l", td_ptr)])));
    let cb_ptr = b.add(&TypeDef::reference(Kind::Ptr, "", cb));
    b.add(&TypeDef::structure(
        "ops",
        16,
        vec![
            MemberDef::new("cb", cb_ptr, 0),
            MemberDef::new("l", td_ptr, 64),
        ],
    ));
    assert_built_matches_bpftool("named_cycles", &b);
    let out =
        corex_c(&Btf::parse(&b.to_bytes(Endian::native()).expect("fits BTF")).expect("parses"))
            .expect("dumps");
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("struct list {\n\tstruct list *next;\n};"),
        "{text}"
    );
}
