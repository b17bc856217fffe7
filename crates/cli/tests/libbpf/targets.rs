//! Synthetic target BTFs: the running kernel's BTF plus corex's test types
//! (`bpf/core-tests/target_types.o`), then edited one way per variant with
//! corex's BTF writer — renamed, moved, nested, retyped and duplicated
//! members, removed, changed and widened enumerators — the changes that
//! happen between real kernels, and the ones that make libbpf fail.

use std::path::{Path, PathBuf};

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, Endian, IntInfo, Kind, TypeId, INT_SIGNED};

/// An editable copy of a type table (corex's `BtfBuilder`), with the
/// lookups the variants below use; every lookup panics on a missing type.
pub struct TypeTable(BtfBuilder);

impl TypeTable {
    /// Every type of `btf` (its base's included), ids preserved.
    pub fn from_btf(btf: &Btf) -> TypeTable {
        TypeTable(BtfBuilder::from_btf(btf))
    }

    /// Appends every type of `btf`, renumbering its references.
    pub fn append(&mut self, btf: &Btf) {
        self.0.add_btf(btf);
    }

    /// Adds a type and returns its id.
    pub fn add(&mut self, def: TypeDef) -> TypeId {
        self.0.add(&def)
    }

    /// The first type of this kind and name.
    pub fn find(&self, kind: Kind, name: &str) -> TypeId {
        self.0
            .find(kind, name)
            .unwrap_or_else(|| panic!("no {kind:?} '{name}' in the target BTF"))
    }

    /// The definition with this id.
    pub fn def(&self, id: TypeId) -> &TypeDef {
        self.0.get(id).unwrap_or_else(|| panic!("no type [{id}]"))
    }

    /// The definition with this id, to edit.
    pub fn def_mut(&mut self, id: TypeId) -> &mut TypeDef {
        self.0
            .get_mut(id)
            .unwrap_or_else(|| panic!("no type [{id}]"))
    }

    /// The members of the first struct (or union) called `name`.
    pub fn members_mut(&mut self, kind: Kind, name: &str) -> &mut Vec<MemberDef> {
        let id = self.find(kind, name);
        self.def_mut(id)
            .members_mut()
            .expect("find() checked the kind")
    }

    /// A member of the first struct called `owner`.
    pub fn member_mut(&mut self, owner: &str, member: &str) -> &mut MemberDef {
        self.members_mut(Kind::Struct, owner)
            .iter_mut()
            .find(|m| m.name == member)
            .unwrap_or_else(|| panic!("no member {owner}.{member}"))
    }

    /// Sets the byte size of the first struct called `name`.
    pub fn set_struct_size(&mut self, name: &str, new_size: u32) {
        let id = self.find(Kind::Struct, name);
        if let Body::Composite { size, .. } = &mut self.def_mut(id).body {
            *size = new_size;
        }
    }

    /// The enumerators of the first enum called `name`.
    pub fn enum_mut(&mut self, name: &str) -> (&mut bool, &mut u32, &mut Vec<(String, i64)>) {
        let id = self.find(Kind::Enum, name);
        match &mut self.def_mut(id).body {
            Body::Enum { is64, size, values } => (is64, size, values),
            _ => unreachable!("find() checked the kind"),
        }
    }

    /// An INT with this name (added if missing).
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> TypeId {
        match self.0.find(Kind::Int, name) {
            Some(id) => id,
            None => self.add(TypeDef::int(
                name,
                size,
                if signed { INT_SIGNED } else { 0 },
            )),
        }
    }

    /// A new pointer to `target`.
    pub fn ptr(&mut self, target: TypeId) -> TypeId {
        self.add(TypeDef::ptr(target))
    }

    /// Raw little-endian BTF.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0
            .to_bytes(Endian::Little)
            .unwrap_or_else(|e| panic!("a synthetic target does not fit BTF: {e}"))
    }
}

/// A target BTF written to a file.
#[derive(Clone)]
pub struct Target {
    /// Short name, e.g. `kernel` or `synthetic:rename`.
    pub name: String,
    /// Path of the BTF file (raw BTF or an ELF object).
    pub path: PathBuf,
}

/// One edit on top of the `base` synthetic target.
struct Variant {
    name: &'static str,
    edit: fn(&mut TypeTable),
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "base",
        edit: |_| {},
    },
    Variant {
        name: "syscall-nr",
        edit: syscall_nr,
    },
    Variant {
        name: "tcphdr-seque",
        edit: tcphdr_seque,
    },
    Variant {
        name: "rename",
        edit: rename,
    },
    Variant {
        name: "move",
        edit: move_members,
    },
    Variant {
        name: "nest",
        edit: nest,
    },
    Variant {
        name: "retype",
        edit: retype,
    },
    Variant {
        name: "retype-ptr",
        edit: retype_ptr,
    },
    Variant {
        name: "dup",
        edit: duplicate,
    },
    Variant {
        name: "enum",
        edit: enum_values,
    },
    Variant {
        name: "enum64",
        edit: enum64,
    },
    Variant {
        name: "errors",
        edit: errors,
    },
];

