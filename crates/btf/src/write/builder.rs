//! [`BtfBuilder`]: an editable table of [`TypeDef`]s with its string
//! section, written out as raw BTF by [`BtfBuilder::to_bytes`].

use std::collections::HashMap;
use std::sync::Arc;

use super::def::TypeDef;
use super::encode;
use crate::btf::{Btf, Endian, TypeId};
use crate::error::{Error, Result};
use crate::kind::Kind;

/// An editable BTF type table, written as raw BTF in either byte order.
///
/// It serves three uses:
/// - building BTF from scratch ([`BtfBuilder::new`], [`BtfBuilder::add`]),
///   e.g. synthetic BTF for tests;
/// - editing existing BTF ([`BtfBuilder::from_btf`], then
///   [`BtfBuilder::get_mut`] to change any type in place, kind included,
///   and [`BtfBuilder::add`] to append): ids stay as they were, and the
///   string section is kept byte for byte, so string offsets held elsewhere
///   (`.BTF.ext` line info) stay valid; new names are appended to it;
/// - keeping a subset of types ([`BtfBuilder::retain`]), renumbered in id
///   order with every reference remapped.
///
/// Split BTF (a module's, on top of a base) is built with
/// [`BtfBuilder::split_on`]: ids continue the base's, and names go into the
/// module's own string section.
///
/// Nothing is truncated: a count or value that does not fit its field is an
/// error when writing ([`Error::Unwritable`], [`Error::TooLarge`]). What the
/// types mean is not checked (a reference past the last id is written as
/// given); parse the result to check it.
#[derive(Clone, Debug)]
pub struct BtfBuilder {
    /// `types[i]` has id `first_id + i`.
    types: Vec<TypeDef>,
    /// Id of the first type: 1, or the base's type count for split BTF.
    first_id: u32,
    /// The base of split BTF.
    base: Option<Arc<Btf>>,
    strings: Strings,
}

/// The string section: its bytes and where each string known so far starts.
#[derive(Clone, Debug)]
pub(super) struct Strings {
    /// Offset of the section's first byte: the base's string length for split
    /// BTF, else 0.
    pub(super) start: u32,
    /// The section.
    pub(super) bytes: Vec<u8>,
    /// Offset of each string (the first, if it occurs more than once).
    pub(super) offsets: HashMap<Box<str>, u32>,
}

impl Strings {
    /// A section holding only the empty string (for split BTF, an empty
    /// section: the base's offset 0 is the empty string).
    fn new(start: u32) -> Strings {
        let bytes = if start == 0 { vec![0] } else { Vec::new() };
        Strings {
            start,
            bytes,
            offsets: HashMap::from([(Box::from(""), 0)]),
        }
    }

    /// The offset of `s`, appending it if it is new.
    fn intern(&mut self, s: &str) -> Result<u32> {
        if let Some(&offset) = self.offsets.get(s) {
            return Ok(offset);
        }
        let offset = encode::next_string_offset(self.start, self.bytes.len(), s)?;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        self.offsets.insert(Box::from(s), offset);
        Ok(offset)
    }
}

/// Where [`BtfBuilder::retain`] moved each type.
#[derive(Clone, Debug)]
pub struct IdMap {
    first_id: u32,
    /// Per old own id: its new id, 0 if dropped.
    new_ids: Vec<u32>,
}

