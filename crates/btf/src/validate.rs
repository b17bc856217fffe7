//! The per-type checks of a freshly parsed type table: every string offset
//! and type id a record holds, and the shapes that would make sizes or
//! shifts overflow later, so the rest of the library can trust them.
//!
//! A kernel's BTF holds hundreds of thousands of each, so the checks take
//! two steps. The walk that indexes the records also gathers their
//! [`Extent`]: the largest string offset and type id they hold, and whether
//! every shape passes. When the string tables are ASCII (every offset inside
//! them then starts a string) and both maxima are in range, every record
//! passes, and the string table was never read at a name. Otherwise (a bad
//! record, or strings with other UTF-8 characters, whose continuation bytes
//! start no string) [`validate_each`] checks record by record and names the
//! first that fails, exactly as if there were no first step.

use crate::btf::{record_offset, Btf};
use crate::error::{Error, Result};
use crate::kind::{EntryLayout, Kind};
use crate::types::word_at;

/// What the records of a type section refer to, gathered record by record
/// while they are indexed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extent {
    /// The largest string offset a record holds (names of types, members,
    /// enumerators, parameters).
    max_str_off: u32,
    /// The largest type id a record refers to.
    max_type_id: u32,
    /// Whether every record's shape passes [`shape_problem`].
    shapes_ok: bool,
}

impl Default for Extent {
    fn default() -> Extent {
        Extent {
            max_str_off: 0,
            max_type_id: 0,
            shapes_ok: true,
        }
    }
}

impl Extent {
    /// Takes in one record of kind `kind`: its header and extra data
    /// (native order), whose size the caller checked.
    #[inline]
    pub(crate) fn add(&mut self, kind: Kind, rec: &[u8]) {
        let mut max_str_off = self.max_str_off.max(word_at(rec, 0));
        let mut max_type_id = self.max_type_id;
        if kind.has_type() {
            max_type_id = max_type_id.max(word_at(rec, 2));
        }
        if kind == Kind::Array {
            max_type_id = max_type_id.max(word_at(rec, 3)).max(word_at(rec, 4));
        }
        if let Some(layout) = kind.entry_layout() {
            // A constant stride spares a division per record.
            let maxima = (max_str_off, max_type_id);
            (max_str_off, max_type_id) = match layout.stride {
                8 => fold_entries::<8>(&rec[12..], layout, maxima),
                _ => fold_entries::<12>(&rec[12..], layout, maxima),
            };
        }
        self.max_str_off = max_str_off;
        self.max_type_id = max_type_id;
        self.shapes_ok &= shape_problem(kind, rec).is_none();
    }
}

/// `maxima` (string offset, type id) raised by those of `entries`, laid out
/// as `layout` says with `STRIDE` bytes each.
#[inline]
fn fold_entries<const STRIDE: usize>(
    entries: &[u8],
    layout: EntryLayout,
    (mut max_str_off, mut max_type_id): (u32, u32),
) -> (u32, u32) {
    for entry in entries.chunks_exact(STRIDE) {
        if let Some(name) = layout.name {
            max_str_off = max_str_off.max(word_at(entry, name));
        }
        if let Some(ty) = layout.type_id {
            max_type_id = max_type_id.max(word_at(entry, ty));
        }
    }
    (max_str_off, max_type_id)
}

/// Checks every own type of `btf`, whose records' extent is `extent`.
/// `type_start` is the byte offset of the type section in the input, for
/// error messages.
pub(crate) fn validate(btf: &Btf, extent: &Extent, type_start: usize) -> Result<()> {
    let all_pass = btf.strings_are_ascii()
        && extent.shapes_ok
        && extent.max_str_off < btf.strings_len()
        && extent.max_type_id < btf.type_count();
    if all_pass {
        return Ok(());
    }
    validate_each(btf, type_start)
}

/// Checks each own type in id order, returning the first problem found.
fn validate_each(btf: &Btf, type_start: usize) -> Result<()> {
    let last = btf.type_count() - 1;
    let str_len = btf.strings_len();
    for t in btf.own_types() {
        let id = t.id();
        let offset = || record_offset(btf, id, type_start);
        let check_str = |field: &'static str, str_off: u32| {
            if !btf.is_str_off(str_off) {
                return Err(Error::BadString {
                    id,
                    offset: offset(),
                    field,
                    str_off,
                    str_len,
                });
            }
            Ok(())
        };
        check_str("name", t.name_off())?;
        let entry_name = match t.kind() {
            Kind::Struct | Kind::Union => Some("member name"),
            Kind::Enum | Kind::Enum64 => Some("enumerator name"),
            Kind::FuncProto => Some("parameter name"),
            _ => None,
        };
        if let Some(field) = entry_name {
            for name_off in t.entry_words(0) {
                check_str(field, name_off)?;
            }
        }
        for r in t.referenced_ids() {
            if r.0 > last {
                return Err(Error::BadTypeRef {
                    id,
                    offset: offset(),
                    field: field_name(t.kind()),
                    target: r.0,
                    last,
                });
            }
        }
        if let Some(why) = shape_problem(t.kind(), t.record()) {
            return Err(Error::BadType {
                id,
                offset: offset(),
                why,
            });
        }
    }
    Ok(())
}

