//! Maps: `BPF_MAP_CREATE` and the element commands, on a [`MapFd`] that
//! knows its key and value sizes, so no call can make the kernel read or
//! write past a buffer.

use crate::attr::{MapCreateAttr, MapElemAttr};
use crate::error::{Errno, Error, Result};
use crate::fd::{attr_fd, owned_fd};
use crate::info::{map_info, MapInfo};
use crate::object::{fd_by_id, obj_get_kind, obj_pin, object_name, ObjectKind};
use crate::syscall::{bpf, bpf_errno, bpf_out};
use corex_uapi::{BpfCmd, MapType};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

/// The attributes of a new map (`BPF_MAP_CREATE`). Start from
/// [`MapCreate::new`] and set what else is needed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MapCreate<'a> {
    /// The map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes (per CPU for per-CPU maps).
    pub value_size: u32,
    /// Capacity (ring buffers: the data size, a power-of-2 multiple of the page size).
    pub max_entries: u32,
    /// `corex_uapi::flags::map::*`.
    pub map_flags: u32,
    /// The map's name: at most 15 bytes of `[A-Za-z0-9_.]`.
    pub name: &'a str,
    /// Map-in-map: the inner map the outer map's values must look like.
    pub inner_map: Option<BorrowedFd<'a>>,
    /// NUMA node (with `flags::map::NUMA_NODE`).
    pub numa_node: u32,
    /// Device to offload to.
    pub map_ifindex: u32,
    /// BTF describing key and value.
    pub btf: Option<BorrowedFd<'a>>,
    /// BTF type id of the key.
    pub btf_key_type_id: u32,
    /// BTF type id of the value.
    pub btf_value_type_id: u32,
    /// struct_ops: the kernel BTF type id of the value.
    pub btf_vmlinux_value_type_id: u32,
    /// Type-specific extra (bloom filter hash count, arena address).
    pub map_extra: u64,
    /// Module BTF holding `btf_vmlinux_value_type_id` (with
    /// `flags::map::VTYPE_BTF_OBJ_FD`).
    pub value_type_btf_obj: Option<BorrowedFd<'a>>,
}

impl<'a> MapCreate<'a> {
    /// A map of `map_type` with these sizes, unnamed, no flags, no BTF.
    pub fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32) -> Self {
        MapCreate {
            map_type,
            key_size,
            value_size,
            max_entries,
            map_flags: 0,
            name: "",
            inner_map: None,
            numa_node: 0,
            map_ifindex: 0,
            btf: None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            btf_vmlinux_value_type_id: 0,
            map_extra: 0,
            value_type_btf_obj: None,
        }
    }
}

/// What element calls need to know about a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapShape {
    /// The map type.
    pub map_type: MapType,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes (one CPU's, for per-CPU maps).
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Flags it was created with.
    pub map_flags: u32,
}

/// An open map. Element calls check buffer sizes against the map's shape.
#[derive(Debug)]
pub struct MapFd {
    fd: OwnedFd,
    shape: MapShape,
}

impl MapFd {
    /// Creates a map (`BPF_MAP_CREATE`).
    pub fn create(attrs: &MapCreate<'_>) -> Result<MapFd> {
        let opt_fd = |fd: Option<BorrowedFd<'_>>| fd.map(attr_fd).unwrap_or(0);
        let mut attr = MapCreateAttr {
            map_type: attrs.map_type.0,
            key_size: attrs.key_size,
            value_size: attrs.value_size,
            max_entries: attrs.max_entries,
            map_flags: attrs.map_flags,
            inner_map_fd: opt_fd(attrs.inner_map),
            numa_node: attrs.numa_node,
            map_name: object_name("BPF_MAP_CREATE", attrs.name)?,
            map_ifindex: attrs.map_ifindex,
            btf_fd: opt_fd(attrs.btf),
            btf_key_type_id: attrs.btf_key_type_id,
            btf_value_type_id: attrs.btf_value_type_id,
            btf_vmlinux_value_type_id: attrs.btf_vmlinux_value_type_id,
            map_extra: attrs.map_extra,
            value_type_btf_obj_fd: attrs.value_type_btf_obj.map_or(0, |fd| fd.as_raw_fd()),
            map_token_fd: 0,
        };
        let fd = owned_fd(bpf(BpfCmd::MAP_CREATE, &mut attr)?);
        Ok(MapFd {
            fd,
            shape: MapShape {
                map_type: attrs.map_type,
                key_size: attrs.key_size,
                value_size: attrs.value_size,
                max_entries: attrs.max_entries,
                map_flags: attrs.map_flags,
            },
        })
    }

