//! What every kind of BPF object shares: ids and their lists, pinning in
//! bpffs, `BPF_OBJ_GET_INFO_BY_FD`, object names.

use crate::attr::{Attr, GetIdAttr, InfoAttr, ObjAttr};
use crate::error::{Errno, Error, Result};
use crate::fd::{attr_fd, owned_fd};
use crate::syscall::{bpf, bpf_errno, bpf_out};
use corex_uapi::BpfCmd;
use std::ffi::CString;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A kind of BPF object that has ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// Programs.
    Prog,
    /// Maps.
    Map,
    /// BTF objects (vmlinux, modules, programs' BTF).
    Btf,
    /// Links.
    Link,
}

impl ObjectKind {
    fn next_id_cmd(self) -> BpfCmd {
        match self {
            ObjectKind::Prog => BpfCmd::PROG_GET_NEXT_ID,
            ObjectKind::Map => BpfCmd::MAP_GET_NEXT_ID,
            ObjectKind::Btf => BpfCmd::BTF_GET_NEXT_ID,
            ObjectKind::Link => BpfCmd::LINK_GET_NEXT_ID,
        }
    }

    fn fd_by_id_cmd(self) -> BpfCmd {
        match self {
            ObjectKind::Prog => BpfCmd::PROG_GET_FD_BY_ID,
            ObjectKind::Map => BpfCmd::MAP_GET_FD_BY_ID,
            ObjectKind::Btf => BpfCmd::BTF_GET_FD_BY_ID,
            ObjectKind::Link => BpfCmd::LINK_GET_FD_BY_ID,
        }
    }
}

impl ObjectKind {
    /// The name people use (`program`, `map`, `BTF object`, `link`).
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Prog => "program",
            ObjectKind::Map => "map",
            ObjectKind::Btf => "BTF object",
            ObjectKind::Link => "link",
        }
    }

    /// What kind of BPF object `fd` refers to, from the keys the kernel
    /// shows in `/proc/self/fdinfo` (`link_type`, `prog_type`, `map_type`,
    /// `btf_id`); `None` for anything else (or without /proc).
    pub fn of_fd(fd: BorrowedFd<'_>) -> Option<ObjectKind> {
        use std::os::fd::AsRawFd;
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).ok()?;
        let has = |key: &str| info.lines().any(|l| l.split(':').next() == Some(key));
        [
            ("link_type", ObjectKind::Link),
            ("prog_type", ObjectKind::Prog),
            ("map_type", ObjectKind::Map),
            ("btf_id", ObjectKind::Btf),
        ]
        .into_iter()
        .find(|(key, _)| has(key))
        .map(|(_, kind)| kind)
    }
}

/// `obj_get` of a path that must hold an object of `kind`.
pub(crate) fn obj_get_kind(path: &Path, file_flags: u32, kind: ObjectKind) -> Result<OwnedFd> {
    use std::os::fd::AsFd;
    let fd = obj_get(path, file_flags)?;
    match ObjectKind::of_fd(fd.as_fd()) {
        Some(found) if found == kind => Ok(fd),
        found => Err(Error::BadArgument {
            call: "BPF_OBJ_GET",
            why: format!(
                "{} holds {}, not a {}",
                path.display(),
                found.map_or("an object corex cannot identify".to_owned(), |k| format!(
                    "a {}",
                    k.name()
                )),
                kind.name()
            ),
        }),
    }
}

/// The first id of `kind` above `start`, `None` past the last
/// (`BPF_*_GET_NEXT_ID`; needs CAP_SYS_ADMIN).
pub fn next_id(kind: ObjectKind, start: u32) -> Result<Option<u32>> {
    let cmd = kind.next_id_cmd();
    let mut attr = GetIdAttr {
        start_id: start,
        ..Default::default()
    };
    match bpf_errno(cmd, &mut attr) {
        Ok(_) => Ok(Some(attr.next_id)),
        Err(Errno::ENOENT) => Ok(None),
        Err(errno) => Err(Error::Bpf { cmd, errno }),
    }
}

/// Every id of `kind` the kernel has now, in increasing order.
pub fn ids(kind: ObjectKind) -> Ids {
    Ids {
        kind,
        next: Some(0),
    }
}