fn field_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Struct | Kind::Union => "a member",
        Kind::FuncProto => "the return or a parameter type",
        Kind::Datasec => "a variable",
        Kind::Array => "the element or index type",
        _ => "type_id",
    }
}

/// Per-kind rules that would otherwise make sizes or shifts overflow later:
/// what is wrong with the shape of record `rec` of kind `kind`, if anything.
#[inline]
fn shape_problem(kind: Kind, rec: &[u8]) -> Option<String> {
    let size = word_at(rec, 2);
    match kind {
        Kind::Int => {
            let i = crate::IntInfo::from_word(word_at(rec, 3));
            if i.bits > 128 || u32::from(i.offset) + u32::from(i.bits) > size.saturating_mul(8) {
                return Some(format!(
                    "INT of {size} bytes cannot hold {} bits at bit offset {}",
                    i.bits, i.offset
                ));
            }
        }
        Kind::Struct | Kind::Union if word_at(rec, 1) >> 31 != 0 => {
            for (i, member) in rec[12..].chunks_exact(12).enumerate() {
                let bitfield_size = word_at(member, 2) >> 24;
                if bitfield_size > 128 {
                    return Some(format!(
                        "member #{i} has a bitfield size of {bitfield_size} bits"
                    ));
                }
            }
        }
        Kind::Enum | Kind::Enum64 if !matches!(size, 1 | 2 | 4 | 8) => {
            return Some(format!("{kind} of size {size} (must be 1, 2, 4 or 8)"));
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::validate_each;
    use crate::write::{BtfBuilder, MemberDef, TypeDef};
    use crate::{Btf, Endian, Linkage, TypeId, VarSecInfo, HEADER_LEN, INT_SIGNED};

    /// A BTF with a record of every kind that holds names or type ids, a
    /// bitfield and an INT with a bit offset, in little-endian bytes.
    fn every_reference() -> Vec<u8> {
        let mut b = BtfBuilder::new();
        let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
        let ptr = b.add(&TypeDef::ptr(TypeId(4)));
        b.add(&TypeDef::array(int, int, 4));
        let mut bits = MemberDef::new("bits", int, 32);
        bits.bitfield_size = 3;
        let members = vec![MemberDef::new("a", int, 0), bits];
        b.add(&TypeDef::structure("pair", 8, members));
        b.add(&TypeDef::union("u", 4, vec![MemberDef::new("x", ptr, 0)]));
        let values = vec![("A".to_owned(), 1), ("B".to_owned(), -1)];
        b.add(&TypeDef::enumeration("e", false, 4, true, values.clone()));
        b.add(&TypeDef::enumeration("e64", true, 8, false, values));
        let params = vec![("p".to_owned(), ptr), (String::new(), int)];
        let proto = b.add(&TypeDef::func_proto(int, params));
        b.add(&TypeDef::func("f", proto, Linkage::Global));
        let var = b.add(&TypeDef::var("v", int, Linkage::Global));
        let vars = vec![VarSecInfo {
            ty: var,
            offset: 0,
            size: 4,
        }];
        b.add(&TypeDef::datasec(".data", 4, vars));
        b.add(&TypeDef::decl_tag("tag", proto, 0));
        b.add(&TypeDef::typedef("t", int));
        let btf = b.to_btf().expect("the builder writes valid BTF");
        crate::write::write(&btf, Endian::Little).expect("valid BTF is written")
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 4000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// The quick step accepts only what the record-by-record checks
        /// accept: whatever one word of the type section is changed to,
        /// either the parse fails (with the error of the precise checks or
        /// of the indexing walk) or every record passes those checks.
        #[test]
        fn the_quick_step_accepts_only_what_each_check_accepts(
            word in any::<prop::sample::Index>(),
            value in prop_oneof![
                0u32..48,
                select(vec![u32::MAX, 1 << 24, 3 << 24, 129 << 24, 0x8000_0000]),
                any::<u32>(),
            ],
            edits in 1usize..3,
        ) {
            let mut data = every_reference();
            let (header, _) = crate::parse_header(&data).unwrap();
            let start = HEADER_LEN as usize + header.type_off as usize;
            let words = header.type_len as usize / 4;
            for k in 0..edits {
                let at = start + 4 * ((word.index(words) + 7 * k) % words);
                let v = value.rotate_left(8 * k as u32);
                data[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            if let Ok(btf) = Btf::from_vec(data, None) {
                prop_assert!(validate_each(&btf, start).is_ok());
            }
        }
    }
}
