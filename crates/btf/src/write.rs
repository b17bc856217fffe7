//! Owned type definitions and the writer that serializes them to raw BTF.
//!
//! [`TypeDef`] is the editable form of a type (names as `String`s, lists as
//! `Vec`s); [`Type::to_def`] makes one from a parsed view and [`BtfBuilder`]
//! turns a sequence of them back into bytes. Ids are assigned in the order
//! types are added, starting at 1.

use std::collections::HashMap;

use crate::btf::{Btf, Endian, TypeId, BTF_MAGIC, HEADER_LEN};
use crate::kind::{Kind, Linkage};
use crate::types::{IntInfo, Type, VarSecInfo};

/// A struct or union member, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberDef {
    /// Name (`""` for anonymous).
    pub name: String,
    /// Member type.
    pub ty: TypeId,
    /// Offset in bits.
    pub bit_offset: u32,
    /// Bitfield width in bits, 0 for none (needs the composite's kflag).
    pub bitfield_size: u32,
}

/// The kind-specific part of a [`TypeDef`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// INT.
    Int {
        /// Size in bytes.
        size: u32,
        /// Encoding, bit offset and bit count.
        info: IntInfo,
    },
    /// PTR, TYPEDEF, VOLATILE, CONST, RESTRICT or TYPE_TAG: a reference.
    Ref {
        /// Which of the reference kinds.
        kind: Kind,
        /// The referenced type.
        target: TypeId,
    },
    /// ARRAY.
    Array {
        /// Element type.
        elem: TypeId,
        /// Index type.
        index: TypeId,
        /// Element count.
        nelems: u32,
    },
    /// STRUCT or UNION.
    Composite {
        /// `true` for a union.
        is_union: bool,
        /// Size in bytes.
        size: u32,
        /// Members in order.
        members: Vec<MemberDef>,
    },
    /// ENUM or ENUM64 (chosen by `is64`).
    Enum {
        /// ENUM64 rather than ENUM.
        is64: bool,
        /// Size in bytes.
        size: u32,
        /// Enumerators and their values.
        values: Vec<(String, i64)>,
    },
    /// FWD.
    Fwd,
    /// FUNC.
    Func {
        /// The FUNC_PROTO.
        proto: TypeId,
        /// Linkage.
        linkage: Linkage,
    },
    /// FUNC_PROTO.
    FuncProto {
        /// Return type.
        ret: TypeId,
        /// Parameters: names and types.
        params: Vec<(String, TypeId)>,
    },
    /// VAR.
    Var {
        /// Variable type.
        ty: TypeId,
        /// Linkage.
        linkage: Linkage,
    },
    /// DATASEC.
    Datasec {
        /// Section size.
        size: u32,
        /// Variables.
        vars: Vec<VarSecInfo>,
    },
    /// FLOAT.
    Float {
        /// Size in bytes.
        size: u32,
    },
    /// DECL_TAG.
    DeclTag {
        /// The tagged type.
        target: TypeId,
        /// Member/parameter index, -1 for the declaration itself.
        component_idx: i32,
    },
}

/// An owned, editable type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDef {
    /// Name, `""` for anonymous.
    pub name: String,
    /// The kind flag (bitfield encoding, FWD union, signed enum, tag style).
    pub kflag: bool,
    /// Kind-specific contents.
    pub body: Body,
}

impl TypeDef {
    /// The kind this definition writes.
    pub fn kind(&self) -> Kind {
        match &self.body {
            Body::Int { .. } => Kind::Int,
            Body::Ref { kind, .. } => *kind,
            Body::Array { .. } => Kind::Array,
            Body::Composite {
                is_union: false, ..
            } => Kind::Struct,
            Body::Composite { is_union: true, .. } => Kind::Union,
            Body::Enum { is64: false, .. } => Kind::Enum,
            Body::Enum { is64: true, .. } => Kind::Enum64,
            Body::Fwd => Kind::Fwd,
            Body::Func { .. } => Kind::Func,
            Body::FuncProto { .. } => Kind::FuncProto,
            Body::Var { .. } => Kind::Var,
            Body::Datasec { .. } => Kind::Datasec,
            Body::Float { .. } => Kind::Float,
            Body::DeclTag { .. } => Kind::DeclTag,
        }
    }

