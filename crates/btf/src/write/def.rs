//! [`TypeDef`]: the owned, editable form of a BTF type (names as `String`s,
//! lists as `Vec`s), its constructors, and [`Type::to_def`], which makes one
//! from a parsed view.

use crate::btf::TypeId;
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

impl MemberDef {
    /// An ordinary member at `bit_offset`.
    pub fn new(name: impl Into<String>, ty: TypeId, bit_offset: u32) -> MemberDef {
        MemberDef {
            name: name.into(),
            ty,
            bit_offset,
            bitfield_size: 0,
        }
    }

    /// A bitfield of `bits` bits at `bit_offset` (its struct needs the kind flag,
    /// which [`TypeDef::structure`] and [`TypeDef::union`] set).
    pub fn bitfield(name: impl Into<String>, ty: TypeId, bit_offset: u32, bits: u32) -> MemberDef {
        MemberDef {
            bitfield_size: bits,
            ..MemberDef::new(name, ty, bit_offset)
        }
    }
}

/// The kind-specific part of a [`TypeDef`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
        /// Enumerators and their values (an ENUM's must fit in 32 bits,
        /// signed or unsigned).
        values: Vec<(String, i64)>,
    },
    /// FWD (a union if the kind flag is set).
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
    /// A definition without the kind flag.
    pub fn new(name: impl Into<String>, body: Body) -> TypeDef {
        TypeDef {
            name: name.into(),
            kflag: false,
            body,
        }
    }

    /// An INT of `size` bytes, all of whose bits hold the value (at most
    /// 128), with `encoding` ([`crate::INT_SIGNED`], [`crate::INT_CHAR`],
    /// [`crate::INT_BOOL`] or 0).
    pub fn int(name: impl Into<String>, size: u32, encoding: u8) -> TypeDef {
        let bits = size.saturating_mul(8).min(128) as u8;
        let info = IntInfo {
            encoding,
            offset: 0,
            bits,
        };
        TypeDef::new(name, Body::Int { size, info })
    }

    /// A FLOAT of `size` bytes.
    pub fn float(name: impl Into<String>, size: u32) -> TypeDef {
        TypeDef::new(name, Body::Float { size })
    }

    /// A reference kind (PTR, TYPEDEF, VOLATILE, CONST, RESTRICT or
    /// TYPE_TAG) to `target`.
    pub fn reference(kind: Kind, name: impl Into<String>, target: TypeId) -> TypeDef {
        TypeDef::new(name, Body::Ref { kind, target })
    }

    /// An anonymous pointer to `target`.
    pub fn ptr(target: TypeId) -> TypeDef {
        TypeDef::reference(Kind::Ptr, "", target)
    }

    /// `typedef <target> name`.
    #[allow(clippy::self_named_constructors)] // it makes a TYPEDEF, not a TypeDef
    pub fn typedef(name: impl Into<String>, target: TypeId) -> TypeDef {
        TypeDef::reference(Kind::Typedef, name, target)
    }

    /// An array of `nelems` elements of `elem`, indexed by `index`.
    pub fn array(elem: TypeId, index: TypeId, nelems: u32) -> TypeDef {
        TypeDef::new(
            "",
            Body::Array {
                elem,
                index,
                nelems,
            },
        )
    }

    fn composite(
        name: impl Into<String>,
        is_union: bool,
        size: u32,
        members: Vec<MemberDef>,
    ) -> TypeDef {
        TypeDef {
            kflag: members.iter().any(|m| m.bitfield_size != 0),
            ..TypeDef::new(
                name,
                Body::Composite {
                    is_union,
                    size,
                    members,
                },
            )
        }
    }

    /// A struct of `size` bytes; the kind flag is set if a member is a bitfield.
    pub fn structure(name: impl Into<String>, size: u32, members: Vec<MemberDef>) -> TypeDef {
        TypeDef::composite(name, false, size, members)
    }

    /// A union of `size` bytes; the kind flag is set if a member is a bitfield.
    pub fn union(name: impl Into<String>, size: u32, members: Vec<MemberDef>) -> TypeDef {
        TypeDef::composite(name, true, size, members)
    }

    /// An ENUM (values in 32 bits) or, with `is64`, an ENUM64, of `size`
    /// bytes; `signed` sets the kind flag.
    pub fn enumeration(
        name: impl Into<String>,
        is64: bool,
        size: u32,
        signed: bool,
        values: Vec<(String, i64)>,
    ) -> TypeDef {
        TypeDef {
            kflag: signed,
            ..TypeDef::new(name, Body::Enum { is64, size, values })
        }
    }

    /// A forward declaration of a struct, or of a union if `union`.
    pub fn fwd(name: impl Into<String>, union: bool) -> TypeDef {
        TypeDef {
            kflag: union,
            ..TypeDef::new(name, Body::Fwd)
        }
    }

    /// A FUNC of prototype `proto`.
    pub fn func(name: impl Into<String>, proto: TypeId, linkage: Linkage) -> TypeDef {
        TypeDef::new(name, Body::Func { proto, linkage })
    }

    /// A FUNC_PROTO returning `ret`; a last parameter of type void means `...`.
    pub fn func_proto(ret: TypeId, params: Vec<(String, TypeId)>) -> TypeDef {
        TypeDef::new("", Body::FuncProto { ret, params })
    }

    /// A VAR of type `ty`.
    pub fn var(name: impl Into<String>, ty: TypeId, linkage: Linkage) -> TypeDef {
        TypeDef::new(name, Body::Var { ty, linkage })
    }

    /// A DATASEC of `size` bytes holding `vars`.
    pub fn datasec(name: impl Into<String>, size: u32, vars: Vec<VarSecInfo>) -> TypeDef {
        TypeDef::new(name, Body::Datasec { size, vars })
    }

    /// A DECL_TAG `name` on `target` (its member or parameter `component_idx`,
    /// or -1 for the declaration itself).
    pub fn decl_tag(name: impl Into<String>, target: TypeId, component_idx: i32) -> TypeDef {
        TypeDef::new(
            name,
            Body::DeclTag {
                target,
                component_idx,
            },
        )
    }

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

    /// The members of a struct or union, to edit; `None` for other kinds.
    pub fn members_mut(&mut self) -> Option<&mut Vec<MemberDef>> {
        match &mut self.body {
            Body::Composite { members, .. } => Some(members),
            _ => None,
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
