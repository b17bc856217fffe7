//! Borrowed, typed views of BTF type records.

use crate::btf::{Btf, TypeId};
use crate::kind::{Kind, Linkage, INT_BOOL, INT_CHAR, INT_SIGNED};

/// A view of one type record. Cheap to copy; reads its words on demand.
#[derive(Clone, Copy)]
pub struct Type<'a> {
    btf: &'a Btf,
    id: TypeId,
    words: &'a [u32],
}

impl std::fmt::Debug for Type<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {} '{}'", self.id, self.kind(), self.name())
    }
}

/// An INT's encoding word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntInfo {
    /// `INT_SIGNED`, `INT_CHAR` and `INT_BOOL` bits.
    pub encoding: u8,
    /// Bit offset of the value inside the storage (normally 0).
    pub offset: u8,
    /// Number of value bits.
    pub bits: u8,
}

impl IntInfo {
    /// Decodes the word that follows an INT's header.
    pub fn from_word(w: u32) -> IntInfo {
        IntInfo {
            encoding: ((w >> 24) & 0x0f) as u8,
            offset: ((w >> 16) & 0xff) as u8,
            bits: (w & 0xff) as u8,
        }
    }

    /// Encodes back into the stored word.
    pub fn to_word(self) -> u32 {
        (u32::from(self.encoding) << 24) | (u32::from(self.offset) << 16) | u32::from(self.bits)
    }

    /// Signed integer.
    pub fn is_signed(self) -> bool {
        self.encoding & INT_SIGNED != 0
    }

    /// Character type.
    pub fn is_char(self) -> bool {
        self.encoding & INT_CHAR != 0
    }

    /// Boolean.
    pub fn is_bool(self) -> bool {
        self.encoding & INT_BOOL != 0
    }
}

/// An ARRAY's element type, index type and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayInfo {
    /// Element type.
    pub elem: TypeId,
    /// Index type.
    pub index: TypeId,
    /// Number of elements (0 for a flexible array).
    pub nelems: u32,
}

/// A struct or union member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    /// Member name, `""` for an anonymous member.
    pub name: &'a str,
    /// Offset of the name in the string table.
    pub name_off: u32,
    /// Member type.
    pub ty: TypeId,
    /// Offset from the start of the struct, in bits.
    pub bit_offset: u32,
    /// Width of a bitfield in bits; 0 for an ordinary member.
    pub bitfield_size: u32,
}

/// An enumerator of an ENUM or ENUM64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnumValue<'a> {
    /// Enumerator name.
    pub name: &'a str,
    /// Offset of the name in the string table.
    pub name_off: u32,
    /// The value's bits, sign-extended for a signed 32-bit enum.
    pub value: i64,
}

/// A FUNC_PROTO parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// Parameter name, often `""`.
    pub name: &'a str,
    /// Offset of the name in the string table.
    pub name_off: u32,
    /// Parameter type; `void` as the last parameter means `...`.
    pub ty: TypeId,
}

/// A DATASEC entry: a variable placed in the section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSecInfo {
    /// The VAR (or FUNC, for `.ksyms`) type.
    pub ty: TypeId,
    /// Offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

