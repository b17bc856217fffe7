//! Typed answers of `BPF_OBJ_GET_INFO_BY_FD` for programs, maps, BTF and
//! links. Variable-length parts (a program's map ids, jited function
//! lengths, translated instructions; a BTF's name; a link's tracepoint name)
//! are read in a second call sized from the first.

use crate::attr::Attr;
use crate::error::Result;
use crate::info_attr::{
    BtfInfoAttr, LinkInfoAttr, LinkInfoKprobeMultiAttr, LinkInfoPerfEventAttr,
    LinkInfoRawTracepointAttr, LinkInfoTracingAttr, MapInfoAttr, ProgInfoAttr,
};
use crate::map::MapShape;
use crate::object::{name_from_field, obj_info};
use corex_uapi::{AttachType, LinkType, MapType, ProgType};
use std::os::fd::BorrowedFd;

/// What the kernel says about a program.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgInfo {
    /// Program type.
    pub prog_type: ProgType,
    /// Kernel id.
    pub id: u32,
    /// The program's tag (a hash of its instructions).
    pub tag: [u8; 8],
    /// Name (up to 15 bytes).
    pub name: String,
    /// Ids of the maps it uses.
    pub map_ids: Vec<u32>,
    /// Bytes of translated (`xlated`) instructions.
    pub xlated_prog_len: u32,
    /// Bytes of JIT-compiled code.
    pub jited_prog_len: u32,
    /// Load time, in nanoseconds since boot.
    pub load_time: u64,
    /// Uid of the loader.
    pub created_by_uid: u32,
    /// Whether its license is GPL-compatible.
    pub gpl_compatible: bool,
    /// Id of its BTF (0 without).
    pub btf_id: u32,
    /// Instructions the verifier processed.
    pub verified_insns: u32,
    /// Time spent running, with `BPF_ENABLE_STATS`.
    pub run_time_ns: u64,
    /// Runs counted, with `BPF_ENABLE_STATS`.
    pub run_cnt: u64,
    /// Runs skipped for recursion.
    pub recursion_misses: u64,
    /// Id of the BTF object holding its attach target (0: vmlinux or none).
    pub attach_btf_obj_id: u32,
    /// BTF id of its attach target.
    pub attach_btf_id: u32,
    /// Number of JIT-compiled functions (main program and subprograms).
    pub nr_jited_func_lens: u32,
}

/// Reads a program's info, with its map ids.
pub(crate) fn prog_info(fd: BorrowedFd<'_>) -> Result<ProgInfo> {
    let mut raw = ProgInfoAttr::default();
    obj_info(fd, &mut raw)?;
    let map_ids = info_array(
        fd,
        raw.nr_map_ids,
        |ptr, n| ProgInfoAttr {
            nr_map_ids: n,
            map_ids: ptr,
            ..Default::default()
        },
        |a| a.nr_map_ids,
    )?;
    Ok(ProgInfo {
        prog_type: ProgType(raw.prog_type),
        id: raw.id,
        tag: raw.tag,
        name: name_from_field(&raw.name),
        map_ids,
        xlated_prog_len: raw.xlated_prog_len,
        jited_prog_len: raw.jited_prog_len,
        load_time: raw.load_time,
        created_by_uid: raw.created_by_uid,
        gpl_compatible: raw.flags_word & 1 != 0,
        btf_id: raw.btf_id,
        verified_insns: raw.verified_insns,
        run_time_ns: raw.run_time_ns,
        run_cnt: raw.run_cnt,
        recursion_misses: raw.recursion_misses,
        attach_btf_obj_id: raw.attach_btf_obj_id,
        attach_btf_id: raw.attach_btf_id,
        nr_jited_func_lens: raw.nr_jited_func_lens,
    })
}

/// A program's id (one info call).
pub(crate) fn prog_id(fd: BorrowedFd<'_>) -> Result<u32> {
    let mut raw = ProgInfoAttr::default();
    obj_info(fd, &mut raw)?;
    Ok(raw.id)
}

/// A program's translated instructions (8 bytes each; kernel pointers are
/// hidden without CAP_SYS_ADMIN / `kernel.kptr_restrict`).
pub(crate) fn prog_xlated_insns(fd: BorrowedFd<'_>) -> Result<Vec<u8>> {
    let mut raw = ProgInfoAttr::default();
    obj_info(fd, &mut raw)?;
    info_array(
        fd,
        raw.xlated_prog_len,
        |ptr, n| ProgInfoAttr {
            xlated_prog_len: n,
            xlated_prog_insns: ptr,
            ..Default::default()
        },
        |a| a.xlated_prog_len,
    )
}

