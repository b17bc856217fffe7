//! Map types, probed as libbpf's `libbpf_probe_bpf_map_type` probes them:
//! each created with the smallest parameters its type accepts (an inner
//! map for map-in-map types, a BTF with a spin lock for local storage).

use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Endian, IntInfo, TypeId};
use corex_sys::{BtfFd, Errno, MapCreate, MapFd};
use corex_uapi::{flags, MapType};

use super::{from_call, requires, usual_cause, Availability, Cause, Missing};

/// Every map type this crate knows, probed.
pub(super) fn probe_types() -> Vec<(MapType, Availability)> {
    MapType::KNOWN
        .iter()
        .filter(|t| **t != MapType::UNSPEC)
        .map(|&t| (t, probe_type(t)))
        .collect()
}

/// libbpf's `load_local_storage_btf`: `int` (1), `struct bpf_spin_lock`
/// (2) and `struct val { int cnt; struct bpf_spin_lock l; }` (3).
fn local_storage_btf() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.add(&TypeDef {
        name: "int".into(),
        kflag: false,
        body: Body::Int {
            size: 4,
            info: IntInfo {
                encoding: 1,
                offset: 0,
                bits: 32,
            },
        },
    });
    let member = |name: &str, ty: TypeId, bit_offset: u32| MemberDef {
        name: name.into(),
        ty,
        bit_offset,
        bitfield_size: 0,
    };
    let lock = b.add(&TypeDef {
        name: "bpf_spin_lock".into(),
        kflag: false,
        body: Body::Composite {
            is_union: false,
            size: 4,
            members: vec![member("val", int, 0)],
        },
    });
    b.add(&TypeDef {
        name: "val".into(),
        kflag: false,
        body: Body::Composite {
            is_union: false,
            size: 8,
            members: vec![member("cnt", int, 0), member("l", lock, 32)],
        },
    });
    b.to_bytes(Endian::native())
        .expect("three fixed, valid types always encode")
}

fn probe_type(map_type: MapType) -> Availability {
    let mut attrs = MapCreate::new(map_type, 4, 4, 1);
    let mut expect = None;
    let mut btf = None;
    match map_type {
        MapType::STACK_TRACE => attrs.value_size = 8,
        MapType::LPM_TRIE => {
            attrs.key_size = 8;
            attrs.value_size = 8;
            attrs.map_flags = flags::map::NO_PREALLOC;
        }
        MapType::CGROUP_STORAGE | MapType::PERCPU_CGROUP_STORAGE => {
            // struct bpf_cgroup_storage_key: u64 cgroup id, u32 attach type,
            // padded to 16 bytes.
            attrs.key_size = 16;
            attrs.value_size = 8;
            attrs.max_entries = 0;
        }
        MapType::QUEUE | MapType::STACK | MapType::BLOOM_FILTER => attrs.key_size = 0,
        MapType::SK_STORAGE
        | MapType::INODE_STORAGE
        | MapType::TASK_STORAGE
        | MapType::CGRP_STORAGE => {
            match BtfFd::load(&local_storage_btf(), None) {
                Ok(fd) => btf = Some(fd),
                Err(e) => return requires("BTF", &e),
            }
            attrs.btf_key_type_id = 1;
            attrs.btf_value_type_id = 3;
            attrs.value_size = 8;
            attrs.max_entries = 0;
            attrs.map_flags = flags::map::NO_PREALLOC;
        }
        MapType::RINGBUF | MapType::USER_RINGBUF => {
            attrs.key_size = 0;
            attrs.value_size = 0;
            attrs.max_entries = corex_sys::page_size() as u32;
        }
        MapType::STRUCT_OPS => {
            // A bad kernel type id: kernels with struct_ops say ENOTSUPP.
            attrs.btf_vmlinux_value_type_id = 1;
            expect = Some(Errno::ENOTSUPP);
        }
        MapType::ARENA => {
            attrs.key_size = 0;
            attrs.value_size = 0;
            attrs.map_flags = flags::map::MMAPABLE;
        }
        _ => {}
    }
    let inner = if map_type.is_map_in_map() {
        match MapFd::create(&MapCreate::new(MapType::HASH, 4, 4, 1)) {
            Ok(fd) => Some(fd),
            Err(e) => return requires("hash maps", &e),
        }
    } else {
        None
    };
    attrs.inner_map = inner.as_ref().map(std::os::fd::AsFd::as_fd);
    attrs.btf = btf.as_ref().map(std::os::fd::AsFd::as_fd);
    let result = MapFd::create(&attrs);
    match expect {
        None => from_call(result, usual_cause),
        Some(errno) => match result {
            Err(e) if e.errno() == Some(errno) => Availability::Supported,
            Err(e) => Availability::Missing(Missing {
                errno: e.errno(),
                cause: usual_cause(e.errno()),
            }),
            Ok(_) => Availability::Missing(Missing {
                errno: None,
                cause: Cause::Unexpected {
                    what: "a struct_ops map with a bad kernel type id was created".into(),
                },
            }),
        },
    }
}
