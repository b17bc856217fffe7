//! `.BTF.ext`: per-ELF-section function info, line info and CO-RE relocation
//! records. String offsets in it point into the `.BTF` string table.

use crate::btf::{Btf, Endian, TypeId, BTF_MAGIC};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::printable::printable;

/// Function info: which FUNC describes the function starting at an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Byte offset of the function's first instruction in its ELF section.
    pub insn_off: u32,
    /// The FUNC type.
    pub type_id: TypeId,
}

/// Line info: the source line of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Byte offset of the instruction in its ELF section.
    pub insn_off: u32,
    /// String offset of the file name.
    pub file_name_off: u32,
    /// String offset of the source line's text.
    pub line_off: u32,
    /// `line << 10 | column`.
    pub line_col: u32,
}

impl LineInfo {
    /// The line number.
    pub fn line(&self) -> u32 {
        self.line_col >> 10
    }

    /// The column.
    pub fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

/// A CO-RE relocation record as clang writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction to patch in its ELF section.
    pub insn_off: u32,
    /// The local root type.
    pub type_id: TypeId,
    /// String offset of the access string (`"0:1:2"`).
    pub access_str_off: u32,
    /// The relocation kind number (see `bpf_core_relo_kind`).
    pub kind: u32,
}

/// The records of one kind that belong to one ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtSection<T> {
    /// String offset of the ELF section's name.
    pub sec_name_off: u32,
    /// Byte offset of this section's block within `.BTF.ext`; record `i`
    /// starts at `offset + 8 + i * record_size`.
    pub offset: usize,
    /// Size in bytes of each record as written (at least the fields read).
    pub record_size: usize,
    /// The records, in file order.
    pub records: Vec<T>,
}

impl<T> ExtSection<T> {
    /// Byte offset within `.BTF.ext` of record `index`.
    pub fn record_offset(&self, index: usize) -> usize {
        self.offset + 8 + index * self.record_size
    }
}

/// A parsed `.BTF.ext` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfExt {
    /// Function info, per ELF section.
    pub func_info: Vec<ExtSection<FuncInfo>>,
    /// Line info, per ELF section.
    pub line_info: Vec<ExtSection<LineInfo>>,
    /// CO-RE relocations, per ELF section.
    pub core_relos: Vec<ExtSection<CoreRelo>>,
}

struct Reader<'a> {
    data: &'a [u8],
    endian: Endian,
}

impl Reader<'_> {
    fn u32(&self, at: usize) -> Result<u32> {
        let b = self
            .data
            .get(at..at.saturating_add(4))
            .ok_or_else(|| bad(at, "truncated: a 4-byte field runs past the end"))?;
        Ok(self.endian.read_u32([b[0], b[1], b[2], b[3]]))
    }
}

fn bad(offset: usize, why: impl Into<String>) -> Error {
    Error::BadExt {
        offset,
        why: why.into(),
    }
}

impl BtfExt {
    /// Parses `.BTF.ext` bytes in either byte order.
    pub fn parse(data: &[u8]) -> Result<BtfExt> {
        if data.len() < 8 {
            return Err(bad(
                0,
                format!("{} bytes is too short for the header", data.len()),
            ));
        }
        let endian = match u16::from_le_bytes([data[0], data[1]]) {
            m if m == BTF_MAGIC => Endian::Little,
            m if m == BTF_MAGIC.swap_bytes() => Endian::Big,
            m => return Err(bad(0, format!("bad magic {m:#06x} (expected 0xeb9f)"))),
        };
        if data[2] != 1 {
            return Err(bad(2, format!("unsupported version {}", data[2])));
        }
        let r = Reader { data, endian };
        let hdr_len = r.u32(4)? as usize;
        if hdr_len < 24 || hdr_len > data.len() {
            return Err(bad(
                4,
                format!("header length {hdr_len} is below 24 or past the end"),
            ));
        }
        let subsection = |field_at: usize, name: &'static str, min_rec: usize| {
            let off = r.u32(field_at)? as usize;
            let len = r.u32(field_at + 4)? as usize;
            let start = hdr_len.saturating_add(off);
            if start.saturating_add(len) > data.len() {
                return Err(bad(
                    field_at,
                    format!(
                        "{name} (offset {off}, length {len}) runs past the end ({} bytes)",
                        data.len()
                    ),
                ));
            }
            read_blocks(&r, start, len, name, min_rec)
        };
        let mut ext = BtfExt {
            func_info: map_records(subsection(8, "func_info", 8)?, &r, |r, at| {
                Ok(FuncInfo {
                    insn_off: r.u32(at)?,
                    type_id: TypeId(r.u32(at + 4)?),
                })
            })?,
            line_info: map_records(subsection(16, "line_info", 16)?, &r, |r, at| {
                Ok(LineInfo {
                    insn_off: r.u32(at)?,
                    file_name_off: r.u32(at + 4)?,
                    line_off: r.u32(at + 8)?,
                    line_col: r.u32(at + 12)?,
                })
            })?,
            core_relos: Vec::new(),
        };
        if hdr_len >= 32 {
            ext.core_relos = map_records(subsection(24, "core_relo", 16)?, &r, |r, at| {
                Ok(CoreRelo {
                    insn_off: r.u32(at)?,
                    type_id: TypeId(r.u32(at + 4)?),
                    access_str_off: r.u32(at + 8)?,
                    kind: r.u32(at + 12)?,
                })
            })?;
        }
        Ok(ext)
    }
}

