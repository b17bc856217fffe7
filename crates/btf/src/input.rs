//! Reading BTF from whatever container it comes in, recognised by content:
//! raw BTF, an ELF file with a `.BTF` section (and `.BTF.ext`), or an xz stream
//! (optionally a tar archive with one member) holding either, as BTFHub ships.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use object::{Object, ObjectSection};

use crate::btf::{Btf, BTF_MAGIC};
use crate::error::{Error, Result};
use crate::ext::BtfExt;

/// The container a BTF input came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
pub struct LoadedBtf {
    /// The type table.
    pub btf: Btf,
    /// `.BTF.ext`, if the input was an ELF file that has one.
    pub ext: Option<BtfExt>,
    /// The outermost container.
    pub container: Container,
}

const XZ_MAGIC: &[u8] = b"\xfd7zXZ\x00";
const ELF_MAGIC: &[u8] = b"\x7fELF";
/// Largest decompressed size accepted (a vmlinux ELF is a few hundred MiB).
const MAX_DECOMPRESSED: u64 = 2 << 30;

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
        let plain = decompress_xz(&data)?;
        let (inner, container) = match tar_single_member(&plain)? {
            Some(member) => (member, Container::TarXz),
            None => (plain, Container::Xz),
        };
        let mut loaded = load_plain(Cow::Owned(inner), base)?;
        loaded.container = container;
        return Ok(loaded);
    }
    load_plain(data, base)
}

fn load_plain(data: Cow<'_, [u8]>, base: Option<Arc<Btf>>) -> Result<LoadedBtf> {
    if data.starts_with(ELF_MAGIC) {
        let (btf, ext) = load_elf(&data, base)?;
        return Ok(LoadedBtf {
            btf,
            ext,
            container: Container::Elf,
        });
    }
    if is_raw_btf(&data) {
        let btf = Btf::from_vec(data.into_owned(), base)?;
        return Ok(LoadedBtf {
            btf,
            ext: None,
            container: Container::Raw,
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
    let file = object::File::parse(data).map_err(|e| Error::Elf(e.to_string()))?;
    let section_data = |name: &str| -> Result<Option<Vec<u8>>> {
        match file.section_by_name(name) {
            Some(s) => s
                .data()
                .map(|d| Some(d.to_vec()))
                .map_err(|e| Error::Elf(format!("section {name}: {e}"))),
            None => Ok(None),
        }
    };
    let btf = section_data(".BTF")?
        .ok_or_else(|| Error::Elf("the ELF file has no .BTF section".into()))?;
    Ok((btf, section_data(".BTF.ext")?))
}

fn load_elf(data: &[u8], base: Option<Arc<Btf>>) -> Result<(Btf, Option<BtfExt>)> {
    let (btf_bytes, ext_bytes) = elf_btf_sections(data)?;
    let btf = Btf::from_vec(btf_bytes, base)?;
    let ext = ext_bytes.map(|b| BtfExt::parse(&b)).transpose()?;
    Ok((btf, ext))
}

fn decompress_xz(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    xz2::read::XzDecoder::new(data)
        .take(MAX_DECOMPRESSED)
        .read_to_end(&mut out)
        .map_err(|e| Error::Archive(format!("xz: {e}")))?;
    Ok(out)
}

/// If `data` is a tar archive, the contents of its one regular file.
fn tar_single_member(data: &[u8]) -> Result<Option<Vec<u8>>> {
    if data.len() < 263 || &data[257..262] != b"ustar" {
        return Ok(None);
    }
    let mut archive = tar::Archive::new(data);
    let mut found: Option<Vec<u8>> = None;
    let entries = archive
        .entries()
        .map_err(|e| Error::Archive(format!("tar: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::Archive(format!("tar: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        if found.is_some() {
            return Err(Error::Archive(
                "tar archive holds more than one file (expected one BTF file)".into(),
            ));
        }
        let mut buf = Vec::new();
        entry
            .read_to_end(&mut buf)
            .map_err(|e| Error::Archive(format!("tar: {e}")))?;
        found = Some(buf);
    }
    found
        .map(Some)
        .ok_or_else(|| Error::Archive("tar archive holds no file".into()))
}