    /// Every type id this definition refers to, mutably (to renumber).
    pub fn refs_mut(&mut self) -> Vec<&mut TypeId> {
        match &mut self.body {
            Body::Ref { target, .. } | Body::DeclTag { target, .. } => vec![target],
            Body::Array { elem, index, .. } => vec![elem, index],
            Body::Composite { members, .. } => members.iter_mut().map(|m| &mut m.ty).collect(),
            Body::Func { proto, .. } => vec![proto],
            Body::FuncProto { ret, params } => std::iter::once(ret)
                .chain(params.iter_mut().map(|p| &mut p.1))
                .collect(),
            Body::Var { ty, .. } => vec![ty],
            Body::Datasec { vars, .. } => vars.iter_mut().map(|v| &mut v.ty).collect(),
            Body::Int { .. } | Body::Enum { .. } | Body::Fwd | Body::Float { .. } => vec![],
        }
    }
}

impl Type<'_> {
    /// An owned copy of this type, for editing or writing.
    pub fn to_def(&self) -> TypeDef {
        let kind = self.kind();
        let body = match kind {
            Kind::Void => Body::Fwd,
            Kind::Int => Body::Int {
                size: self.size(),
                info: self.int().unwrap_or(IntInfo::from_word(0)),
            },
            Kind::Ptr
            | Kind::Typedef
            | Kind::Volatile
            | Kind::Const
            | Kind::Restrict
            | Kind::TypeTag => Body::Ref {
                kind,
                target: self.type_id(),
            },
            Kind::Array => {
                let a = self.array().expect("kind checked");
                Body::Array {
                    elem: a.elem,
                    index: a.index,
                    nelems: a.nelems,
                }
            }
            Kind::Struct | Kind::Union => Body::Composite {
                is_union: kind == Kind::Union,
                size: self.size(),
                members: self
                    .members()
                    .map(|m| MemberDef {
                        name: m.name.to_owned(),
                        ty: m.ty,
                        bit_offset: m.bit_offset,
                        bitfield_size: m.bitfield_size,
                    })
                    .collect(),
            },
            Kind::Enum | Kind::Enum64 => Body::Enum {
                is64: kind == Kind::Enum64,
                size: self.size(),
                values: self
                    .enum_values()
                    .map(|v| (v.name.to_owned(), v.value))
                    .collect(),
            },
            Kind::Fwd => Body::Fwd,
            Kind::Func => Body::Func {
                proto: self.type_id(),
                linkage: self.linkage().unwrap_or(Linkage::Static),
            },
            Kind::FuncProto => Body::FuncProto {
                ret: self.type_id(),
                params: self.params().map(|p| (p.name.to_owned(), p.ty)).collect(),
            },
            Kind::Var => Body::Var {
                ty: self.type_id(),
                linkage: self.linkage().unwrap_or(Linkage::Static),
            },
            Kind::Datasec => Body::Datasec {
                size: self.size(),
                vars: self.datasec_vars().collect(),
            },
            Kind::Float => Body::Float { size: self.size() },
            Kind::DeclTag => Body::DeclTag {
                target: self.type_id(),
                component_idx: self.component_idx().unwrap_or(-1),
            },
        };
        TypeDef {
            name: self.name().to_owned(),
            kflag: self.kflag(),
            body,
        }
    }
}

/// Accumulates types and a deduplicated string table, then writes raw BTF.
#[derive(Debug)]
pub struct BtfBuilder {
    words: Vec<u32>,
    strings: Vec<u8>,
    string_ids: HashMap<String, u32>,
    next_id: u32,
}

impl Default for BtfBuilder {
    fn default() -> Self {
        BtfBuilder::new()
    }
}

impl BtfBuilder {
    /// An empty builder; the first type added gets id 1.
    pub fn new() -> BtfBuilder {
        BtfBuilder {
            words: Vec::new(),
            strings: vec![0],
            string_ids: HashMap::from([(String::new(), 0)]),
            next_id: 1,
        }
    }

    /// The id the next added type will get.
    pub fn next_id(&self) -> TypeId {
        TypeId(self.next_id)
    }