/// Builds every synthetic variant from `kernel` (raw BTF) and
/// `target_types` (an object whose BTF holds the test types) into `dir`.
pub fn write_synthetic(kernel: &Path, target_types: &Path, dir: &Path) -> Vec<Target> {
    let kernel_btf = read_btf(kernel);
    let types_btf = read_btf(target_types);
    let mut base = TypeTable::from_btf(&kernel_btf);
    base.append(&types_btf);
    make_base(&mut base);
    VARIANTS
        .iter()
        .map(|v| {
            let mut table = TypeTable(base.0.clone());
            (v.edit)(&mut table);
            let path = dir.join(format!("synthetic-{}.btf", v.name));
            std::fs::write(&path, table.to_bytes())
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            // The written BTF must read back.
            read_btf(&path);
            Target {
                name: format!("synthetic:{}", v.name),
                path,
            }
        })
        .collect()
}

fn read_btf(path: &Path) -> Btf {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    corex_btf::load(&data, None)
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
        .btf
}

/// What every variant shares, beyond clang's view of target_types.c: enums
/// with negative values are signed (pahole sets the kflag; clang 14 does
/// not) and `corex_e64` is an ENUM64 holding 1 << 32 (clang 14 cannot write
/// one).
fn make_base(t: &mut TypeTable) {
    for name in ["corex_color", "corex_sgn_enum"] {
        let id = t.find(Kind::Enum, name);
        t.def_mut(id).kflag = true;
    }
    let (is64, size, values) = t.enum_mut("corex_e64");
    *is64 = true;
    *size = 8;
    values[0].1 = 1 << 32;
}

/// The syscall tracepoint context's `nr` renamed to `__syscall_nr`.
fn syscall_nr(t: &mut TypeTable) {
    t.member_mut("syscall_trace_enter", "nr").name = "__syscall_nr".into();
}

/// The tutorial's example: tcphdr's `seq` renamed to `seque` and swapped
/// with `ack_seq`.
fn tcphdr_seque(t: &mut TypeTable) {
    let seq = t.member_mut("tcphdr", "seq").bit_offset;
    let ack = t.member_mut("tcphdr", "ack_seq").bit_offset;
    let m = t.member_mut("tcphdr", "seq");
    m.name = "seque".into();
    m.bit_offset = ack;
    t.member_mut("tcphdr", "ack_seq").bit_offset = seq;
}

/// Renamed members: `i32` becomes `old_i32` (what the `___old` flavor
/// reads), `corex_inner.tag` becomes `label`.
fn rename(t: &mut TypeTable) {
    t.member_mut("corex_test_s", "i32").name = "old_i32".into();
    t.member_mut("corex_inner", "tag").name = "label".into();
    t.members_mut(Kind::Union, "corex_un")[1].name = "ll".into();
}

/// Members swapped with others of their size, bitfields reordered, `arr`
/// shrunk to 2 elements (so `arr[3]` is out of bounds) and a member added
/// after `flex` (so it is no longer a flexible array).
fn move_members(t: &mut TypeTable) {
    for (a, b) in [("i32", "u32"), ("i64", "u64"), ("s8", "u8")] {
        let off_a = t.member_mut("corex_test_s", a).bit_offset;
        let off_b = t.member_mut("corex_test_s", b).bit_offset;
        t.member_mut("corex_test_s", a).bit_offset = off_b;
        t.member_mut("corex_test_s", b).bit_offset = off_a;
    }
    // bf_b:9 then bf_a:3 becomes bf_a:3 then bf_b:9.
    let start = t.member_mut("corex_test_s", "bf_b").bit_offset;
    t.member_mut("corex_test_s", "bf_a").bit_offset = start;
    t.member_mut("corex_test_s", "bf_b").bit_offset = start + 3;
    let arr = t.member_mut("corex_test_s", "arr").ty;
    let mut shorter = t.def(arr).clone();
    if let Body::Array { nelems, .. } = &mut shorter.body {
        *nelems = 2;
    }
    let shorter = t.add(shorter);
    t.member_mut("corex_test_s", "arr").ty = shorter;
    let flex = t.member_mut("corex_test_s", "flex").clone();
    let int = t.int("int", 4, true);
    t.members_mut(Kind::Struct, "corex_test_s").push(MemberDef {
        name: "after_flex".into(),
        ty: int,
        ..flex
    });
    let id = t.find(Kind::Struct, "corex_test_s");
    if let Body::Composite { size, .. } = &mut t.def_mut(id).body {
        *size += 8;
    }
}

