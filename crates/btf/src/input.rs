//! Reading BTF from whatever container it comes in, recognised by content:
//! raw BTF, an ELF file with a `.BTF` section (and `.BTF.ext`), or an xz stream
//! (optionally a tar archive with one member) holding either, as BTFHub ships.

use std::borrow::Cow;
use std::sync::Arc;

use object::{Object, ObjectSection};

use crate::archive::{unpack_xz, Unpacked};
use crate::btf::{Btf, BTF_MAGIC};
use crate::error::{Error, Result};
use crate::ext::BtfExt;
use crate::printable::printable;

/// The container a BTF input came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Container {
    /// Raw BTF bytes.
    Raw,
    /// An ELF file's `.BTF` section.
    Elf,
    /// An xz stream, holding one of the other forms.
    Xz,
    /// An xz-compressed tar archive with one member.
    TarXz,
}

/// BTF read from a file, with the `.BTF.ext` that came with it (ELF only).
#[derive(Debug)]
#[non_exhaustive]
pub struct LoadedBtf {
    /// The type table.
    pub btf: Btf,
    /// `.BTF.ext`, if the input was an ELF file that has one.
    pub ext: Option<BtfExt>,
    /// The outermost container.
    pub container: Container,
    /// A base was given, but the BTF is not split: it reads on its own
    /// (ids and string offsets of its own from the start), so it was read
    /// without the base. Read on the base, its ids and names would be the
    /// base's: a tool should say so rather than dump nonsense.
    pub not_split: bool,
}

const XZ_MAGIC: &[u8] = b"\xfd7zXZ\x00";
const ELF_MAGIC: &[u8] = b"\x7fELF";

fn is_raw_btf(data: &[u8]) -> bool {
    data.len() >= 2
        && (u16::from_le_bytes([data[0], data[1]]) == BTF_MAGIC
            || u16::from_be_bytes([data[0], data[1]]) == BTF_MAGIC)
}

/// Reads BTF from `data`, recognising the container by content. `base` is
/// needed for split BTF (kernel modules).
pub fn load(data: &[u8], base: Option<Arc<Btf>>) -> Result<LoadedBtf> {
    load_cow(Cow::Borrowed(data), base)
}

/// Like [`load`], but raw BTF keeps `data` as its storage instead of copying.
pub fn load_vec(data: Vec<u8>, base: Option<Arc<Btf>>) -> Result<LoadedBtf> {
    load_cow(Cow::Owned(data), base)
}

fn load_cow(data: Cow<'_, [u8]>, base: Option<Arc<Btf>>) -> Result<LoadedBtf> {
    if data.starts_with(XZ_MAGIC) {
        let (inner, container, within) = match unpack_xz(&data)? {
            Unpacked::TarMember(name, member) => (
                member,
                Container::TarXz,
                format!("file {} in the tar.xz archive", printable(&name)),
            ),
            Unpacked::Plain(plain) => (plain, Container::Xz, "xz-decompressed data".to_owned()),
        };
        let mut loaded = load_plain(Cow::Owned(inner), base).map_err(|e| e.within(within))?;
        loaded.container = container;
        return Ok(loaded);
    }
    load_plain(data, base)
}

fn load_plain(data: Cow<'_, [u8]>, base: Option<Arc<Btf>>) -> Result<LoadedBtf> {
    if data.starts_with(ELF_MAGIC) {
        let (btf, ext, not_split) = load_elf(&data, base)?;
        return Ok(LoadedBtf {
            btf,
            ext,
            container: Container::Elf,
            not_split,
        });
    }
    if is_raw_btf(&data) {
        let (btf, not_split) = parse_on(data.into_owned(), base)?;
        return Ok(LoadedBtf {
            btf,
            ext: None,
            container: Container::Raw,
            not_split,
        });
    }
    let head: Vec<String> = data.iter().take(4).map(|b| format!("{b:02x}")).collect();
    Err(Error::UnknownFormat(format!(
        "starts with bytes {} (expected raw BTF magic 9f eb, an ELF file, or an xz stream)",
        if head.is_empty() {
            "(empty file)".into()
        } else {
            head.join(" ")
        }
    )))
}

/// The `.BTF` (and `.BTF.ext`) sections of an ELF file.
pub fn elf_btf_sections(data: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let (btf, ext) = elf_sections(data)?;
    Ok((btf.bytes, ext.map(|s| s.bytes)))
}

