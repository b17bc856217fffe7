//! The parsed BTF type table: header, string table, type index, lookups.
//!
//! Parsing keeps the input buffer as it is (zero-copy; only BTF of the other
//! byte order has its type section swapped in place, once) and records, per
//! type id, where its record starts. Typed views ([`Type`]) read the record's
//! 32-bit words on demand.
//! Every type id and string offset a record holds is checked here, once, so
//! later code can follow references without re-checking and without panicking.

use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::names::NameIndex;
use crate::types::Type;
use crate::validate::Extent;

/// A BTF type id. `TypeId(0)` is `void`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u32);

impl TypeId {
    /// The `void` type.
    pub const VOID: TypeId = TypeId(0);
}

impl std::fmt::Display for TypeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Byte order of serialized BTF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// Least significant byte first (x86, arm64 by default).
    Little,
    /// Most significant byte first (s390x).
    Big,
}

impl Endian {
    /// The byte order of the machine running this code.
    pub fn native() -> Endian {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }

    pub(crate) fn read_u32(self, b: [u8; 4]) -> u32 {
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    pub(crate) fn write_u32(self, v: u32) -> [u8; 4] {
        match self {
            Endian::Little => v.to_le_bytes(),
            Endian::Big => v.to_be_bytes(),
        }
    }
}

/// The BTF magic number.
pub const BTF_MAGIC: u16 = 0xeb9f;
/// Size of the BTF header this library writes.
pub const HEADER_LEN: u32 = 24;
/// One past the largest type id read or written (counting void): ids fit in
/// 31 bits.
pub(crate) const MAX_TYPE_COUNT: u32 = u32::MAX >> 1;
/// Deepest chain of typedefs/modifiers followed before giving up (a cycle).
pub const MAX_RESOLVE_DEPTH: usize = 32;

/// The fixed BTF header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version; always 1.
    pub version: u8,
    /// Flags; none are defined.
    pub flags: u8,
    /// Length of the header, at least 24.
    pub hdr_len: u32,
    /// Offset of the type section, after the header.
    pub type_off: u32,
    /// Length of the type section.
    pub type_len: u32,
    /// Offset of the string section, after the header.
    pub str_off: u32,
    /// Length of the string section.
    pub str_len: u32,
}

/// A parsed BTF type table, possibly split on top of a base.
#[derive(Debug)]
pub struct Btf {
    base: Option<Arc<Btf>>,
    header: Header,
    endian: Endian,
    /// The input; its type section is in native byte order.
    data: Vec<u8>,
    /// Byte range of the type section in `data`.
    type_range: std::ops::Range<usize>,
    /// Byte range of the string section in `data` (valid UTF-8, NUL-terminated).
    str_range: std::ops::Range<usize>,
    /// Whether this string section and its base's are all ASCII.
    strings_ascii: bool,
    /// Byte offset, within the type section, of each own type's record;
    /// entry `i` is type `first_id + i`.
    offsets: Vec<u32>,
    /// Id of the first own type: 1, or the base's type count for split BTF.
    first_id: u32,
    /// Length of the base's strings: own string offsets start there.
    str_base: u32,
    /// Own types by name, built on first lookup.
    names: OnceLock<NameIndex>,
}

const VOID_RECORD: [u8; 12] = [0; 12];

fn need(what: &'static str, offset: usize, len: usize, have: usize) -> Result<()> {
    if offset.checked_add(len).is_none_or(|end| end > have) {
        return Err(Error::Truncated {
            what,
            offset,
            need: len,
            have,
        });
    }
    Ok(())
}