/// `s16` moved into an anonymous struct, `inner_ptr` into an anonymous
/// union (same offsets).
fn nest(t: &mut TypeTable) {
    for (name, is_union, extra) in [
        ("s16", false, None),
        ("inner_ptr", true, Some("inner_addr")),
    ] {
        let member = t.member_mut("corex_test_s", name).clone();
        let size = match t.def(member.ty).body {
            Body::Int { size, .. } => size,
            _ => 8,
        };
        let mut members = vec![MemberDef {
            bit_offset: 0,
            ..member.clone()
        }];
        if let Some(extra) = extra {
            let ulong = t.int("unsigned long", 8, false);
            members.push(MemberDef::new(extra, ulong, 0));
        }
        let anon = t.add(if is_union {
            TypeDef::union("", size, members)
        } else {
            TypeDef::structure("", size, members)
        });
        let m = t.member_mut("corex_test_s", name);
        m.name = String::new();
        m.ty = anon;
    }
}

/// Members whose types changed size: unsigned ones shrink or grow (libbpf
/// adjusts the load), signed ones make libbpf poison the load; an array's
/// element, a bitfield's width and a function pointer's parameter change;
/// the typedef `corex_u32_t` names a struct, `corex_cb_t` a function of one
/// parameter.
fn retype(t: &mut TypeTable) {
    let u16_ = t.int("unsigned short", 2, false);
    let u64_ = t.int("unsigned long long", 8, false);
    let s32 = t.int("int", 4, true);
    let u8_ = t.int("unsigned char", 1, false);
    let s16 = t.int("short", 2, true);
    t.member_mut("corex_test_s", "u32").ty = u16_;
    t.member_mut("corex_test_s", "td32").ty = u64_;
    t.member_mut("corex_test_s", "s16").ty = s32;
    t.member_mut("corex_test_s", "i64").ty = s32;
    t.member_mut("corex_inner", "b").ty = u8_;
    t.member_mut("corex_test_s", "sbf").bitfield_size = 20;
    let arr = t.member_mut("corex_test_s", "arr").ty;
    let Body::Array { index, nelems, .. } = t.def(arr).body else {
        panic!("corex_test_s.arr is not an array");
    };
    let shorts = t.add(TypeDef::array(s16, index, nelems));
    t.member_mut("corex_test_s", "arr").ty = shorts;
    let cb_ptr = t.member_mut("corex_fn", "cb").ty;
    let Body::Ref { target: proto, .. } = t.def(cb_ptr).body else {
        panic!("corex_fn.cb is not a pointer");
    };
    let mut new_proto = t.def(proto).clone();
    if let Body::FuncProto { params, .. } = &mut new_proto.body {
        params[1].1 = s32;
    }
    let new_proto = t.add(new_proto);
    let new_ptr = t.ptr(new_proto);
    t.member_mut("corex_fn", "cb").ty = new_ptr;
    let inner = t.find(Kind::Struct, "corex_inner");
    let u32_alias = t.find(Kind::Typedef, "corex_u32_t");
    t.def_mut(u32_alias).body = Body::Ref {
        kind: Kind::Typedef,
        target: inner,
    };
    let cb_alias = t.find(Kind::Typedef, "corex_cb_t");
    let Body::Ref { target: cb_ptr, .. } = t.def(cb_alias).body else {
        panic!("corex_cb_t is not a typedef");
    };
    let Body::Ref { target: proto, .. } = t.def(cb_ptr).body else {
        panic!("corex_cb_t is not a function pointer");
    };
    let mut unary = t.def(proto).clone();
    if let Body::FuncProto { params, .. } = &mut unary.body {
        params.truncate(1);
    }
    let unary = t.add(unary);
    let unary_ptr = t.ptr(unary);
    t.def_mut(cb_alias).body = Body::Ref {
        kind: Kind::Typedef,
        target: unary_ptr,
    };
}

