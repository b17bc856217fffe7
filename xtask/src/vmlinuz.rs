//! The kernel's own BTF from its bzImage: decompress the payload, take vmlinux's `.BTF`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, ensure, Context, Result};
use object::{Object, ObjectSection};

use crate::apt;

/// How a bzImage's payload is compressed, and the host tool that decompresses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip
    Gzip,
    /// xz
    Xz,
    /// zstd
    Zstd,
    /// lz4 (legacy frame, as the kernel writes it)
    Lz4,
}

impl Compression {
    fn from_magic(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some(Compression::Xz),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            [0x02, 0x21, 0x4c, 0x18, ..] => Some(Compression::Lz4),
            _ => None,
        }
    }

    /// `(program, arguments, Debian package)` that decompress stdin to stdout.
    fn tool(self) -> (&'static str, &'static [&'static str], &'static str) {
        match self {
            Compression::Gzip => ("gzip", &["-dc"], "gzip"),
            Compression::Xz => ("xz", &["-dc", "--single-stream"], "xz-utils"),
            Compression::Zstd => ("zstd", &["-dc"], "zstd"),
            Compression::Lz4 => ("lz4", &["-dc"], "lz4"),
        }
    }
}

fn le_u32(img: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(img.get(at..at + 4)?.try_into().ok()?))
}

/// The compressed payload of an x86 bzImage (boot protocol 2.08+): it starts
/// `payload_offset` bytes into the protected-mode code, which follows the
/// `(setup_sects + 1)` 512-byte setup sectors.
pub fn payload(img: &[u8]) -> Result<(Compression, &[u8])> {
    ensure!(
        img.get(0x202..0x206) == Some(b"HdrS"),
        "not an x86 bzImage (no HdrS setup header at 0x202)"
    );
    let setup_sects = match img.get(0x1f1) {
        Some(0) => 4,
        Some(&n) => usize::from(n),
        None => bail!("truncated setup header"),
    };
    let (Some(offset), Some(length)) = (le_u32(img, 0x248), le_u32(img, 0x24c)) else {
        bail!("truncated setup header (no payload_offset/payload_length at 0x248)");
    };
    let start = (setup_sects + 1) * 512 + offset as usize;
    let Some(data) = img.get(start..start + length as usize) else {
        bail!(
            "payload of {length} bytes at {start} runs past the end of the image ({} bytes)",
            img.len()
        );
    };
    match Compression::from_magic(data) {
        Some(c) => Ok((c, data)),
        None => bail!(
            "unknown payload compression (magic {:02x?} at byte {start})",
            &data[..data.len().min(6)]
        ),
    }
}

/// Decompresses a bzImage's vmlinux (an ELF file), installing the decompressor if missing.
pub fn vmlinux(vmlinuz: &Path) -> Result<Vec<u8>> {
    let img = std::fs::read(vmlinuz).with_context(|| format!("{}", vmlinuz.display()))?;
    let (compression, data) = payload(&img).with_context(|| format!("{}", vmlinuz.display()))?;
    let (program, args, package) = compression.tool();
    apt::ensure_tools(&[(program, package)])?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    let mut stdin = child.stdin.take().context("decompressor stdin")?;
    let mut stdout = child.stdout.take().context("decompressor stdout")?;
    let mut elf = Vec::new();
    std::thread::scope(|s| {
        // The kernel build appends the decompressed size after some formats' streams,
        // which decompressors may call trailing garbage: the output is what counts.
        s.spawn(move || stdin.write_all(data));
        stdout.read_to_end(&mut elf)
    })
    .with_context(|| format!("reading {program}'s output"))?;
    child.wait()?;
    ensure!(
        elf.starts_with(b"\x7fELF"),
        "{}: decompressing the payload with {program} did not give an ELF file",
        vmlinuz.display()
    );
    Ok(elf)
}

/// The raw BTF of an ELF file's `.BTF` section.
pub fn btf_section(elf: &[u8]) -> Result<Vec<u8>> {
    let file = object::File::parse(elf).context("vmlinux is not a readable ELF file")?;
    let section = file
        .section_by_name(".BTF")
        .context("vmlinux has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)")?;
    let data = section.data().context(".BTF section")?;
    ensure!(
        data.starts_with(&[0x9f, 0xeb]),
        ".BTF section does not start with the BTF magic"
    );
    Ok(data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bzimage(setup_sects: u8, offset: u32, payload: &[u8]) -> Vec<u8> {
        let start = (usize::from(setup_sects) + 1) * 512 + offset as usize;
        let mut img = vec![0u8; start];
        img[0x1f1] = setup_sects;
        img[0x202..0x206].copy_from_slice(b"HdrS");
        img[0x248..0x24c].copy_from_slice(&offset.to_le_bytes());
        img[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        img.extend_from_slice(payload);
        img.extend_from_slice(&[0xaa; 16]);
        img
    }

    #[test]
    fn payload_is_found_from_the_setup_header() {
        let data = [0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3];
        let img = bzimage(27, 0x3b4, &data);
        let (c, p) = payload(&img).unwrap();
        assert_eq!(c, Compression::Zstd);
        assert_eq!(p, data);
    }

    #[test]
    fn bad_images_are_named_errors() {
        let err = payload(&[0u8; 100]).unwrap_err().to_string();
        assert!(err.contains("HdrS"), "{err}");
        let mut img = bzimage(27, 0, b"\xfd7zXZ\0abc");
        img.truncate(img.len() - 20);
        let err = payload(&img).unwrap_err().to_string();
        assert!(err.contains("runs past the end"), "{err}");
        let err = payload(&bzimage(27, 0, b"nope")).unwrap_err().to_string();
        assert!(err.contains("unknown payload compression"), "{err}");
    }
}