    /// Wraps an fd of a map, asking the kernel for its shape. An fd of
    /// another kind of BPF object is an error.
    pub fn from_owned(fd: OwnedFd) -> Result<MapFd> {
        if let Some(kind) = ObjectKind::of_fd(fd.as_fd()).filter(|k| *k != ObjectKind::Map) {
            return Err(Error::BadArgument {
                call: "BPF_OBJ_GET_INFO_BY_FD",
                why: format!("the fd is a {}, not a map", kind.name()),
            });
        }
        let info = map_info(fd.as_fd())?;
        Ok(MapFd {
            fd,
            shape: info.shape(),
        })
    }

    /// The map with this id (`BPF_MAP_GET_FD_BY_ID`).
    pub fn from_id(id: u32) -> Result<MapFd> {
        MapFd::from_owned(fd_by_id(ObjectKind::Map, id)?)
    }

    /// The map pinned at `path` (`BPF_OBJ_GET`), with `file_flags`
    /// (`flags::map::RDONLY`...). A path holding another kind of object is an
    /// error that says so.
    pub fn from_pinned(path: &Path, file_flags: u32) -> Result<MapFd> {
        MapFd::from_owned(obj_get_kind(path, file_flags, ObjectKind::Map)?)
    }

    /// The map's shape.
    pub fn shape(&self) -> MapShape {
        self.shape
    }

    /// What the kernel says about the map now.
    pub fn info(&self) -> Result<MapInfo> {
        map_info(self.fd.as_fd())
    }

    /// Pins the map at `path` in a BPF file system.
    pub fn pin(&self, path: &Path) -> Result<()> {
        obj_pin(self.fd.as_fd(), path)
    }

    /// A second fd for the same map.
    pub fn try_clone(&self) -> std::io::Result<MapFd> {
        Ok(MapFd {
            fd: self.fd.try_clone()?,
            shape: self.shape,
        })
    }

    /// The owned fd.
    pub fn into_owned(self) -> OwnedFd {
        self.fd
    }

    /// The bytes a value buffer must have: `value_size`, or for per-CPU maps
    /// `value_size` rounded up to 8 times the possible CPUs.
    pub fn value_buffer_len(&self) -> Result<usize> {
        let size = self.shape.value_size as usize;
        if self.shape.map_type.is_per_cpu() {
            Ok(size.next_multiple_of(8) * crate::system::possible_cpu_count()?)
        } else {
            Ok(size)
        }
    }

    fn check_key(&self, cmd: BpfCmd, key: &[u8]) -> Result<u64> {
        check_len(cmd, "key", key.len(), self.shape.key_size as usize)?;
        Ok(if key.is_empty() {
            0
        } else {
            key.as_ptr() as u64
        })
    }

    fn check_value(&self, cmd: BpfCmd, len: usize) -> Result<()> {
        check_len(cmd, "value", len, self.value_buffer_len()?)
    }

    fn elem(&self, key: u64, value: u64, flags: u64) -> MapElemAttr {
        MapElemAttr {
            map_fd: attr_fd(self.fd.as_fd()),
            key,
            value,
            flags,
            ..Default::default()
        }
    }

    /// Reads the value of `key` into `value` (`BPF_MAP_LOOKUP_ELEM`);
    /// `false` when there is no such key. `flags`: 0 or `flags::update::LOCK`.
    pub fn lookup(&self, key: &[u8], value: &mut [u8], flags: u64) -> Result<bool> {
        let cmd = BpfCmd::MAP_LOOKUP_ELEM;
        let key = self.check_key(cmd, key)?;
        self.check_value(cmd, value.len())?;
        let mut attr = self.elem(key, value.as_mut_ptr() as u64, flags);
        found(cmd, bpf_out(cmd, &mut attr, Some(value)))
    }