/// The byte length of each JIT-compiled function of a program.
pub(crate) fn prog_jited_func_lens(fd: BorrowedFd<'_>) -> Result<Vec<u32>> {
    let mut raw = ProgInfoAttr::default();
    obj_info(fd, &mut raw)?;
    info_array(
        fd,
        raw.nr_jited_func_lens,
        |ptr, n| ProgInfoAttr {
            nr_jited_func_lens: n,
            jited_func_lens: ptr,
            ..Default::default()
        },
        |a| a.nr_jited_func_lens,
    )
}

/// A variable-length part of an info struct: a second call with a buffer
/// of `count` elements, made by `make(pointer, count)`; keeps as many as
/// `count_of` says the kernel wrote (objects may go away in between).
fn info_array<T: Attr, E: Copy + Default>(
    fd: BorrowedFd<'_>,
    count: u32,
    make: impl Fn(u64, u32) -> T,
    count_of: impl Fn(&T) -> u32,
) -> Result<Vec<E>> {
    let mut items = vec![E::default(); count as usize];
    if items.is_empty() {
        return Ok(items);
    }
    let mut raw = make(items.as_mut_ptr() as u64, count);
    obj_info(fd, &mut raw)?;
    items.truncate(count_of(&raw).min(count) as usize);
    Ok(items)
}

/// What the kernel says about a map.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapInfo {
    /// Map type.
    pub map_type: MapType,
    /// Kernel id.
    pub id: u32,
    /// Key size.
    pub key_size: u32,
    /// Value size.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// Creation flags.
    pub map_flags: u32,
    /// Name (up to 15 bytes).
    pub name: String,
    /// Id of its BTF (0 without).
    pub btf_id: u32,
    /// BTF type id of the key.
    pub btf_key_type_id: u32,
    /// BTF type id of the value.
    pub btf_value_type_id: u32,
    /// struct_ops: kernel BTF type id of the value.
    pub btf_vmlinux_value_type_id: u32,
    /// Type-specific extra.
    pub map_extra: u64,
}

impl MapInfo {
    /// The shape element calls need.
    pub fn shape(&self) -> MapShape {
        MapShape {
            map_type: self.map_type,
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            map_flags: self.map_flags,
        }
    }
}

/// Reads a map's info.
pub(crate) fn map_info(fd: BorrowedFd<'_>) -> Result<MapInfo> {
    let mut raw = MapInfoAttr::default();
    obj_info(fd, &mut raw)?;
    Ok(MapInfo {
        map_type: MapType(raw.map_type),
        id: raw.id,
        key_size: raw.key_size,
        value_size: raw.value_size,
        max_entries: raw.max_entries,
        map_flags: raw.map_flags,
        name: name_from_field(&raw.name),
        btf_id: raw.btf_id,
        btf_key_type_id: raw.btf_key_type_id,
        btf_value_type_id: raw.btf_value_type_id,
        btf_vmlinux_value_type_id: raw.btf_vmlinux_value_type_id,
        map_extra: raw.map_extra,
    })
}

/// What the kernel says about a BTF object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BtfInfo {
    /// Kernel id.
    pub id: u32,
    /// Size of the BTF data.
    pub btf_size: u32,
    /// Name: `vmlinux`, a module's name, or empty for a program's BTF.
    pub name: String,
    /// Whether it is the kernel's or a module's BTF.
    pub kernel_btf: bool,
}

/// Reads a BTF object's info, with its name.
pub(crate) fn btf_info(fd: BorrowedFd<'_>) -> Result<BtfInfo> {
    let mut name = vec![0u8; 64];
    let mut raw = BtfInfoAttr {
        name: name.as_mut_ptr() as u64,
        name_len: name.len() as u32,
        ..Default::default()
    };
    obj_info(fd, &mut raw)?;
    if raw.name_len as usize > name.len() {
        name = vec![0u8; raw.name_len as usize];
        raw = BtfInfoAttr {
            name: name.as_mut_ptr() as u64,
            name_len: name.len() as u32,
            ..Default::default()
        };
        obj_info(fd, &mut raw)?;
    }
    Ok(BtfInfo {
        id: raw.id,
        btf_size: raw.btf_size,
        name: name_from_field(&name),
        kernel_btf: raw.kernel_btf != 0,
    })
}

