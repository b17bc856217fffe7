//! Errors of the BTF layer. Each names the byte offset or type id it is about.

use crate::printable::printable;
use crate::TypeId;

/// Everything that can go wrong while reading, writing or dumping BTF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before a structure it announces.
    #[error(
        "truncated {what}: needs {need} bytes at byte offset {offset}, but the input has {have}"
    )]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte offset where it starts.
        offset: usize,
        /// Bytes needed from `offset`.
        need: usize,
        /// Total bytes available.
        have: usize,
    },
    /// The first two bytes are not the BTF magic 0xEB9F in either byte order.
    #[error("bad magic {found:#06x} at byte offset {offset} (expected 0xeb9f)")]
    BadMagic {
        /// The 16-bit value found.
        found: u16,
        /// Byte offset of the magic.
        offset: usize,
    },
    /// A header field is out of range.
    #[error("bad header field {field} = {value} at byte offset {offset}: {why}")]
    BadHeader {
        /// The field name.
        field: &'static str,
        /// Its value.
        value: u64,
        /// Byte offset of the field.
        offset: usize,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A type record is malformed.
    #[error("type [{id}] at byte offset {offset}: {why}")]
    BadType {
        /// The type id.
        id: TypeId,
        /// Byte offset of the type record in the input.
        offset: usize,
        /// What is wrong.
        why: String,
    },
    /// A string offset does not point into the string table.
    #[error("type [{id}] at byte offset {offset}: {field} string offset {str_off} is past the string table ({str_len} bytes) or not at the start of a string")]
    BadString {
        /// The type id that holds the offset.
        id: TypeId,
        /// Byte offset of the type record.
        offset: usize,
        /// Which field holds the string offset.
        field: &'static str,
        /// The string offset.
        str_off: u32,
        /// Size of the string table(s) it may point into.
        str_len: u32,
    },
    /// A type id refers past the last type.
    #[error("type [{id}] at byte offset {offset}: {field} refers to type id {target}, but the last type id is {last}")]
    BadTypeRef {
        /// The type id that holds the reference.
        id: TypeId,
        /// Byte offset of the type record.
        offset: usize,
        /// Which field holds the reference.
        field: &'static str,
        /// The referenced id.
        target: u32,
        /// The last valid type id.
        last: u32,
    },
    /// The string table is malformed.
    #[error("string table at byte offset {offset}: {why}")]
    BadStrings {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A lookup by id found nothing.
    #[error("type id {0} does not exist")]
    NoSuchType(u32),
    /// The input is not in any form this library reads.
    #[error("not BTF: {0}")]
    UnknownFormat(String),
    /// The ELF container could not be read.
    #[error("ELF: {0}")]
    Elf(String),
    /// The compressed container could not be read.
    #[error("archive: {0}")]
    Archive(String),
    /// Decompressing would produce more than corex reads.
    #[error(
        "{what} decompresses to more than {} MiB, the most corex reads from an archive \
         (BTF is far smaller: 44 MB for the largest known, BTFHub's RHEL 8.1 kernels; \
         decompress a larger ELF image first)",
        limit >> 20
    )]
    OverLimit {
        /// What is too large (the xz stream, a tar member).
        what: String,
        /// The limit in bytes ([`crate::MAX_DECOMPRESSED`]).
        limit: u64,
    },
    /// `.BTF.ext` is malformed.
    #[error(".BTF.ext at byte offset {offset}: {why}")]
    BadExt {
        /// Byte offset within `.BTF.ext`.
        offset: usize,
        /// What is wrong.
        why: String,
    },
    /// A type graph that cannot be written as C.
    #[error("type [{id}]: {why}")]
    Unrepresentable {
        /// The type id where the problem was found.
        id: TypeId,
        /// What is wrong.
        why: String,
    },
    /// An error inside one part of a container (an ELF section, an archive
    /// member): the offsets in `inner` are relative to that part.
    #[error("{within}: {inner}")]
    Within {
        /// The part, e.g. `ELF section .BTF (at file offset 4096)`.
        within: String,
        /// The error found in it.
        inner: Box<Error>,
    },
    /// A type the writer cannot encode: a count or value past its field.
    #[error("cannot write type [{id}] as BTF: {why}")]
    Unwritable {
        /// The type id.
        id: TypeId,
        /// What does not fit.
        why: String,
    },
    /// A string that cannot go into a BTF string section.
    #[error("cannot add the string {} to BTF: {why}", printable(text))]
    BadName {
        /// The string.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The BTF being written would pass one of the format's 32-bit limits.
    #[error("cannot write BTF: {what} would be {size}, past the limit of {max}")]
    TooLarge {
        /// What would grow too large.
        what: &'static str,
        /// Its size (bytes, or ids).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Keeping a subset of types would leave a reference to a dropped one.
    #[error("type [{id}] refers to type [{target}], which is not kept")]
    DroppedRef {
        /// The kept type (its id before renumbering).
        id: TypeId,
        /// The dropped type it refers to.
        target: TypeId,
    },
    /// A regular expression given as a filter is invalid.
    #[error("bad regular expression: {0}")]
    Regex(#[from] regex::Error),
    /// Writing the output failed.
    #[error("write error: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// This error, found inside `within` (a part of a container).
    pub(crate) fn within(self, within: impl Into<String>) -> Error {
        Error::Within {
            within: within.into(),
            inner: Box::new(self),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