impl IdMap {
    /// The new id of `old`: `None` if it was dropped or never existed; void
    /// and a split base's ids map to themselves.
    pub fn get(&self, old: TypeId) -> Option<TypeId> {
        if old.0 < self.first_id {
            return Some(old);
        }
        match self.new_ids.get((old.0 - self.first_id) as usize) {
            Some(&new) if new != 0 => Some(TypeId(new)),
            _ => None,
        }
    }
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
            types: Vec::new(),
            first_id: 1,
            base: None,
            strings: Strings::new(0),
        }
    }

    /// An empty split BTF on top of `base`: the first type added gets id
    /// `base.type_count()`, and string offsets start after the base's.
    pub fn split_on(base: Arc<Btf>) -> BtfBuilder {
        BtfBuilder {
            types: Vec::new(),
            first_id: base.type_count(),
            strings: Strings::new(base.strings_len()),
            base: Some(base),
        }
    }

    /// Every type of `btf` (a split BTF's base included: the result stands
    /// alone) with the ids it has, and its string section(s) byte for byte,
    /// so that every string offset into `btf` stays valid.
    pub fn from_btf(btf: &Btf) -> BtfBuilder {
        let mut bytes = Vec::new();
        append_string_sections(btf, &mut bytes);
        let mut offsets = HashMap::with_capacity(btf.type_count() as usize);
        for t in btf.types() {
            let entries = t
                .members()
                .map(|m| m.name_off)
                .chain(t.enum_values().map(|v| v.name_off))
                .chain(t.params().map(|p| p.name_off));
            for off in std::iter::once(t.name_off()).chain(entries) {
                if let Some(s) = btf.str_at(off) {
                    offsets.entry(Box::from(s)).or_insert(off);
                }
            }
        }
        offsets.insert(Box::from(""), 0);
        BtfBuilder {
            types: btf.types().map(|t| t.to_def()).collect(),
            first_id: 1,
            base: None,
            strings: Strings {
                start: 0,
                bytes,
                offsets,
            },
        }
    }

    /// The base this split BTF is built on.
    pub fn base(&self) -> Option<&Arc<Btf>> {
        self.base.as_ref()
    }

    /// The id of the first type this builder holds (1 unless split).
    pub fn first_id(&self) -> TypeId {
        TypeId(self.first_id)
    }

    /// The id the next added type will get.
    pub fn next_id(&self) -> TypeId {
        let len = u32::try_from(self.types.len()).unwrap_or(u32::MAX);
        TypeId(self.first_id.saturating_add(len))
    }

    /// Number of types held (not counting void or a base's types).
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether no type has been added.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Appends (a copy of) a type and returns its id.
    pub fn add(&mut self, def: &TypeDef) -> TypeId {
        let id = self.next_id();
        self.types.push(def.clone());
        id
    }

    /// Appends every type of `other` (its base's included), its references
    /// renumbered to their new ids; returns the new id of `other`'s type 1.
    pub fn add_btf(&mut self, other: &Btf) -> TypeId {
        let first = self.next_id();
        let shift = first.0 - 1;
        for t in other.types() {
            let mut def = t.to_def();
            for r in def.refs_mut() {
                if *r != TypeId::VOID {
                    r.0 = r.0.saturating_add(shift);
                }
            }
            self.types.push(def);
        }
        first
    }

    fn slot(&self, id: TypeId) -> Option<usize> {
        id.0.checked_sub(self.first_id).map(|i| i as usize)
    }

    /// The type with this id (`None` for void, a base's ids and ids past the end).
    pub fn get(&self, id: TypeId) -> Option<&TypeDef> {
        self.types.get(self.slot(id)?)
    }

    /// The type with this id, to edit in place (any field, its kind
    /// included; its id stays).
    pub fn get_mut(&mut self, id: TypeId) -> Option<&mut TypeDef> {
        let slot = self.slot(id)?;
        self.types.get_mut(slot)
    }

    /// Every type with its id, in id order.
    pub fn types(&self) -> impl ExactSizeIterator<Item = (TypeId, &TypeDef)> + '_ {
        let first = self.first_id;
        self.types
            .iter()
            .enumerate()
            .map(move |(i, d)| (TypeId(first + i as u32), d))
    }

    /// The first type of this kind and name (a scan: for small tables and
    /// tests; parsed BTF has [`Btf::find_by_name_kind`]).
    pub fn find(&self, kind: Kind, name: &str) -> Option<TypeId> {
        self.types()
            .find(|(_, d)| d.kind() == kind && d.name == name)
            .map(|(id, _)| id)
    }

    /// Adds a string that no type needs to name (e.g. for `.BTF.ext` line
    /// info) and returns its offset; a string already present is not added
    /// again. Fails on a NUL byte or a section past 4 GiB.
    pub fn add_string(&mut self, s: &str) -> Result<u32> {
        self.strings.intern(s)
    }

    /// Forgets the string section, keeping only what the types name when
    /// written (offsets from [`BtfBuilder::from_btf`] or
    /// [`BtfBuilder::add_string`] become meaningless).
    pub fn drop_unused_strings(&mut self) {
        self.strings = Strings::new(self.strings.start);
    }

    /// Keeps only the types `keep` accepts, in id order, renumbered from
    /// [`BtfBuilder::first_id`], with every reference remapped. Fails,
    /// changing nothing, if a kept type refers to one that is not kept.
    pub fn retain(&mut self, mut keep: impl FnMut(TypeId, &TypeDef) -> bool) -> Result<IdMap> {
        let mut next = self.first_id;
        let new_ids: Vec<u32> = self
            .types()
            .map(|(id, def)| {
                if keep(id, def) {
                    next += 1;
                    next - 1
                } else {
                    0
                }
            })
            .collect();
        let map = IdMap {
            first_id: self.first_id,
            new_ids,
        };
        let first = self.first_id;
        for (i, def) in self.types.iter_mut().enumerate() {
            if map.new_ids[i] == 0 {
                continue;
            }
            if let Some(target) = def.refs_mut().into_iter().find(|r| map.get(**r).is_none()) {
                return Err(Error::DroppedRef {
                    id: TypeId(first + i as u32),
                    target: *target,
                });
            }
        }
        let old = std::mem::take(&mut self.types);
        self.types = old
            .into_iter()
            .zip(&map.new_ids)
            .filter(|(_, &new)| new != 0)
            .map(|(mut def, _)| {
                for r in def.refs_mut() {
                    *r = map.get(*r).unwrap_or(*r);
                }
                def
            })
            .collect();
        Ok(map)
    }

    /// Raw BTF in `endian` byte order: a 24-byte header, the types, the
    /// string section (the one kept or built so far, then any names the
    /// types need that it lacks).
    pub fn to_bytes(&self, endian: Endian) -> Result<Vec<u8>> {
        encode::encode(&self.types, self.first_id, &self.strings, endian)
    }

    /// The written BTF, parsed (split on the base, if any): checks what
    /// the types mean too, e.g. that every reference is to an existing id.
    pub fn to_btf(&self) -> Result<Btf> {
        Btf::from_vec(self.to_bytes(Endian::native())?, self.base.clone())
    }
}

/// The string sections of `btf` and its bases, in offset order.
fn append_string_sections(btf: &Btf, out: &mut Vec<u8>) {
    if let Some(base) = btf.base() {
        append_string_sections(base, out);
    }
    out.extend_from_slice(btf.own_string_bytes());
}

impl Extend<TypeDef> for BtfBuilder {
    fn extend<I: IntoIterator<Item = TypeDef>>(&mut self, defs: I) {
        self.types.extend(defs);
    }
}

impl FromIterator<TypeDef> for BtfBuilder {
    /// Definitions as ids 1, 2, ...
    fn from_iter<I: IntoIterator<Item = TypeDef>>(defs: I) -> BtfBuilder {
        let mut b = BtfBuilder::new();
        b.extend(defs);
        b
    }
}
