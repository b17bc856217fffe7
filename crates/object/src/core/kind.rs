//! The 13 CO-RE relocation kinds (`enum bpf_core_relo_kind`).

use std::fmt;

/// A CO-RE relocation kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelocKind {
    /// 0: byte offset of a field.
    FieldByteOffset,
    /// 1: byte size of a field.
    FieldByteSize,
    /// 2: whether a field exists.
    FieldExists,
    /// 3: whether a field is signed.
    FieldSigned,
    /// 4: left shift to extract a bitfield from a u64.
    FieldLshiftU64,
    /// 5: right shift to extract a bitfield from a u64.
    FieldRshiftU64,
    /// 6: the local type id.
    TypeIdLocal,
    /// 7: the target type id.
    TypeIdTarget,
    /// 8: whether the type exists.
    TypeExists,
    /// 9: the type's size.
    TypeSize,
    /// 10: whether an enumerator exists.
    EnumvalExists,
    /// 11: an enumerator's value.
    EnumvalValue,
    /// 12: whether the type matches strictly.
    TypeMatches,
}

const ALL: [RelocKind; 13] = [
    RelocKind::FieldByteOffset,
    RelocKind::FieldByteSize,
    RelocKind::FieldExists,
    RelocKind::FieldSigned,
    RelocKind::FieldLshiftU64,
    RelocKind::FieldRshiftU64,
    RelocKind::TypeIdLocal,
    RelocKind::TypeIdTarget,
    RelocKind::TypeExists,
    RelocKind::TypeSize,
    RelocKind::EnumvalExists,
    RelocKind::EnumvalValue,
    RelocKind::TypeMatches,
];

impl RelocKind {
    /// The kind with this number, `None` past 12.
    pub fn from_u32(n: u32) -> Option<RelocKind> {
        ALL.get(n as usize).copied()
    }

    /// The number stored in `.BTF.ext`.
    pub fn to_u32(self) -> u32 {
        ALL.iter().position(|&k| k == self).unwrap_or(0) as u32
    }

    /// libbpf's name (`byte_off`, `type_matches`, ...).
    pub fn name(self) -> &'static str {
        use RelocKind::*;
        match self {
            FieldByteOffset => "byte_off",
            FieldByteSize => "byte_sz",
            FieldExists => "field_exists",
            FieldSigned => "signed",
            FieldLshiftU64 => "lshift_u64",
            FieldRshiftU64 => "rshift_u64",
            TypeIdLocal => "local_type_id",
            TypeIdTarget => "target_type_id",
            TypeExists => "type_exists",
            TypeSize => "type_size",
            EnumvalExists => "enumval_exists",
            EnumvalValue => "enumval_value",
            TypeMatches => "type_matches",
        }
    }

    /// libbpf's name of a kind number: `unknown` past 12.
    pub fn name_of(n: u32) -> &'static str {
        RelocKind::from_u32(n).map_or("unknown", RelocKind::name)
    }

    /// Kinds about a field reached by an access string.
    pub fn is_field_based(self) -> bool {
        self.to_u32() <= 5
    }

    /// Kinds about a whole type (access string `"0"`).
    pub fn is_type_based(self) -> bool {
        use RelocKind::*;
        matches!(
            self,
            TypeIdLocal | TypeIdTarget | TypeExists | TypeSize | TypeMatches
        )
    }

    /// Kinds about an enumerator.
    pub fn is_enumval_based(self) -> bool {
        matches!(self, RelocKind::EnumvalExists | RelocKind::EnumvalValue)
    }

    /// What the relocated value is, for messages ("the field is at offset").
    pub(crate) fn value_phrase(self) -> &'static str {
        use RelocKind::*;
        match self {
            FieldByteOffset => "the field is at offset",
            FieldByteSize => "the field's size is",
            FieldExists => "the field's existence is",
            FieldSigned => "the field's signedness is",
            FieldLshiftU64 => "the left shift is",
            FieldRshiftU64 => "the right shift is",
            TypeIdLocal | TypeIdTarget => "the type id is",
            TypeExists => "the type's existence is",
            TypeSize => "the type's size is",
            EnumvalExists => "the enumerator's existence is",
            EnumvalValue => "the enumerator's value is",
            TypeMatches => "the type match is",
        }
    }
}

impl fmt::Display for RelocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
