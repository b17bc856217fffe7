//! Synthetic BTF for the engine tests: a small builder over corex_btf's
//! writer, and a resolver that runs one record against a target.

#![allow(dead_code)]

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Btf, CoreRelo, Endian, IntInfo, Kind, Linkage, TypeId};
use corex_object::core::{Relocator, Resolution, Target};

/// Builds one BTF type by type.
pub struct B(pub BtfBuilder);

fn def(name: &str, kflag: bool, body: Body) -> TypeDef {
    TypeDef {
        name: name.into(),
        kflag,
        body,
    }
}

impl B {
    pub fn new() -> B {
        B(BtfBuilder::new())
    }
    pub fn int(&mut self, name: &str, size: u32, signed: bool) -> TypeId {
        let info = IntInfo {
            encoding: u8::from(signed),
            offset: 0,
            bits: (size * 8) as u8,
        };
        self.0.add(&def(name, false, Body::Int { size, info }))
    }
    pub fn float(&mut self, name: &str, size: u32) -> TypeId {
        self.0.add(&def(name, false, Body::Float { size }))
    }
    pub fn reference(&mut self, kind: Kind, name: &str, target: TypeId) -> TypeId {
        self.0.add(&def(name, false, Body::Ref { kind, target }))
    }
    pub fn ptr(&mut self, target: TypeId) -> TypeId {
        self.reference(Kind::Ptr, "", target)
    }
    pub fn typedef(&mut self, name: &str, target: TypeId) -> TypeId {
        self.reference(Kind::Typedef, name, target)
    }
    pub fn array(&mut self, elem: TypeId, nelems: u32) -> TypeId {
        self.0.add(&def(
            "",
            false,
            Body::Array {
                elem,
                index: elem,
                nelems,
            },
        ))
    }
    /// A struct (or union) with `(name, type, bit offset, bitfield size)` members.
    pub fn composite(
        &mut self,
        name: &str,
        is_union: bool,
        size: u32,
        members: &[(&str, TypeId, u32, u32)],
    ) -> TypeId {
        let kflag = members.iter().any(|m| m.3 > 0);
        let members = members
            .iter()
            .map(|&(n, ty, bit_offset, bitfield_size)| MemberDef {
                name: n.into(),
                ty,
                bit_offset,
                bitfield_size,
            })
            .collect();
        self.0.add(&def(
            name,
            kflag,
            Body::Composite {
                is_union,
                size,
                members,
            },
        ))
    }
    /// A struct with ordinary `(name, type, byte offset)` members.
    pub fn strct(&mut self, name: &str, size: u32, members: &[(&str, TypeId, u32)]) -> TypeId {
        let m: Vec<_> = members
            .iter()
            .map(|&(n, t, off)| (n, t, off * 8, 0))
            .collect();
        self.composite(name, false, size, &m)
    }
    pub fn fwd(&mut self, name: &str, union: bool) -> TypeId {
        self.0.add(&def(name, union, Body::Fwd))
    }
    pub fn enm(&mut self, name: &str, is64: bool, signed: bool, values: &[(&str, i64)]) -> TypeId {
        let values = values.iter().map(|&(n, v)| (n.to_owned(), v)).collect();
        self.0.add(&def(
            name,
            signed,
            Body::Enum {
                is64,
                size: if is64 { 8 } else { 4 },
                values,
            },
        ))
    }
    pub fn func_proto(&mut self, ret: TypeId, params: &[TypeId]) -> TypeId {
        let params = params.iter().map(|&t| (String::new(), t)).collect();
        self.0.add(&def("", false, Body::FuncProto { ret, params }))
    }
    pub fn func(&mut self, name: &str, proto: TypeId) -> TypeId {
        self.0.add(&def(
            name,
            false,
            Body::Func {
                proto,
                linkage: Linkage::Global,
            },
        ))
    }
    /// Adds an access string; returns its offset.
    pub fn s(&mut self, s: &str) -> u32 {
        self.0.add_string(s).expect("a test string fits BTF")
    }
    pub fn finish(&self) -> Btf {
        Btf::parse(&self.0.to_bytes(Endian::Little).expect("fits BTF"))
            .expect("synthetic BTF parses")
    }
}

/// A CO-RE record (the instruction offset does not matter to `resolve`).
pub fn relo(type_id: TypeId, access_str_off: u32, kind: u32) -> CoreRelo {
    CoreRelo {
        insn_off: 0,
        type_id,
        access_str_off,
        kind,
    }
}

/// Resolves one record of `local` against `target` with a fresh cache.
pub fn resolve(local: &Btf, target: &Btf, r: CoreRelo) -> Resolution {
    let t = Target::new(target);
    Relocator::new(&t).resolve(local, &r)
}

pub const BYTE_OFF: u32 = 0;
pub const BYTE_SZ: u32 = 1;
pub const FIELD_EXISTS: u32 = 2;
pub const SIGNED: u32 = 3;
pub const LSHIFT: u32 = 4;
pub const RSHIFT: u32 = 5;
pub const LOCAL_ID: u32 = 6;
pub const TARGET_ID: u32 = 7;
pub const TYPE_EXISTS: u32 = 8;
pub const TYPE_SIZE: u32 = 9;
pub const ENUMVAL_EXISTS: u32 = 10;
pub const ENUMVAL_VALUE: u32 = 11;
pub const TYPE_MATCHES: u32 = 12;
