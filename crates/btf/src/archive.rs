//! Decompressing what BTFHub ships: an xz stream (several concatenated
//! streams and stream padding included, as `xz -t` accepts), possibly a tar
//! archive of one file. Everything is read as a stream: the tar member goes
//! straight into a buffer of its announced size, never the whole archive
//! first, and no more than [`MAX_DECOMPRESSED`] bytes are ever produced.

use std::cell::Cell;
use std::io::{self, Cursor, Read};

use crate::error::{Error, Result};
use crate::printable::printable;

/// Most bytes an xz input may decompress to, in all. Real BTF is far
/// smaller (most kernels' 3-7 MB; the largest known, BTFHub's RHEL 8.1
/// kernels, 44 MB, 898,000 types), as are the xz-compressed ELF files that
/// hold it (`.ko.xz` modules, a distribution's `vmlinux.xz`); an xz bomb
/// stops here, having taken this much memory at most.
pub const MAX_DECOMPRESSED: u64 = 256 << 20;

/// Most memory the xz decoder may take (its dictionary): every `xz`
/// preset, `-9e` included, needs less than 70 MiB.
const XZ_MEMORY_LIMIT: u64 = 128 << 20;

/// What decompressing has done so far, shared by the reader and the code
/// that turns its I/O errors into messages (the tar reader wraps them).
#[derive(Default)]
struct Progress {
    /// Bytes decompressed so far.
    out: Cell<u64>,
    /// More than [`MAX_DECOMPRESSED`] were produced.
    over: Cell<bool>,
    /// The stream needs more memory than [`XZ_MEMORY_LIMIT`].
    memory: Cell<bool>,
}

/// Decompressed bytes, counted, failing past [`MAX_DECOMPRESSED`].
struct Capped<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).inspect_err(|e| {
            let memory = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<xz2::stream::Error>())
                .is_some_and(|x| matches!(x, xz2::stream::Error::MemLimit));
            self.progress.memory.set(memory);
        })?;
        let out = self.progress.out.get() + n as u64;
        self.progress.out.set(out);
        if out > MAX_DECOMPRESSED {
            self.progress.over.set(true);
            return Err(io::Error::other("decompression limit reached"));
        }
        Ok(n)
    }
}

/// What an xz input held.
pub(crate) enum Unpacked {
    /// The decompressed bytes.
    Plain(Vec<u8>),
    /// The one regular file of a tar archive: its name and contents.
    TarMember(Vec<u8>, Vec<u8>),
}

/// Decompresses `data`, an xz input, and unpacks a tar archive in it.
pub(crate) fn unpack_xz(data: &[u8]) -> Result<Unpacked> {
    let stream =
        xz2::stream::Stream::new_stream_decoder(XZ_MEMORY_LIMIT, xz2::stream::CONCATENATED)
            .map_err(|e| Error::Archive(format!("cannot start the xz decoder: {e}")))?;
    let progress = Progress::default();
    let mut reader = Capped {
        inner: xz2::bufread::XzDecoder::new_stream(data, stream),
        progress: &progress,
    };
    let xz_error = |e: io::Error| xz_error(data.len(), &progress, e);
    let mut head = Vec::with_capacity(TAR_BLOCK);
    (&mut reader)
        .take(TAR_BLOCK as u64)
        .read_to_end(&mut head)
        .map_err(xz_error)?;
    if head.len() == TAR_BLOCK && &head[257..262] == b"ustar" {
        let archive = Cursor::new(head).chain(reader);
        return tar_member(archive, &progress, data.len());
    }
    read_capped(&mut reader, &mut head).map_err(xz_error)?;
    Ok(Unpacked::Plain(head))
}

/// The error for an I/O error while decompressing: the cap, the memory
/// limit, or corrupt data.
fn xz_error(compressed: usize, progress: &Progress, e: io::Error) -> Error {
    if progress.over.get() {
        return Error::OverLimit {
            what: "the xz stream".into(),
            limit: MAX_DECOMPRESSED,
        };
    }
    if progress.memory.get() {
        return Error::Archive(format!(
            "the xz stream needs more than {} MiB of memory to decompress (a dictionary \
             larger than any xz preset makes), more than corex allows",
            XZ_MEMORY_LIMIT >> 20
        ));
    }
    Error::Archive(format!(
        "xz stream ({compressed} bytes) is corrupt after {} decompressed bytes: {e}",
        progress.out.get()
    ))
}

/// Reads `r` to its end into `out`, growing `out` no further than the cap
/// (a plain `read_to_end` doubles its buffer past it).
fn read_capped(mut r: impl Read, out: &mut Vec<u8>) -> io::Result<()> {
    let cap = MAX_DECOMPRESSED as usize + 1;
    let mut step = 1 << 16;
    loop {
        let room = step.min(cap.saturating_sub(out.len())).max(1);
        out.reserve_exact(room);
        let n = (&mut r).take(room as u64).read_to_end(out)?;
        if n < room {
            return Ok(());
        }
        step = out.len();
    }
}

/// Size of a tar header block.
const TAR_BLOCK: usize = 512;

/// The one regular file of the tar archive `archive`, read into a buffer of
/// its announced size.
fn tar_member(archive: impl Read, progress: &Progress, compressed: usize) -> Result<Unpacked> {
    let mut archive = tar::Archive::new(archive);
    let tar_error = |what: String, e: io::Error| match xz_error(compressed, progress, e) {
        Error::Archive(why) if !progress.over.get() && !progress.memory.get() => {
            Error::Archive(format!("{what}: {why}"))
        }
        other => other,
    };
    let mut found: Option<(Vec<u8>, Vec<u8>)> = None;
    let entries = archive.entries().map_err(|e| tar_error("tar".into(), e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| tar_error(tar_position(&found), e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path_bytes().into_owned();
        let at = entry.raw_header_position();
        let member = format!("file {} (header at byte {at})", printable(&name));
        if let Some((first, _)) = &found {
            return Err(Error::Archive(format!(
                "tar archive holds more than one file (expected one BTF file): {}, then {member}",
                printable(first)
            )));
        }
        let size = entry.size();
        if size > MAX_DECOMPRESSED {
            return Err(Error::OverLimit {
                what: format!("{member} in the tar archive ({size} bytes by its header)"),
                limit: MAX_DECOMPRESSED,
            });
        }
        let mut contents = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut contents)
            .map_err(|e| tar_error(format!("tar: {member}"), e))?;
        if (contents.len() as u64) < size {
            return Err(Error::Archive(format!(
                "tar: {member} is cut short: its header says {size} bytes, the archive ends \
                 after {}",
                contents.len()
            )));
        }
        found = Some((name, contents));
    }
    let (name, contents) =
        found.ok_or_else(|| Error::Archive("tar archive holds no file".into()))?;
    Ok(Unpacked::TarMember(name, contents))
}

/// Where in the archive an error between members happened, for messages.
fn tar_position(found: &Option<(Vec<u8>, Vec<u8>)>) -> String {
    match found {
        Some((name, _)) => format!("tar: after file {}", printable(name)),
        None => "tar".into(),
    }
}