/// Reads and checks a BTF header, returning it with the detected byte order.
pub fn parse_header(data: &[u8]) -> Result<(Header, Endian)> {
    need("BTF header", 0, HEADER_LEN as usize, data.len())?;
    let magic = u16::from_le_bytes([data[0], data[1]]);
    let endian = if magic == BTF_MAGIC {
        Endian::Little
    } else if magic == BTF_MAGIC.swap_bytes() {
        Endian::Big
    } else {
        return Err(Error::BadMagic {
            found: magic,
            offset: 0,
        });
    };
    let word = |at: usize| endian.read_u32([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let header = Header {
        version: data[2],
        flags: data[3],
        hdr_len: word(4),
        type_off: word(8),
        type_len: word(12),
        str_off: word(16),
        str_len: word(20),
    };
    let bad = |field, value: u64, offset, why| {
        Err(Error::BadHeader {
            field,
            value,
            offset,
            why,
        })
    };
    if header.version != 1 {
        return bad("version", header.version.into(), 2, "only version 1 exists");
    }
    if header.hdr_len < HEADER_LEN || header.hdr_len as usize > data.len() {
        return bad(
            "hdr_len",
            header.hdr_len.into(),
            4,
            "shorter than 24 bytes or longer than the input",
        );
    }
    let body = data.len() as u64 - u64::from(header.hdr_len);
    if !header.type_off.is_multiple_of(4) {
        return bad("type_off", header.type_off.into(), 8, "not 4-byte aligned");
    }
    if !header.type_len.is_multiple_of(4) {
        return bad(
            "type_len",
            header.type_len.into(),
            12,
            "not a multiple of 4",
        );
    }
    let type_end = u64::from(header.type_off) + u64::from(header.type_len);
    if type_end > body {
        return bad(
            "type_len",
            header.type_len.into(),
            12,
            "type section runs past the end of the input",
        );
    }
    let str_end = u64::from(header.str_off) + u64::from(header.str_len);
    if str_end > body {
        return bad(
            "str_len",
            header.str_len.into(),
            20,
            "string section runs past the end of the input",
        );
    }
    if type_end > u64::from(header.str_off) {
        return bad(
            "str_off",
            header.str_off.into(),
            16,
            "string section overlaps the type section",
        );
    }
    Ok((header, endian))
}

impl Btf {
    /// Parses raw BTF (the contents of `/sys/kernel/btf/vmlinux` or a `.BTF`
    /// section) in either byte order. Copies `data`; [`Btf::from_vec`] does not.
    pub fn parse(data: &[u8]) -> Result<Btf> {
        Btf::from_vec(data.to_vec(), None)
    }

    /// Parses split BTF (a kernel module's) whose ids and string offsets
    /// continue those of `base`.
    pub fn parse_split(data: &[u8], base: Arc<Btf>) -> Result<Btf> {
        Btf::from_vec(data.to_vec(), Some(base))
    }

    /// Parses raw BTF, keeping `data` as the storage (no copy), split on
    /// `base` if given. Every record is checked, whatever the source (a
    /// kernel's BTF too: the check is a few comparisons per record).
    pub fn from_vec(mut data: Vec<u8>, base: Option<Arc<Btf>>) -> Result<Btf> {
        let (header, endian) = parse_header(&data)?;
        let hdr = header.hdr_len as usize;
        let str_start = hdr + header.str_off as usize;
        let str_bytes = &data[str_start..str_start + header.str_len as usize];
        if base.is_none() && str_bytes.first().is_some_and(|&b| b != 0) {
            return Err(Error::BadStrings {
                offset: str_start,
                why: "the first string must be empty (unless this is split BTF, a kernel \
                      module's, which is read on top of its base)",
            });
        }
        if base.is_none() && str_bytes.is_empty() {
            return Err(Error::BadStrings {
                offset: str_start,
                why: "the string table is empty (it must hold at least the empty string)",
            });
        }
        if str_bytes.last().is_some_and(|&b| b != 0) {
            return Err(Error::BadStrings {
                offset: str_start + str_bytes.len() - 1,
                why: "the last string is not NUL-terminated",
            });
        }
        // ASCII (a kernel's strings are) is valid UTF-8, and found faster.
        let own_ascii = str_bytes.is_ascii();
        if !own_ascii {
            if let Err(e) = std::str::from_utf8(str_bytes) {
                return Err(Error::BadStrings {
                    offset: str_start + e.valid_up_to(),
                    why: "not valid UTF-8",
                });
            }
        }
        let str_range = str_start..str_start + str_bytes.len();
        let type_start = hdr + header.type_off as usize;
        let type_range = type_start..type_start + header.type_len as usize;
        if endian != Endian::native() {
            for w in data[type_range.clone()].chunks_exact_mut(4) {
                w.reverse();
            }
        }
        let (first_id, str_base) = match &base {
            Some(b) => (b.type_count(), b.strings_len()),
            None => (1, 0),
        };
        if u64::from(str_base) + str_range.len() as u64 > u64::from(u32::MAX) {
            return Err(Error::BadStrings {
                offset: str_start,
                why: "with its base's strings before it, the string table passes the 4 GiB \
                      that 32-bit string offsets reach",
            });
        }
        let (offsets, extent) = index_types(&data[type_range.clone()], first_id, type_start)?;
        let strings_ascii = own_ascii && base.as_ref().is_none_or(|b| b.strings_ascii);
        let btf = Btf {
            base,
            header,
            endian,
            data,
            type_range,
            str_range,
            strings_ascii,
            offsets,
            first_id,
            str_base,
            names: OnceLock::new(),
        };
        crate::validate::validate(&btf, &extent, type_start)?;
        Ok(btf)
    }

    /// The header as read (or as it would be written).
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Byte order of the input.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// The base this BTF is split on, if any.
    #[inline]
    pub fn base(&self) -> Option<&Arc<Btf>> {
        self.base.as_ref()
    }

    /// Id of the first type this BTF itself holds (1 unless split).
    pub fn first_id(&self) -> u32 {
        self.first_id
    }

    /// One past the last type id, counting `void` and the base's types.
    #[inline]
    pub fn type_count(&self) -> u32 {
        self.first_id + self.offsets.len() as u32
    }

    /// Ids of the types this BTF itself holds, in order (not the base's).
    pub fn own_ids(&self) -> impl Iterator<Item = TypeId> + '_ {
        (self.first_id..self.type_count()).map(TypeId)
    }

    /// The types this BTF itself holds, in order, read straight from the
    /// section (no lookup by id).
    pub(crate) fn own_types(&self) -> impl Iterator<Item = Type<'_>> + '_ {
        let section = &self.data[self.type_range.clone()];
        let ends = self.offsets.iter().skip(1).map(|&e| e as usize);
        let ends = ends.chain(std::iter::once(section.len()));
        self.offsets
            .iter()
            .zip(ends)
            .zip(self.own_ids())
            .map(move |((&start, end), id)| Type::new(self, id, &section[start as usize..end]))
    }

    /// Every type id from 1, the base's included.
    pub fn all_ids(&self) -> impl Iterator<Item = TypeId> + '_ {
        (1..self.type_count()).map(TypeId)
    }

    /// Total length of the string tables (base and own).
    #[inline]
    pub fn strings_len(&self) -> u32 {
        self.str_base + self.own_string_bytes().len() as u32
    }

    /// This BTF's own string section, NUL-separated (offsets into it are
    /// `offset - base.strings_len()`).
    #[inline]
    pub fn own_string_bytes(&self) -> &[u8] {
        &self.data[self.str_range.clone()]
    }

    /// Whether the string tables (this BTF's and its base's) are all ASCII:
    /// then every offset inside them starts a string.
    pub(crate) fn strings_are_ascii(&self) -> bool {
        self.strings_ascii
    }

    /// The string at `offset` (up to its NUL), or `None` if the offset is out
    /// of range or not on a character boundary.
    pub fn str_at(&self, offset: u32) -> Option<&str> {
        if offset < self.str_base {
            return self.base.as_ref()?.str_at(offset);
        }
        let rest = self
            .own_string_bytes()
            .get((offset - self.str_base) as usize..)?;
        let end = memchr::memchr(0, rest)?;
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// Whether `offset` starts a string: inside the tables and on a character
    /// boundary (every string table ends with a NUL, so the string ends too).
    pub(crate) fn is_str_off(&self, offset: u32) -> bool {
        if offset < self.str_base {
            return self.base.as_ref().is_some_and(|b| b.is_str_off(offset));
        }
        // A UTF-8 continuation byte (0b10xx_xxxx) never starts a character.
        self.own_string_bytes()
            .get((offset - self.str_base) as usize)
            .is_some_and(|&b| b & 0xc0 != 0x80)
    }

    /// The bytes of the string at `offset` (up to its NUL), without the UTF-8
    /// check of [`Btf::str_at`]: for offsets that parsing validated, whose
    /// strings are known to be UTF-8. Empty if `offset` is out of range.
    pub(crate) fn name_bytes(&self, offset: u32) -> &[u8] {
        if offset < self.str_base {
            return self.base.as_ref().map_or(&[], |b| b.name_bytes(offset));
        }
        let rest = self
            .own_string_bytes()
            .get((offset - self.str_base) as usize..)
            .unwrap_or_default();
        &rest[..memchr::memchr(0, rest).unwrap_or(rest.len())]
    }

    /// The string at an offset that parsing validated; `""` otherwise.
    pub(crate) fn name_at(&self, offset: u32) -> &str {
        self.str_at(offset).unwrap_or("")
    }

    /// The types this BTF itself holds (not a split BTF's base), by name:
    /// built on first use, in a few milliseconds for a kernel's BTF.
    pub fn name_index(&self) -> &NameIndex {
        self.names.get_or_init(|| NameIndex::own(self))
    }

    /// The first type (in id order, a split BTF's base first) called exactly
    /// `name` of kind `kind`, as libbpf's `btf__find_by_name_kind`: the FUNC
    /// of an fentry target, the TYPEDEF `btf_trace_<tp>` of a tp_btf one, the
    /// VAR of a ksym. Looks in name indexes built once per BTF, not a scan.
    pub fn find_by_name_kind(&self, name: &str, kind: Kind) -> Option<TypeId> {
        if name.is_empty() {
            return None;
        }
        if let Some(id) = self.base().and_then(|b| b.find_by_name_kind(name, kind)) {
            return Some(id);
        }
        self.name_index().find(self, name, kind)
    }

    /// The type with this id (`void` for 0), or `None` past the last id.
    #[inline]
    pub fn type_by_id(&self, id: TypeId) -> Option<Type<'_>> {
        if id.0 == 0 {
            return Some(Type::new(self, id, &VOID_RECORD));
        }
        if id.0 < self.first_id {
            return self.base.as_ref()?.type_by_id(id);
        }
        let i = (id.0 - self.first_id) as usize;
        let start = *self.offsets.get(i)? as usize;
        let end = self
            .offsets
            .get(i + 1)
            .map_or(self.type_range.len(), |&e| e as usize);
        let section = &self.data[self.type_range.clone()];
        Some(Type::new(self, id, &section[start..end]))
    }

    /// The type with this id, or [`Error::NoSuchType`].
    pub fn get(&self, id: TypeId) -> Result<Type<'_>> {
        self.type_by_id(id).ok_or(Error::NoSuchType(id.0))
    }

    /// The type with an id that comes from this BTF itself (validated at
    /// parse time). Falls back to `void` rather than panicking.
    #[inline]
    pub fn ty(&self, id: TypeId) -> Type<'_> {
        self.type_by_id(id)
            .unwrap_or_else(|| Type::new(self, TypeId::VOID, &VOID_RECORD))
    }

    /// Every type from id 1 on, the base's included; this BTF's own types
    /// are read in section order, without a lookup per id.
    pub fn types(&self) -> impl Iterator<Item = Type<'_>> + '_ {
        let base = self.base.as_deref();
        let base_types = base
            .into_iter()
            .flat_map(|b| b.all_ids().map(move |id| b.ty(id)));
        base_types.chain(self.own_types())
    }

    /// Follows typedefs and modifiers (const, volatile, restrict, type_tag)
    /// to the first other type. Gives up on a cycle, returning where it stopped.
    pub fn skip_mods_and_typedefs(&self, id: TypeId) -> Type<'_> {
        self.skip_while(id, |k| k.is_modifier() || k == Kind::Typedef)
    }

    /// Follows modifiers (not typedefs) to the first other type.
    pub fn skip_mods(&self, id: TypeId) -> Type<'_> {
        self.skip_while(id, Kind::is_modifier)
    }

    fn skip_while(&self, id: TypeId, skip: impl Fn(Kind) -> bool) -> Type<'_> {
        let mut t = self.ty(id);
        for _ in 0..MAX_RESOLVE_DEPTH {
            if !skip(t.kind()) {
                break;
            }
            t = self.ty(t.type_id());
        }
        t
    }

    /// Size in bytes of a type, following typedefs, modifiers and arrays, as
    /// libbpf's `btf__resolve_size` does. `None` for types without a size
    /// (void, functions, forward declarations) or on a cycle.
    pub fn resolve_size(&self, id: TypeId) -> Option<u64> {
        let mut t = self.ty(id);
        let mut nelems: u64 = 1;
        for _ in 0..MAX_RESOLVE_DEPTH {
            match t.kind() {
                Kind::Int
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::Datasec
                | Kind::Float => return nelems.checked_mul(u64::from(t.size())),
                Kind::Ptr => return nelems.checked_mul(8),
                Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::TypeTag
                | Kind::Var => t = self.ty(t.type_id()),
                Kind::Array => {
                    let a = t.array()?;
                    nelems = nelems.checked_mul(u64::from(a.nelems))?;
                    t = self.ty(a.elem);
                }
                _ => return None,
            }
        }
        None
    }
}