impl<'a> Type<'a> {
    pub(crate) fn new(btf: &'a Btf, id: TypeId, words: &'a [u32]) -> Type<'a> {
        Type { btf, id, words }
    }

    fn extra(&self) -> &'a [u32] {
        &self.words[3..]
    }

    /// The type id.
    pub fn id(&self) -> TypeId {
        self.id
    }

    /// The BTF this record lives in (the base, for base types of split BTF).
    pub fn btf(&self) -> &'a Btf {
        self.btf
    }

    /// Offset of the name in the string table.
    pub fn name_off(&self) -> u32 {
        self.words[0]
    }

    /// The name, `""` if anonymous.
    pub fn name(&self) -> &'a str {
        self.btf.name_at(self.words[0])
    }

    /// The raw `info` word.
    pub fn info(&self) -> u32 {
        self.words[1]
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        Kind::from_u8(((self.words[1] >> 24) & 0x1f) as u8).unwrap_or(Kind::Void)
    }

    /// The kind flag: bitfield encoding for composites, union for FWD,
    /// signedness for enums, attribute-style for tags.
    pub fn kflag(&self) -> bool {
        self.words[1] >> 31 != 0
    }

    /// Number of members / enumerators / parameters / variables (or a FUNC's linkage).
    pub fn vlen(&self) -> usize {
        (self.words[1] & 0xffff) as usize
    }

    /// The third header word as a size (INT, composites, enums, DATASEC, FLOAT).
    pub fn size(&self) -> u32 {
        self.words[2]
    }

    /// The third header word as a type id (pointers, typedefs, modifiers, FUNC,
    /// FUNC_PROTO's return type, VAR, tags).
    pub fn type_id(&self) -> TypeId {
        TypeId(self.words[2])
    }

    /// The words after the header, as stored.
    pub fn extra_words(&self) -> &'a [u32] {
        self.extra()
    }

    /// INT encoding, for an INT.
    pub fn int(&self) -> Option<IntInfo> {
        (self.kind() == Kind::Int).then(|| IntInfo::from_word(self.extra()[0]))
    }

    /// Element, index and length, for an ARRAY.
    pub fn array(&self) -> Option<ArrayInfo> {
        (self.kind() == Kind::Array).then(|| {
            let e = self.extra();
            ArrayInfo {
                elem: TypeId(e[0]),
                index: TypeId(e[1]),
                nelems: e[2],
            }
        })
    }

    /// Members of a struct or union (empty for other kinds).
    pub fn members(&self) -> impl ExactSizeIterator<Item = Member<'a>> + Clone + 'a {
        let btf = self.btf;
        let kflag = self.kflag();
        let words = if self.kind().is_composite() {
            self.extra()
        } else {
            &[]
        };
        words.chunks_exact(3).map(move |m| {
            let (bit_offset, bitfield_size) = if kflag {
                (m[2] & 0x00ff_ffff, m[2] >> 24)
            } else {
                (m[2], 0)
            };
            Member {
                name: btf.name_at(m[0]),
                name_off: m[0],
                ty: TypeId(m[1]),
                bit_offset,
                bitfield_size,
            }
        })
    }

    /// The member at `index`, for a struct or union.
    pub fn member(&self, index: usize) -> Option<Member<'a>> {
        self.members().nth(index)
    }

    /// Whether an enum's values are signed (the kind flag of ENUM/ENUM64).
    pub fn is_signed_enum(&self) -> bool {
        self.kind().is_any_enum() && self.kflag()
    }

    /// Enumerators of an ENUM or ENUM64 (empty for other kinds).
    pub fn enum_values(&self) -> impl ExactSizeIterator<Item = EnumValue<'a>> + Clone + 'a {
        let btf = self.btf;
        let signed = self.kflag();
        let (words, step) = match self.kind() {
            Kind::Enum => (self.extra(), 2),
            Kind::Enum64 => (self.extra(), 3),
            _ => (&[][..], 2),
        };
        words.chunks_exact(step).map(move |v| {
            let value = if step == 3 {
                ((u64::from(v[2]) << 32) | u64::from(v[1])) as i64
            } else if signed {
                i64::from(v[1] as i32)
            } else {
                i64::from(v[1])
            };
            EnumValue {
                name: btf.name_at(v[0]),
                name_off: v[0],
                value,
            }
        })
    }

    /// Parameters of a FUNC_PROTO (empty for other kinds).
    pub fn params(&self) -> impl ExactSizeIterator<Item = Param<'a>> + Clone + 'a {
        let btf = self.btf;
        let words = if self.kind() == Kind::FuncProto {
            self.extra()
        } else {
            &[]
        };
        words.chunks_exact(2).map(move |p| Param {
            name: btf.name_at(p[0]),
            name_off: p[0],
            ty: TypeId(p[1]),
        })
    }

    /// Variables of a DATASEC (empty for other kinds).
    pub fn datasec_vars(&self) -> impl ExactSizeIterator<Item = VarSecInfo> + Clone + 'a {
        let words = if self.kind() == Kind::Datasec {
            self.extra()
        } else {
            &[]
        };
        words.chunks_exact(3).map(|v| VarSecInfo {
            ty: TypeId(v[0]),
            offset: v[1],
            size: v[2],
        })
    }

    /// Linkage of a VAR (its extra word) or FUNC (its vlen).
    pub fn linkage(&self) -> Option<Linkage> {
        match self.kind() {
            Kind::Var => Some(Linkage::from_u32(self.extra()[0])),
            Kind::Func => Some(Linkage::from_u32(self.vlen() as u32)),
            _ => None,
        }
    }

    /// Component index of a DECL_TAG (-1: the declaration itself).
    pub fn component_idx(&self) -> Option<i32> {
        (self.kind() == Kind::DeclTag).then(|| self.extra()[0] as i32)
    }

    /// Whether a FWD declares a union (its kind flag).
    pub fn is_fwd_union(&self) -> bool {
        self.kind() == Kind::Fwd && self.kflag()
    }

    /// Whether this is a struct or union.
    pub fn is_composite(&self) -> bool {
        self.kind().is_composite()
    }

    /// Every type id this record refers to, in record order.
    pub fn referenced_ids(&self) -> impl Iterator<Item = TypeId> + 'a {
        let kind = self.kind();
        let e = self.extra();
        let header = kind.has_type().then_some(TypeId(self.words[2]));
        let (list, step, pos): (&'a [u32], usize, usize) = match kind {
            Kind::Array => (&e[..2], 1, 0),
            Kind::Struct | Kind::Union => (e, 3, 1),
            Kind::FuncProto => (e, 2, 1),
            Kind::Datasec => (e, 3, 0),
            _ => (&[], 1, 0),
        };
        header
            .into_iter()
            .chain(list.chunks_exact(step).map(move |c| TypeId(c[pos])))
    }
}