/// The BTF data the kernel holds (`vmlinux`'s, a module's, a program's).
pub(crate) fn btf_data(fd: BorrowedFd<'_>) -> Result<Vec<u8>> {
    let mut raw = BtfInfoAttr::default();
    obj_info(fd, &mut raw)?;
    info_array(
        fd,
        raw.btf_size,
        |ptr, n| BtfInfoAttr {
            btf: ptr,
            btf_size: n,
            ..Default::default()
        },
        |a| a.btf_size,
    )
}

/// What the kernel says about a link.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkInfo {
    /// Link type.
    pub link_type: LinkType,
    /// Kernel id.
    pub id: u32,
    /// Id of the attached program.
    pub prog_id: u32,
    /// Type-specific details.
    pub detail: LinkDetail,
}

/// The type-specific part of [`LinkInfo`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkDetail {
    /// A raw tracepoint link.
    RawTracepoint {
        /// The tracepoint.
        name: String,
    },
    /// A tracing link (fentry, fexit, lsm, tp_btf...).
    Tracing {
        /// Attach type.
        attach_type: AttachType,
        /// Id of the BTF object (or program, for freplace) holding the target.
        target_obj_id: u32,
        /// BTF id of the target.
        target_btf_id: u32,
    },
    /// A kprobe_multi link.
    KprobeMulti {
        /// Number of functions.
        count: u32,
        /// `flags::attach::KPROBE_MULTI_RETURN` for return probes.
        flags: u32,
        /// Hits missed (recursion).
        missed: u64,
    },
    /// A perf event link (tracepoint, kprobe, uprobe).
    PerfEvent {
        /// `enum bpf_perf_event_type`: 1 uprobe, 2 uretprobe, 3 kprobe,
        /// 4 kretprobe, 5 tracepoint, 6 other event.
        perf_event_type: u32,
        /// The tracepoint, function or file name (Linux 6.6+; empty before).
        name: String,
    },
    /// Another link type (its details are not read).
    Other,
}

/// Reads a link's info.
pub(crate) fn link_info(fd: BorrowedFd<'_>) -> Result<LinkInfo> {
    let mut head = LinkInfoAttr::default();
    obj_info(fd, &mut head)?;
    let link_type = LinkType(head.link_type);
    let detail = match link_type {
        LinkType::RAW_TRACEPOINT => {
            let name = read_named(
                fd,
                |buf, len| LinkInfoRawTracepointAttr {
                    tp_name: buf,
                    tp_name_len: len,
                    ..Default::default()
                },
                |a| a.tp_name_len,
            )?;
            LinkDetail::RawTracepoint { name }
        }
        LinkType::TRACING => {
            let mut raw = LinkInfoTracingAttr::default();
            obj_info(fd, &mut raw)?;
            LinkDetail::Tracing {
                attach_type: AttachType(raw.attach_type),
                target_obj_id: raw.target_obj_id,
                target_btf_id: raw.target_btf_id,
            }
        }
        LinkType::KPROBE_MULTI => {
            let mut raw = LinkInfoKprobeMultiAttr::default();
            obj_info(fd, &mut raw)?;
            LinkDetail::KprobeMulti {
                count: raw.count,
                flags: raw.flags,
                missed: raw.missed,
            }
        }
        LinkType::PERF_EVENT => {
            let mut raw = LinkInfoPerfEventAttr::default();
            obj_info(fd, &mut raw)?;
            let name = read_named(
                fd,
                |buf, len| LinkInfoPerfEventAttr {
                    name: buf,
                    name_len: len,
                    ..Default::default()
                },
                |a| a.name_len,
            )?;
            LinkDetail::PerfEvent {
                perf_event_type: raw.perf_event_type,
                name,
            }
        }
        _ => LinkDetail::Other,
    };
    Ok(LinkInfo {
        link_type,
        id: head.id,
        prog_id: head.prog_id,
        detail,
    })
}

/// Reads an info struct whose name the kernel copies into a buffer we
/// give (`make(buf, len)`), growing the buffer once if `len_of` says the
/// name is longer.
fn read_named<T: Attr>(
    fd: BorrowedFd<'_>,
    make: impl Fn(u64, u32) -> T,
    len_of: impl Fn(&T) -> u32,
) -> Result<String> {
    let mut buf = vec![0u8; 256];
    loop {
        let mut raw = make(buf.as_mut_ptr() as u64, buf.len() as u32);
        obj_info(fd, &mut raw)?;
        let len = len_of(&raw);
        if len as usize <= buf.len() || buf.len() >= 1 << 16 {
            return Ok(name_from_field(&buf));
        }
        buf = vec![0u8; len as usize];
    }
}