    /// Adds a string (once) and returns its offset.
    pub fn add_string(&mut self, s: &str) -> u32 {
        if let Some(&off) = self.string_ids.get(s) {
            return off;
        }
        let off = self.strings.len() as u32;
        self.strings.extend_from_slice(s.as_bytes());
        self.strings.push(0);
        self.string_ids.insert(s.to_owned(), off);
        off
    }

    /// Appends a type and returns its id.
    pub fn add(&mut self, def: &TypeDef) -> TypeId {
        let name = self.add_string(&def.name);
        let kind = def.kind();
        let (vlen, third): (usize, u32) = match &def.body {
            Body::Int { size, .. } | Body::Float { size } => (0, *size),
            Body::Ref { target, .. } | Body::DeclTag { target, .. } => (0, target.0),
            Body::Array { .. } | Body::Fwd => (0, 0),
            Body::Composite { size, members, .. } => (members.len(), *size),
            Body::Enum { size, values, .. } => (values.len(), *size),
            Body::Func { proto, linkage } => (linkage.to_u32() as usize, proto.0),
            Body::FuncProto { ret, params } => (params.len(), ret.0),
            Body::Var { ty, .. } => (0, ty.0),
            Body::Datasec { size, vars } => (vars.len(), *size),
        };
        let info = (u32::from(def.kflag) << 31) | ((kind as u32) << 24) | (vlen as u32 & 0xffff);
        self.words.extend([name, info, third]);
        match &def.body {
            Body::Int { info, .. } => self.words.push(info.to_word()),
            Body::Array {
                elem,
                index,
                nelems,
            } => self.words.extend([elem.0, index.0, *nelems]),
            Body::Composite { members, .. } => {
                for m in members {
                    let name = self.add_string(&m.name);
                    let off = if def.kflag {
                        (m.bitfield_size << 24) | (m.bit_offset & 0x00ff_ffff)
                    } else {
                        m.bit_offset
                    };
                    self.words.extend([name, m.ty.0, off]);
                }
            }
            Body::Enum { is64, values, .. } => {
                for (n, v) in values {
                    let name = self.add_string(n);
                    self.words.push(name);
                    self.words.push(*v as u32);
                    if *is64 {
                        self.words.push((*v as u64 >> 32) as u32);
                    }
                }
            }
            Body::FuncProto { params, .. } => {
                for (n, ty) in params {
                    let name = self.add_string(n);
                    self.words.extend([name, ty.0]);
                }
            }
            Body::Var { linkage, .. } => self.words.push(linkage.to_u32()),
            Body::Datasec { vars, .. } => {
                for v in vars {
                    self.words.extend([v.ty.0, v.offset, v.size]);
                }
            }
            Body::DeclTag { component_idx, .. } => self.words.push(*component_idx as u32),
            Body::Ref { .. } | Body::Fwd | Body::Func { .. } | Body::Float { .. } => {}
        }
        let id = TypeId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Serializes everything added so far: header, types, strings.
    pub fn finish(&self, endian: Endian) -> Vec<u8> {
        let type_len = self.words.len() as u32 * 4;
        let mut out =
            Vec::with_capacity(HEADER_LEN as usize + type_len as usize + self.strings.len());
        let magic = match endian {
            Endian::Little => BTF_MAGIC.to_le_bytes(),
            Endian::Big => BTF_MAGIC.to_be_bytes(),
        };
        out.extend_from_slice(&magic);
        out.extend_from_slice(&[1, 0]);
        for w in [HEADER_LEN, 0, type_len, type_len, self.strings.len() as u32] {
            out.extend_from_slice(&endian.write_u32(w));
        }
        for &w in &self.words {
            out.extend_from_slice(&endian.write_u32(w));
        }
        out.extend_from_slice(&self.strings);
        out
    }
}

/// Serializes `btf` (ids preserved) in the given byte order. Split BTF is
/// written standalone, its base's types first, so ids stay the same.
pub fn write(btf: &Btf, endian: Endian) -> Vec<u8> {
    write_defs(btf.types().map(|t| t.to_def()), endian)
}

/// Serializes a sequence of definitions as ids 1, 2, ...
pub fn write_defs(defs: impl IntoIterator<Item = TypeDef>, endian: Endian) -> Vec<u8> {
    let mut b = BtfBuilder::new();
    for d in defs {
        b.add(&d);
    }
    b.finish(endian)
}
