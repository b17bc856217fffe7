//! Borrowed, typed views of BTF type records.

use crate::btf::{Btf, TypeId};
use crate::kind::{EntryLayout, Kind, Linkage, INT_BOOL, INT_CHAR, INT_SIGNED};

/// A view of one type record. Cheap to copy; reads its words on demand.
#[derive(Clone, Copy)]
pub struct Type<'a> {
    btf: &'a Btf,
    id: TypeId,
    /// The record: a 12-byte header and its kind's extra data, native order.
    rec: &'a [u8],
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
    #[inline]
    pub(crate) fn new(btf: &'a Btf, id: TypeId, rec: &'a [u8]) -> Type<'a> {
        Type { btf, id, rec }
    }

    /// Word `i` of the record (0-2: header; 3..: extra data).
    #[inline]
    fn word(&self, i: usize) -> u32 {
        word_at(self.rec, i)
    }

    /// The extra data after the header.
    fn extra(&self) -> &'a [u8] {
        &self.rec[12..]
    }

    /// The type id.
    #[inline]
    pub fn id(&self) -> TypeId {
        self.id
    }

    /// The BTF this record lives in (the base, for base types of split BTF).
    pub fn btf(&self) -> &'a Btf {
        self.btf
    }

    /// Offset of the name in the string table.
    #[inline]
    pub fn name_off(&self) -> u32 {
        self.word(0)
    }

    /// The name, `""` if anonymous.
    pub fn name(&self) -> &'a str {
        self.btf.name_at(self.word(0))
    }

    /// The raw `info` word.
    #[inline]
    pub fn info(&self) -> u32 {
        self.word(1)
    }

    /// The kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        Kind::from_u8(((self.word(1) >> 24) & 0x1f) as u8).unwrap_or(Kind::Void)
    }

    /// The kind flag: bitfield encoding for composites, union for FWD,
    /// signedness for enums, attribute-style for tags.
    #[inline]
    pub fn kflag(&self) -> bool {
        self.word(1) >> 31 != 0
    }

    /// Number of members / enumerators / parameters / variables (or a FUNC's linkage).
    #[inline]
    pub fn vlen(&self) -> usize {
        (self.word(1) & 0xffff) as usize
    }

    /// The third header word as a size (INT, composites, enums, DATASEC, FLOAT).
    #[inline]
    pub fn size(&self) -> u32 {
        self.word(2)
    }

    /// The third header word as a type id (pointers, typedefs, modifiers, FUNC,
    /// FUNC_PROTO's return type, VAR, tags).
    #[inline]
    pub fn type_id(&self) -> TypeId {
        TypeId(self.word(2))
    }

    /// INT encoding, for an INT.
    pub fn int(&self) -> Option<IntInfo> {
        (self.kind() == Kind::Int).then(|| IntInfo::from_word(self.word(3)))
    }

    /// Element, index and length, for an ARRAY.
    pub fn array(&self) -> Option<ArrayInfo> {
        (self.kind() == Kind::Array).then(|| ArrayInfo {
            elem: TypeId(self.word(3)),
            index: TypeId(self.word(4)),
            nelems: self.word(5),
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
        words
            .chunks_exact(12)
            .map(move |m| decode_member(btf, kflag, m))
    }

    /// The member at `index`, for a struct or union (only its name is
    /// looked up, not those before it).
    pub fn member(&self, index: usize) -> Option<Member<'a>> {
        if !self.kind().is_composite() {
            return None;
        }
        let at = index.checked_mul(12)?;
        let m = self.extra().get(at..at.checked_add(12)?)?;
        Some(decode_member(self.btf, self.kflag(), m))
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
            Kind::Enum => (self.extra(), 8),
            Kind::Enum64 => (self.extra(), 12),
            _ => (&[][..], 8),
        };
        words.chunks_exact(step).map(move |v| {
            let lo = word_at(v, 1);
            let value = if step == 12 {
                ((u64::from(word_at(v, 2)) << 32) | u64::from(lo)) as i64
            } else if signed {
                i64::from(lo as i32)
            } else {
                i64::from(lo)
            };
            EnumValue {
                name: btf.name_at(word_at(v, 0)),
                name_off: word_at(v, 0),
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
        words.chunks_exact(8).map(move |p| Param {
            name: btf.name_at(word_at(p, 0)),
            name_off: word_at(p, 0),
            ty: TypeId(word_at(p, 1)),
        })
    }

    /// Variables of a DATASEC (empty for other kinds).
    pub fn datasec_vars(&self) -> impl ExactSizeIterator<Item = VarSecInfo> + Clone + 'a {
        let words = if self.kind() == Kind::Datasec {
            self.extra()
        } else {
            &[]
        };
        words.chunks_exact(12).map(|v| VarSecInfo {
            ty: TypeId(word_at(v, 0)),
            offset: word_at(v, 1),
            size: word_at(v, 2),
        })
    }

    /// Linkage of a VAR (its extra word) or FUNC (its vlen).
    pub fn linkage(&self) -> Option<Linkage> {
        match self.kind() {
            Kind::Var => Some(Linkage::from_u32(self.word(3))),
            Kind::Func => Some(Linkage::from_u32(self.vlen() as u32)),
            _ => None,
        }
    }

    /// Component index of a DECL_TAG (-1: the declaration itself).
    pub fn component_idx(&self) -> Option<i32> {
        (self.kind() == Kind::DeclTag).then(|| self.word(3) as i32)
    }

    /// Whether a FWD declares a union (its kind flag).
    pub fn is_fwd_union(&self) -> bool {
        self.kind() == Kind::Fwd && self.kflag()
    }

    /// Whether this is a struct or union.
    pub fn is_composite(&self) -> bool {
        self.kind().is_composite()
    }

    /// Word `field` of each vlen entry (members, enumerators, parameters,
    /// section variables), read without resolving names.
    pub(crate) fn entry_words(&self, field: usize) -> impl Iterator<Item = u32> + 'a {
        let (entries, stride) = match self.kind().entry_layout() {
            Some(layout) => (self.extra(), layout.stride),
            None => (&[][..], 4),
        };
        entries.chunks_exact(stride).map(move |e| word_at(e, field))
    }

    /// The whole record: its 12-byte header and its kind's extra data.
    pub(crate) fn record(&self) -> &'a [u8] {
        self.rec
    }

    /// Every type id this record refers to, in record order.
    pub fn referenced_ids(&self) -> impl Iterator<Item = TypeId> + 'a {
        let kind = self.kind();
        let e = self.extra();
        let header = kind.has_type().then_some(TypeId(self.word(2)));
        let (list, step, pos): (&'a [u8], usize, usize) = match kind.entry_layout() {
            _ if kind == Kind::Array => (&e[..8], 4, 0),
            Some(EntryLayout {
                stride,
                type_id: Some(pos),
                ..
            }) => (e, stride, pos),
            _ => (&[], 4, 0),
        };
        header.into_iter().chain(
            list.chunks_exact(step)
                .map(move |c| TypeId(word_at(c, pos))),
        )
    }
}

/// One 12-byte member record of a struct or union.
fn decode_member<'a>(btf: &'a Btf, kflag: bool, m: &[u8]) -> Member<'a> {
    let offset = word_at(m, 2);
    let (bit_offset, bitfield_size) = if kflag {
        (offset & 0x00ff_ffff, offset >> 24)
    } else {
        (offset, 0)
    };
    Member {
        name: btf.name_at(word_at(m, 0)),
        name_off: word_at(m, 0),
        ty: TypeId(word_at(m, 1)),
        bit_offset,
        bitfield_size,
    }
}

/// Native-order 32-bit word `i` of `bytes` (callers pass records whose size
/// parsing checked).
#[inline]
pub(crate) fn word_at(bytes: &[u8], i: usize) -> u32 {
    let b = &bytes[i * 4..i * 4 + 4];
    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
}