/// Iterator of [`ids`]; stops after the first error.
#[derive(Debug)]
pub struct Ids {
    kind: ObjectKind,
    next: Option<u32>,
}

impl Iterator for Ids {
    type Item = Result<u32>;

    fn next(&mut self) -> Option<Result<u32>> {
        let start = self.next?;
        match next_id(self.kind, start) {
            Ok(Some(id)) => {
                self.next = Some(id);
                Some(Ok(id))
            }
            Ok(None) => {
                self.next = None;
                None
            }
            Err(e) => {
                self.next = None;
                Some(Err(e))
            }
        }
    }
}

/// An fd for the object of `kind` with `id` (`BPF_*_GET_FD_BY_ID`). An id
/// that was freed gives an error whose `is_not_found()` is true.
pub(crate) fn fd_by_id(kind: ObjectKind, id: u32) -> Result<OwnedFd> {
    let mut attr = GetIdAttr {
        start_id: id,
        ..Default::default()
    };
    bpf(kind.fd_by_id_cmd(), &mut attr).map(owned_fd)
}

/// A path as the NUL-terminated string the kernel takes.
pub(crate) fn c_path(call: &'static str, path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::BadArgument {
        call,
        why: format!("path {} contains a NUL byte", path.display()),
    })
}

/// Pins the object behind `fd` at `path`, which must be in a BPF file
/// system (`BPF_OBJ_PIN`).
pub fn obj_pin(fd: BorrowedFd<'_>, path: &Path) -> Result<()> {
    let path = c_path("BPF_OBJ_PIN", path)?;
    let mut attr = ObjAttr {
        pathname: path.as_ptr() as u64,
        bpf_fd: attr_fd(fd),
        ..Default::default()
    };
    bpf(BpfCmd::OBJ_PIN, &mut attr).map(drop)
}

/// An fd for the object pinned at `path` (`BPF_OBJ_GET`); `file_flags` is
/// 0, `flags::map::RDONLY` or `flags::map::WRONLY`.
pub fn obj_get(path: &Path, file_flags: u32) -> Result<OwnedFd> {
    let path = c_path("BPF_OBJ_GET", path)?;
    let mut attr = ObjAttr {
        pathname: path.as_ptr() as u64,
        file_flags,
        ..Default::default()
    };
    bpf(BpfCmd::OBJ_GET, &mut attr).map(owned_fd)
}

/// Fills `info` for the object behind `fd` (`BPF_OBJ_GET_INFO_BY_FD`).
/// Pointer fields the caller set in `info` must point to buffers that live
/// until this returns (the callers in this crate keep them in scope).
pub(crate) fn obj_info<T: Attr>(fd: BorrowedFd<'_>, info: &mut T) -> Result<()> {
    let cmd = BpfCmd::OBJ_GET_INFO_BY_FD;
    let bytes = crate::attr::as_bytes_mut(info);
    let mut attr = InfoAttr {
        bpf_fd: attr_fd(fd),
        info_len: bytes.len() as u32,
        info: bytes.as_mut_ptr() as u64,
    };
    bpf_out(cmd, &mut attr, Some(bytes))
        .map(drop)
        .map_err(|errno| Error::Bpf { cmd, errno })
}

/// An object name as the 16-byte field the kernel takes: at most 15 bytes
/// of `[A-Za-z0-9_.]` (the kernel's rule), NUL-padded. Truncating a longer
/// name is the caller's decision.
pub(crate) fn object_name(call: &'static str, name: &str) -> Result<[u8; 16]> {
    let mut out = [0u8; 16];
    if name.len() > 15 {
        return Err(Error::BadArgument {
            call,
            why: format!("object name '{name}' is longer than 15 bytes"),
        });
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(Error::BadArgument {
            call,
            why: format!(
                "object name '{}' has '{}': the kernel takes only letters, digits, '_' and '.'",
                name.escape_debug(),
                c.escape_debug()
            ),
        });
    }
    out[..name.len()].copy_from_slice(name.as_bytes());
    Ok(out)
}

/// The text of a NUL-padded name field.
pub(crate) fn name_from_field(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}
