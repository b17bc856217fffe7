//! A loaded map: its kernel id, definition, where it came from, its pin,
//! and element access. Dropping it closes its fd (the kernel frees the map
//! once no program, fd or pin holds it).

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use corex_sys::{Keys, MapFd, Mmap};
use corex_uapi::MapType;

use crate::error::{Error, MapStep, Result};

/// Where a map comes from in the object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapOrigin {
    /// A map the object declares (`SEC(".maps")`).
    Declared,
    /// A global data section (`.rodata`, `.data`, `.bss`, `.data.custom`...).
    GlobalData {
        /// The ELF section.
        section: String,
        /// Frozen after its initial contents were written (`.rodata*`):
        /// read-only for user space.
        read_only: bool,
    },
    /// The `.kconfig` externs' values (frozen).
    Kconfig,
}

/// A map of a loaded object.
#[derive(Debug)]
pub struct Map {
    pub(crate) name: String,
    pub(crate) id: u32,
    pub(crate) fd: MapFd,
    pub(crate) origin: MapOrigin,
    pub(crate) pin: Option<PathBuf>,
    pub(crate) reused: bool,
    /// The map's memory, for mmap-able global data.
    pub(crate) mmap: Option<Mmap>,
    /// The object's file or name, for errors.
    pub(crate) object: String,
}

impl Map {
    /// Its name, as libbpf names it (`counts`, `execsnoop.rodata`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its kernel id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its type.
    pub fn map_type(&self) -> MapType {
        self.fd.shape().map_type
    }

    /// Key size in bytes.
    pub fn key_size(&self) -> u32 {
        self.fd.shape().key_size
    }

    /// Value size in bytes (one CPU's, for per-CPU maps).
    pub fn value_size(&self) -> u32 {
        self.fd.shape().value_size
    }

    /// Capacity (a ring buffer's size in bytes).
    pub fn max_entries(&self) -> u32 {
        self.fd.shape().max_entries
    }

    /// `BPF_F_*` flags it was created with.
    pub fn flags(&self) -> u32 {
        self.fd.shape().map_flags
    }

    /// Where it comes from in the object.
    pub fn origin(&self) -> &MapOrigin {
        &self.origin
    }

    /// Where it is pinned (`LIBBPF_PIN_BY_NAME` maps), if it is.
    pub fn pin_path(&self) -> Option<&Path> {
        self.pin.as_deref()
    }

    /// Whether the load reused a map already pinned there rather than
    /// creating it.
    pub fn reused_pin(&self) -> bool {
        self.reused
    }

    /// The map's fd, with the kernel layer's element calls (sizes checked).
    pub fn fd(&self) -> &MapFd {
        &self.fd
    }

    fn access(&self, source: corex_sys::Error) -> Error {
        Error::Map {
            object: self.object.clone(),
            map: self.name.clone(),
            step: MapStep::Access,
            source: Box::new(source),
        }
    }

    /// The value of `key` (every CPU's, for per-CPU maps), `None` if there
    /// is none.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let len = self.fd.value_buffer_len().map_err(|e| self.access(e))?;
        let mut value = vec![0u8; len];
        let found = self
            .fd
            .lookup(key, &mut value, 0)
            .map_err(|e| self.access(e))?;
        Ok(found.then_some(value))
    }

    /// Sets `key` to `value`; `flags`: `corex::uapi::flags::update::*`.
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        self.fd
            .update(key, value, flags)
            .map_err(|e| self.access(e))
    }

    /// Deletes `key`; `false` if there was none.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        self.fd.delete(key).map_err(|e| self.access(e))
    }

    /// Every key, in the kernel's order.
    pub fn keys(&self) -> Keys<'_> {
        self.fd.keys()
    }

    /// Pins the map at `path` in a BPF file system.
    pub fn pin(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.fd.pin(path).map_err(|source| Error::Map {
            object: self.object.clone(),
            map: self.name.clone(),
            step: MapStep::Pin(path.to_string_lossy().into_owned()),
            source: Box::new(source),
        })
    }
}

impl AsFd for Map {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