impl BtfExt {
    /// Checks every string offset and type id the records hold against the
    /// `.BTF` they belong to: section names, line info file names and source
    /// lines, and CO-RE access strings are strings of `btf`; func_info types
    /// are FUNCs and CO-RE root types exist. [`BtfExt::parse`] cannot (it
    /// reads `.BTF.ext` alone); a consumer calls this once both are parsed,
    /// and may then look the records up without checking again. The error
    /// names the record's byte offset in `.BTF.ext`.
    pub fn validate_against(&self, btf: &Btf) -> Result<()> {
        let string = |what: &str, section: &str, at: usize, off: u32| {
            if btf.str_at(off).is_some() {
                return Ok(());
            }
            Err(bad(
                at,
                format!(
                    "{what} of section '{}': string offset {off} is not a string of .BTF \
                     ({} bytes of strings)",
                    printable(section),
                    btf.strings_len()
                ),
            ))
        };
        let type_id = |what: &str, section: &str, at: usize, id: TypeId| {
            if id.0 < btf.type_count() {
                return Ok(());
            }
            Err(bad(
                at,
                format!(
                    "{what} of section '{}': type id {id} is past the last type id {}",
                    printable(section),
                    btf.type_count() - 1
                ),
            ))
        };
        let name = |kind: &str, block: usize, off: u32| -> Result<&str> {
            btf.str_at(off).filter(|n| !n.is_empty()).ok_or_else(|| {
                bad(
                    block,
                    format!("{kind}: section name offset {off} is not a name in .BTF"),
                )
            })
        };
        for s in &self.func_info {
            let sec = name("func_info", s.offset, s.sec_name_off)?;
            for (i, r) in s.records.iter().enumerate() {
                let (at, what) = (s.record_offset(i), format!("func_info record #{i}"));
                type_id(&what, sec, at, r.type_id)?;
                let kind = btf.ty(r.type_id).kind();
                if kind != Kind::Func {
                    return Err(bad(
                        at,
                        format!(
                            "{what} of section '{}': type [{}] is of kind {kind}, not FUNC",
                            printable(sec),
                            r.type_id
                        ),
                    ));
                }
            }
        }
        for s in &self.line_info {
            let sec = name("line_info", s.offset, s.sec_name_off)?;
            for (i, r) in s.records.iter().enumerate() {
                let at = s.record_offset(i);
                string(
                    &format!("line_info record #{i} file name"),
                    sec,
                    at,
                    r.file_name_off,
                )?;
                string(
                    &format!("line_info record #{i} source line"),
                    sec,
                    at,
                    r.line_off,
                )?;
            }
        }
        for s in &self.core_relos {
            let sec = name("core_relo", s.offset, s.sec_name_off)?;
            for (i, r) in s.records.iter().enumerate() {
                let (at, what) = (s.record_offset(i), format!("CO-RE record #{i}"));
                type_id(&what, sec, at, r.type_id)?;
                string(&format!("{what} access string"), sec, at, r.access_str_off)?;
            }
        }
        Ok(())
    }
}

/// One ELF section's block: where it starts, its name, its record offsets.
struct Block {
    offset: usize,
    sec_name_off: u32,
    record_size: usize,
    records: Vec<usize>,
}

/// Splits a subsection into per-ELF-section blocks of record offsets.
fn read_blocks(
    r: &Reader<'_>,
    start: usize,
    len: usize,
    name: &str,
    min_rec: usize,
) -> Result<Vec<Block>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let end = start + len;
    let rec_size = r.u32(start)? as usize;
    if rec_size < min_rec || !rec_size.is_multiple_of(4) {
        return Err(bad(
            start,
            format!("{name} record size {rec_size} is below {min_rec} or not a multiple of 4"),
        ));
    }
    let mut blocks = Vec::new();
    let mut at = start + 4;
    while at < end {
        if at + 8 > end {
            return Err(bad(
                at,
                format!("{name}: section header runs past the subsection end"),
            ));
        }
        let sec_name_off = r.u32(at)?;
        let num = r.u32(at + 4)? as usize;
        if num == 0 {
            return Err(bad(at + 4, format!("{name}: a section with zero records")));
        }
        let body = at + 8;
        let size = num
            .checked_mul(rec_size)
            .filter(|&s| body + s <= end)
            .ok_or_else(|| {
                bad(
                    at + 4,
                    format!("{name}: {num} records of {rec_size} bytes run past the subsection end at {end}"),
                )
            })?;
        blocks.push(Block {
            offset: at,
            sec_name_off,
            record_size: rec_size,
            records: (0..num).map(|i| body + i * rec_size).collect(),
        });
        at = body + size;
    }
    Ok(blocks)
}

fn map_records<T>(
    blocks: Vec<Block>,
    r: &Reader<'_>,
    read: impl Fn(&Reader<'_>, usize) -> Result<T>,
) -> Result<Vec<ExtSection<T>>> {
    blocks
        .into_iter()
        .map(|b| {
            Ok(ExtSection {
                sec_name_off: b.sec_name_off,
                offset: b.offset,
                record_size: b.record_size,
                records: b
                    .records
                    .iter()
                    .map(|&at| read(r, at))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}