/// An ELF section's contents and where they start in the file.
struct ElfSection {
    name: &'static str,
    bytes: Vec<u8>,
    file_offset: u64,
}

impl ElfSection {
    /// Places an error found in this section's bytes (its offsets are
    /// relative to the section) in the file.
    fn place(&self, e: Error) -> Error {
        e.within(format!(
            "ELF section {} (at file offset {})",
            self.name, self.file_offset
        ))
    }
}

/// Alignment `object` needs to read ELF64 structures in place.
const ELF_ALIGN: usize = 8;

fn elf_sections(data: &[u8]) -> Result<(ElfSection, Option<ElfSection>)> {
    // A slice that is not aligned (part of a larger buffer, `include_bytes!`)
    // would be refused as a bad header: parse an aligned copy instead.
    let mut copy = Vec::new();
    let misalignment = data.as_ptr() as usize % ELF_ALIGN;
    let data = if misalignment == 0 {
        data
    } else {
        copy.resize(data.len() + ELF_ALIGN, 0);
        let start = (ELF_ALIGN - copy.as_ptr() as usize % ELF_ALIGN) % ELF_ALIGN;
        copy[start..start + data.len()].copy_from_slice(data);
        &copy[start..start + data.len()]
    };
    let file =
        object::File::parse(data).map_err(|e| Error::Elf(format!("{e} ({})", elf_layout(data))))?;
    let section = |name: &'static str| -> Result<Option<ElfSection>> {
        let Some(s) = file.section_by_name(name) else {
            return Ok(None);
        };
        let (file_offset, size) = s.file_range().unwrap_or_default();
        let bytes = s.data().map_err(|e| {
            Error::Elf(format!(
                "section {name} (file offset {file_offset}, {size} bytes; the file has {}): {e}",
                data.len()
            ))
        })?;
        Ok(Some(ElfSection {
            name,
            bytes: bytes.to_vec(),
            file_offset,
        }))
    };
    let btf = section(".BTF")?.ok_or_else(|| {
        Error::Elf(
            "no .BTF section (BPF objects get one from clang -g, kernels and modules from \
             CONFIG_DEBUG_INFO_BTF)"
                .into(),
        )
    })?;
    Ok((btf, section(".BTF.ext")?))
}

/// Where the ELF header says the section headers are, for messages about an
/// ELF file too broken to parse.
fn elf_layout(data: &[u8]) -> String {
    let big_endian = data.get(5) == Some(&2);
    let field = |at: usize, len: usize| -> Option<u64> {
        let b = data.get(at..at + len)?;
        let fold = |v: u64, &x: &u8| (v << 8) | u64::from(x);
        Some(if big_endian {
            b.iter().fold(0, fold)
        } else {
            b.iter().rev().fold(0, fold)
        })
    };
    let (shoff, shentsize, shnum) = if data.get(4) == Some(&2) {
        (field(0x28, 8), field(0x3a, 2), field(0x3c, 2))
    } else {
        (field(0x20, 4), field(0x2e, 2), field(0x30, 2))
    };
    match (shoff, shentsize, shnum) {
        (Some(off), Some(size), Some(n)) => format!(
            "section headers at byte offset {off}: {n} of {size} bytes; the file has {} bytes",
            data.len()
        ),
        _ => format!("the ELF header is cut short at {} bytes", data.len()),
    }
}

fn load_elf(data: &[u8], base: Option<Arc<Btf>>) -> Result<(Btf, Option<BtfExt>, bool)> {
    let (mut btf_section, ext_section) = elf_sections(data)?;
    let bytes = std::mem::take(&mut btf_section.bytes);
    let (btf, not_split) = parse_on(bytes, base).map_err(|e| btf_section.place(e))?;
    let ext = ext_section
        .map(|s| BtfExt::parse(&s.bytes).map_err(|e| s.place(e)))
        .transpose()?;
    Ok((btf, ext, not_split))
}

/// Parses raw BTF split on `base`, unless it reads on its own: then it is
/// not split, and is read without the base (and `true` says so). Module BTF
/// does not read on its own: its names lie past the end of its own string
/// table, whose offsets start where its base's strings end.
fn parse_on(bytes: Vec<u8>, base: Option<Arc<Btf>>) -> Result<(Btf, bool)> {
    if base.is_some() {
        if let Ok(btf) = Btf::parse(&bytes) {
            return Ok((btf, true));
        }
    }
    Ok((Btf::from_vec(bytes, base)?, false))
}
