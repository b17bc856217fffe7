//! BTF kinds and the small fixed-size encodings that go with them.

use std::fmt;

/// The kind of a BTF type, as stored in bits 24-28 of a type's `info` word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// Type id 0: `void`. Never stored in a type section.
    Void = 0,
    /// An integer, `char` or `_Bool`.
    Int = 1,
    /// A pointer.
    Ptr = 2,
    /// A fixed-size array.
    Array = 3,
    /// A struct.
    Struct = 4,
    /// A union.
    Union = 5,
    /// An enum with 32-bit values.
    Enum = 6,
    /// A forward declaration of a struct or union.
    Fwd = 7,
    /// A typedef.
    Typedef = 8,
    /// The `volatile` modifier.
    Volatile = 9,
    /// The `const` modifier.
    Const = 10,
    /// The `restrict` modifier.
    Restrict = 11,
    /// A function (name and linkage; its signature is a [`Kind::FuncProto`]).
    Func = 12,
    /// A function signature.
    FuncProto = 13,
    /// A global or static variable.
    Var = 14,
    /// A data section listing its variables.
    Datasec = 15,
    /// A floating-point type.
    Float = 16,
    /// A `btf_decl_tag` attribute on a declaration or one of its members/parameters.
    DeclTag = 17,
    /// A `btf_type_tag` attribute on a pointee type.
    TypeTag = 18,
    /// An enum with 64-bit values.
    Enum64 = 19,
}

impl Kind {
    /// Decodes a kind number; `None` for numbers no BTF version defines.
    #[inline]
    pub fn from_u8(n: u8) -> Option<Kind> {
        use Kind::*;
        Some(match n {
            0 => Void,
            1 => Int,
            2 => Ptr,
            3 => Array,
            4 => Struct,
            5 => Union,
            6 => Enum,
            7 => Fwd,
            8 => Typedef,
            9 => Volatile,
            10 => Const,
            11 => Restrict,
            12 => Func,
            13 => FuncProto,
            14 => Var,
            15 => Datasec,
            16 => Float,
            17 => DeclTag,
            18 => TypeTag,
            19 => Enum64,
            _ => return None,
        })
    }

    /// The name bpftool prints for this kind (`STRUCT`, `FUNC_PROTO`, ...).
    pub fn name(self) -> &'static str {
        use Kind::*;
        match self {
            Void => "UNKN",
            Int => "INT",
            Ptr => "PTR",
            Array => "ARRAY",
            Struct => "STRUCT",
            Union => "UNION",
            Enum => "ENUM",
            Fwd => "FWD",
            Typedef => "TYPEDEF",
            Volatile => "VOLATILE",
            Const => "CONST",
            Restrict => "RESTRICT",
            Func => "FUNC",
            FuncProto => "FUNC_PROTO",
            Var => "VAR",
            Datasec => "DATASEC",
            Float => "FLOAT",
            DeclTag => "DECL_TAG",
            TypeTag => "TYPE_TAG",
            Enum64 => "ENUM64",
        }
    }

    /// Parses a kind name as bpftool prints it, case-insensitively (`struct`, `FUNC_PROTO`).
    pub fn from_name(name: &str) -> Option<Kind> {
        (1..=19)
            .filter_map(Kind::from_u8)
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Number of 32-bit words that follow the 3-word type header for a type of
    /// this kind with `vlen` entries.
    pub(crate) fn extra_words(self, vlen: usize) -> usize {
        use Kind::*;
        match self {
            Int | Var | DeclTag => 1,
            Array => 3,
            Struct | Union | Enum64 => 3 * vlen,
            Enum | FuncProto => 2 * vlen,
            Datasec => 3 * vlen,
            _ => 0,
        }
    }

    /// How this kind's vlen entries are laid out, for kinds that have them.
    pub(crate) fn entry_layout(self) -> Option<EntryLayout> {
        use Kind::*;
        let (stride, name, type_id) = match self {
            Struct | Union => (12, Some(0), Some(1)),
            Enum => (8, Some(0), None),
            Enum64 => (12, Some(0), None),
            FuncProto => (8, Some(0), Some(1)),
            Datasec => (12, None, Some(0)),
            _ => return None,
        };
        Some(EntryLayout {
            stride,
            name,
            type_id,
        })
    }

    /// Whether the header's third word is a size (as opposed to a type id).
    pub fn has_size(self) -> bool {
        use Kind::*;
        matches!(self, Int | Struct | Union | Enum | Enum64 | Datasec | Float)
    }

    /// Whether the header's third word is a type id this type refers to.
    pub fn has_type(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Ptr | Typedef
                | Volatile
                | Const
                | Restrict
                | Func
                | FuncProto
                | Var
                | DeclTag
                | TypeTag
        )
    }

    /// Struct or union.
    pub fn is_composite(self) -> bool {
        matches!(self, Kind::Struct | Kind::Union)
    }

    /// Enum or enum64.
    pub fn is_any_enum(self) -> bool {
        matches!(self, Kind::Enum | Kind::Enum64)
    }

    /// const, volatile, restrict or type_tag: kinds that qualify another type.
    pub fn is_modifier(self) -> bool {
        matches!(
            self,
            Kind::Const | Kind::Volatile | Kind::Restrict | Kind::TypeTag
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `BTF_INT_SIGNED`: the integer is signed.
pub const INT_SIGNED: u8 = 1;
/// `BTF_INT_CHAR`: the integer is a character type.
pub const INT_CHAR: u8 = 2;
/// `BTF_INT_BOOL`: the integer is a boolean.
pub const INT_BOOL: u8 = 4;

/// Linkage of a FUNC (stored in its vlen) or VAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linkage {
    /// `static`.
    Static,
    /// Global, visible outside its object.
    Global,
    /// Declared here, defined elsewhere.
    Extern,
    /// A value no BTF version defines, kept as is.
    Unknown(u32),
}

impl Linkage {
    /// Decodes a linkage number.
    pub fn from_u32(n: u32) -> Linkage {
        match n {
            0 => Linkage::Static,
            1 => Linkage::Global,
            2 => Linkage::Extern,
            n => Linkage::Unknown(n),
        }
    }

    /// The number stored in BTF.
    pub fn to_u32(self) -> u32 {
        match self {
            Linkage::Static => 0,
            Linkage::Global => 1,
            Linkage::Extern => 2,
            Linkage::Unknown(n) => n,
        }
    }

    /// The word bpftool prints (`static`, `global`, `extern`, `(unknown)`).
    pub fn name(self) -> &'static str {
        match self {
            Linkage::Static => "static",
            Linkage::Global => "global",
            Linkage::Extern => "extern",
            Linkage::Unknown(_) => "(unknown)",
        }
    }
}

/// The layout of one vlen entry (member, enumerator, parameter, section
/// variable) of a kind.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryLayout {
    /// Bytes per entry.
    pub stride: usize,
    /// The entry's word holding a name's string offset, if it has a name.
    pub name: Option<usize>,
    /// The entry's word holding a type id, if it refers to a type.
    pub type_id: Option<usize>,
}