    /// Sets `key` to `value` (`BPF_MAP_UPDATE_ELEM`); `flags`:
    /// `flags::update::{ANY, NOEXIST, EXIST, LOCK}`.
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        let cmd = BpfCmd::MAP_UPDATE_ELEM;
        let key = self.check_key(cmd, key)?;
        self.check_value(cmd, value.len())?;
        let mut attr = self.elem(key, value.as_ptr() as u64, flags);
        bpf(cmd, &mut attr).map(drop)
    }

    /// Deletes `key` (`BPF_MAP_DELETE_ELEM`); `false` when there was no such key.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        let cmd = BpfCmd::MAP_DELETE_ELEM;
        let key = self.check_key(cmd, key)?;
        let mut attr = self.elem(key, 0, 0);
        found(cmd, bpf_errno(cmd, &mut attr))
    }

    /// Writes the key after `key` (the first key for `None`) into `next`
    /// (`BPF_MAP_GET_NEXT_KEY`); `false` past the last key.
    pub fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
        let cmd = BpfCmd::MAP_GET_NEXT_KEY;
        let key = match key {
            Some(key) => self.check_key(cmd, key)?,
            None => 0,
        };
        check_len(cmd, "next key", next.len(), self.shape.key_size as usize)?;
        let mut attr = self.elem(key, next.as_mut_ptr() as u64, 0);
        found(cmd, bpf_out(cmd, &mut attr, Some(next)))
    }

    /// Every key, in the kernel's order (each `key_size` bytes).
    pub fn keys(&self) -> Keys<'_> {
        Keys {
            map: self,
            last: None,
            done: false,
        }
    }

    /// Reads and removes `key`'s value, or for queues and stacks (key size
    /// 0, `key` empty) the next element (`BPF_MAP_LOOKUP_AND_DELETE_ELEM`);
    /// `false` when there was none.
    pub fn lookup_and_delete(&self, key: &[u8], value: &mut [u8], flags: u64) -> Result<bool> {
        let cmd = BpfCmd::MAP_LOOKUP_AND_DELETE_ELEM;
        let key = self.check_key(cmd, key)?;
        self.check_value(cmd, value.len())?;
        let mut attr = self.elem(key, value.as_mut_ptr() as u64, flags);
        found(cmd, bpf_out(cmd, &mut attr, Some(value)))
    }

    /// Makes the map read-only from user space (`BPF_MAP_FREEZE`); programs
    /// can still write unless created with `flags::map::RDONLY_PROG`.
    pub fn freeze(&self) -> Result<()> {
        let mut attr = self.elem(0, 0, 0);
        bpf(BpfCmd::MAP_FREEZE, &mut attr).map(drop)
    }
}

impl AsFd for MapFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for MapFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Iterator of [`MapFd::keys`]; stops after the first error.
#[derive(Debug)]
pub struct Keys<'m> {
    map: &'m MapFd,
    last: Option<Vec<u8>>,
    done: bool,
}

impl Iterator for Keys<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.done {
            return None;
        }
        let mut next = vec![0u8; self.map.shape.key_size as usize];
        match self.map.next_key(self.last.as_deref(), &mut next) {
            Ok(true) => {
                self.last = Some(next.clone());
                Some(Ok(next))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn check_len(cmd: BpfCmd, what: &str, len: usize, want: usize) -> Result<()> {
    if len == want {
        return Ok(());
    }
    Err(Error::BadArgument {
        call: cmd.name().unwrap_or("bpf"),
        why: format!("the {what} buffer has {len} bytes, the map's {what} has {want}"),
    })
}

/// `true` on success, `false` on ENOENT, the error otherwise.
fn found(cmd: BpfCmd, result: Result<i64, Errno>) -> Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(Errno::ENOENT) => Ok(false),
        Err(errno) => Err(Error::Bpf { cmd, errno }),
    }
}