/// Integers become pointers and back, an enum becomes an int, a struct
/// member a forward declaration, an array's elements pointers, and `i32` an
/// old-style bitfield INT (non-zero encoding offset): no longer compatible,
/// so the members are as good as missing.
fn retype_ptr(t: &mut TypeTable) {
    let int = t.int("int", 4, true);
    let int_ptr = t.ptr(int);
    let void_ptr = t.ptr(TypeId(0));
    let ulong = t.int("unsigned long", 8, false);
    t.member_mut("corex_test_s", "u32").ty = int_ptr;
    t.member_mut("corex_test_s", "inner_ptr").ty = ulong;
    t.member_mut("corex_test_s", "color").ty = int;
    let un = t.find(Kind::Struct, "corex_test_s");
    let anon_union = match &t.def(un).body {
        Body::Composite { members, .. } => members
            .iter()
            .find(|m| m.name.is_empty() && t.def(m.ty).kind() == Kind::Union)
            .map(|m| m.ty)
            .expect("corex_test_s has an anonymous union"),
        _ => unreachable!(),
    };
    if let Body::Composite { members, .. } = &mut t.def_mut(anon_union).body {
        members[1].ty = void_ptr;
    }
    let fwd = t.add(TypeDef::fwd("corex_inner", false));
    t.member_mut("corex_test_s", "inner").ty = fwd;
    let info = IntInfo {
        encoding: INT_SIGNED,
        offset: 1,
        bits: 31,
    };
    let shifted_int = t.add(TypeDef::new("int", Body::Int { size: 4, info }));
    t.member_mut("corex_test_s", "i32").ty = shifted_int;
    let arr = t.member_mut("corex_test_s", "arr").ty;
    let mut ptrs = t.def(arr).clone();
    if let Body::Array { elem, .. } = &mut ptrs.body {
        *elem = int_ptr;
    }
    let ptrs = t.add(ptrs);
    t.member_mut("corex_test_s", "arr").ty = ptrs;
}

/// Second definitions: a flavored `corex_test_s___dup` that lacks some
/// members and has `gone`, agreeing with the first on the others (libbpf
/// keeps both candidates, then prunes to the first at the first `i64`
/// relocation, so `gone` is never found), a same-named union and forward
/// declaration (not candidates: wrong kind), and second
/// `corex_amb`/`corex_amb2` that disagree with the first on `b`'s offset or
/// size (libbpf fails: ambiguity).
fn duplicate(t: &mut TypeTable) {
    let id = t.find(Kind::Struct, "corex_test_s");
    let mut dup = t.def(id).clone();
    dup.name = "corex_test_s___dup".into();
    if let Body::Composite { members, .. } = &mut dup.body {
        members.retain(|m| m.name != "i64" && m.name != "matrix");
    }
    let int = t.int("int", 4, true);
    if let Body::Composite { size, members, .. } = &mut dup.body {
        members.push(MemberDef::new("gone", int, *size * 8));
        *size += 8;
    }
    t.add(dup);
    t.add(TypeDef::union(
        "corex_test_s",
        4,
        vec![MemberDef::new("i32", int, 0)],
    ));
    t.add(TypeDef::fwd("corex_test_s", false));
    for name in ["corex_amb", "corex_amb2"] {
        let id = t.find(Kind::Struct, name);
        let mut second = t.def(id).clone();
        if let Body::Composite { size, members, .. } = &mut second.body {
            *size = 16;
            let b = members
                .iter_mut()
                .find(|m| m.name == "b")
                .expect("member b");
            if name == "corex_amb" {
                b.bit_offset = 64;
            } else {
                b.ty = int;
            }
        }
        t.add(second);
    }
}

/// Enumerators removed and changed: `COREX_BLUE` and `PIDTYPE_SID` gone,
/// `COREX_GREEN` now 7, `COREX_WIDE_HIGH` the largest 32-bit value and
/// `corex_wide` signed.
fn enum_values(t: &mut TypeTable) {
    let wide = t.find(Kind::Enum, "corex_wide");
    t.def_mut(wide).kflag = true;
    t.enum_mut("corex_color")
        .2
        .retain(|(n, _)| n != "COREX_BLUE");
    for (n, v) in t.enum_mut("corex_color").2.iter_mut() {
        if n == "COREX_GREEN" {
            *v = 7;
        }
    }
    t.enum_mut("pid_type").2.retain(|(n, _)| n != "PIDTYPE_SID");
    t.enum_mut("corex_wide").2[1].1 = i64::from(i32::MAX);
}

/// Enums made 64-bit: `corex_wide` (with a value above 2^32),
/// `corex_color` (signed) and the kernel's `pid_type`.
fn enum64(t: &mut TypeTable) {
    for name in ["corex_wide", "corex_color", "pid_type"] {
        let (is64, size, values) = t.enum_mut(name);
        *is64 = true;
        *size = 8;
        if name == "corex_wide" {
            values[1].1 = 1 << 40;
        }
    }
}

/// The error cases' types: `corex_big.x` beyond a load's 16-bit offset,
/// `corex_wide_mem.v` a 16-byte integer, `corex_bits.f` across a 64-bit
/// boundary.
fn errors(t: &mut TypeTable) {
    t.member_mut("corex_big", "x").bit_offset = 40_000 * 8;
    t.set_struct_size("corex_big", 40_004);
    let u128_ = t.int("unsigned __int128", 16, false);
    t.member_mut("corex_wide_mem", "v").ty = u128_;
    t.set_struct_size("corex_wide_mem", 16);
    t.member_mut("corex_bits", "f").bit_offset = 60;
    t.set_struct_size("corex_bits", 16);
}