/// Walks the (native-order) type section, returning the byte offset of each
/// record and what the records refer to.
fn index_types(section: &[u8], first_id: u32, type_start: usize) -> Result<(Vec<u32>, Extent)> {
    let word = |i: usize| {
        let b = &section[i * 4..i * 4 + 4];
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    };
    let nwords = section.len() / 4;
    let mut offsets = Vec::with_capacity(nwords / 4);
    let mut extent = Extent::default();
    let mut at = 0usize;
    while at < nwords {
        let id = TypeId(first_id + offsets.len() as u32);
        let byte = type_start + at * 4;
        if at + 3 > nwords {
            return Err(Error::BadType {
                id,
                offset: byte,
                why: format!(
                    "record header needs 12 bytes, but the type section has {} left",
                    (nwords - at) * 4
                ),
            });
        }
        let info = word(at + 1);
        let raw_kind = ((info >> 24) & 0x1f) as u8;
        let kind = match Kind::from_u8(raw_kind) {
            Some(k) if k != Kind::Void => k,
            _ => {
                return Err(Error::BadType {
                    id,
                    offset: byte,
                    why: format!("unknown kind {raw_kind}"),
                })
            }
        };
        let vlen = (info & 0xffff) as usize;
        let extra = kind.extra_words(vlen);
        if at + 3 + extra > nwords {
            return Err(Error::BadType {
                id,
                offset: byte,
                why: format!(
                    "{kind} with vlen {vlen} needs {} bytes, but the type section has {} left",
                    (3 + extra) * 4,
                    (nwords - at) * 4
                ),
            });
        }
        if first_id as u64 + offsets.len() as u64 >= u64::from(MAX_TYPE_COUNT) {
            return Err(Error::BadType {
                id,
                offset: byte,
                why: format!(
                    "too many types: corex reads type ids up to {}",
                    MAX_TYPE_COUNT - 1
                ),
            });
        }
        offsets.push((at * 4) as u32);
        extent.add(kind, &section[at * 4..(at + 3 + extra) * 4]);
        at += 3 + extra;
    }
    Ok((offsets, extent))
}

/// Byte offset in the original input of an own type's record, for messages.
pub(crate) fn record_offset(btf: &Btf, id: TypeId, type_start: usize) -> usize {
    let i = (id.0 - btf.first_id) as usize;
    type_start + btf.offsets[i] as usize
}
