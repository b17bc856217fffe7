//! Maps on this kernel: each common type created, written, read, iterated,
//! frozen; per-CPU and map-in-map values; buffer sizes checked before the
//! kernel sees them; ids gone once the fds drop. Needs root.

mod support;

use corex_sys::{MapCreate, MapFd, ObjectKind};
use corex_uapi::{flags, MapType};
use support::{assert_gone, assert_present, require_privileges};

fn create(map_type: MapType, key: u32, value: u32, max: u32, name: &str) -> MapFd {
    let mut attrs = MapCreate::new(map_type, key, value, max);
    attrs.name = name;
    MapFd::create(&attrs).unwrap_or_else(|e| panic!("{map_type}: {e}"))
}

#[test]
fn hash_and_array_maps_update_lookup_delete_iterate() {
    require_privileges();
    let mut ids = Vec::new();
    for map_type in [MapType::HASH, MapType::LRU_HASH, MapType::ARRAY] {
        let map = create(map_type, 4, 8, 4, "corex_t_map");
        let info = map.info().unwrap();
        assert_eq!(
            (
                info.map_type,
                info.key_size,
                info.value_size,
                info.max_entries
            ),
            (map_type, 4, 8, 4)
        );
        assert_eq!(info.name, "corex_t_map");
        ids.push(info.id);
        for k in 0u32..3 {
            map.update(
                &k.to_ne_bytes(),
                &(u64::from(k) * 10).to_ne_bytes(),
                flags::update::ANY,
            )
            .unwrap();
        }
        let mut value = [0u8; 8];
        assert!(map.lookup(&2u32.to_ne_bytes(), &mut value, 0).unwrap());
        assert_eq!(u64::from_ne_bytes(value), 20);
        let mut keys: Vec<u32> = map
            .keys()
            .map(|k| u32::from_ne_bytes(k.unwrap().try_into().unwrap()))
            .collect();
        keys.sort();
        if map_type == MapType::ARRAY {
            // An array has every index, and deleting is not allowed.
            assert_eq!(keys, [0, 1, 2, 3]);
            let err = map.delete(&1u32.to_ne_bytes()).unwrap_err();
            assert_eq!(err.errno(), Some(corex_sys::Errno::EINVAL), "{err}");
        } else {
            assert_eq!(keys, [0, 1, 2]);
            assert!(map.delete(&1u32.to_ne_bytes()).unwrap());
            assert!(!map.delete(&1u32.to_ne_bytes()).unwrap());
            assert!(!map.lookup(&1u32.to_ne_bytes(), &mut value, 0).unwrap());
            let err = map
                .update(
                    &2u32.to_ne_bytes(),
                    &0u64.to_ne_bytes(),
                    flags::update::NOEXIST,
                )
                .unwrap_err();
            assert!(
                err.to_string().contains("EEXIST") && err.to_string().contains("the key exists"),
                "{err}"
            );
        }
        assert_present(ObjectKind::Map, info.id);
    }
    for id in ids {
        assert_gone(ObjectKind::Map, id);
    }
}

#[test]
fn per_cpu_values_have_one_slot_per_possible_cpu() {
    require_privileges();
    let map = create(MapType::PERCPU_ARRAY, 4, 4, 1, "corex_t_pcpu");
    let cpus = corex_sys::possible_cpu_count().unwrap();
    assert_eq!(map.value_buffer_len().unwrap(), 8 * cpus);
    let values: Vec<u8> = (0..cpus as u64)
        .flat_map(|c| (c + 100).to_ne_bytes())
        .collect();
    map.update(&0u32.to_ne_bytes(), &values, 0).unwrap();
    let mut out = vec![0u8; 8 * cpus];
    assert!(map.lookup(&0u32.to_ne_bytes(), &mut out, 0).unwrap());
    for c in 0..cpus {
        assert_eq!(
            u32::from_ne_bytes(out[c * 8..c * 8 + 4].try_into().unwrap()),
            c as u32 + 100
        );
    }
    // A buffer of one value is refused before the kernel could write past it.
    let err = map
        .lookup(&0u32.to_ne_bytes(), &mut [0u8; 4], 0)
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "the value buffer has 4 bytes, the map's value has {}",
            8 * cpus
        )),
        "{err}"
    );
    let id = map.info().unwrap().id;
    drop(map);
    assert_gone(ObjectKind::Map, id);
}

#[test]
fn queue_ringbuf_stack_trace_and_map_in_map() {
    require_privileges();
    let queue = create(MapType::QUEUE, 0, 4, 4, "corex_t_queue");
    queue.update(&[], &7u32.to_ne_bytes(), 0).unwrap();
    queue.update(&[], &8u32.to_ne_bytes(), 0).unwrap();
    let mut v = [0u8; 4];
    assert!(queue.lookup_and_delete(&[], &mut v, 0).unwrap());
    assert_eq!(u32::from_ne_bytes(v), 7);
    assert!(queue.lookup_and_delete(&[], &mut v, 0).unwrap());
    assert!(!queue.lookup_and_delete(&[], &mut v, 0).unwrap());

    let page = corex_sys::page_size() as u32;
    let ring = create(MapType::RINGBUF, 0, 0, page * 4, "corex_t_ring");
    assert_eq!(ring.info().unwrap().max_entries, page * 4);

    let stacks = create(MapType::STACK_TRACE, 4, 8 * 127, 16, "corex_t_stacks");

    let inner = create(MapType::ARRAY, 4, 4, 1, "corex_t_inner");
    let mut outer_attrs = MapCreate::new(MapType::ARRAY_OF_MAPS, 4, 4, 2);
    outer_attrs.inner_map = Some(std::os::fd::AsFd::as_fd(&inner));
    outer_attrs.name = "corex_t_outer";
    let outer = MapFd::create(&outer_attrs).unwrap();
    let inner_fd = std::os::fd::AsRawFd::as_raw_fd(&inner) as u32;
    outer
        .update(&0u32.to_ne_bytes(), &inner_fd.to_ne_bytes(), 0)
        .unwrap();
    // Looking up a map-in-map gives the inner map's id.
    assert!(outer.lookup(&0u32.to_ne_bytes(), &mut v, 0).unwrap());
    assert_eq!(u32::from_ne_bytes(v), inner.info().unwrap().id);

    let ids: Vec<u32> = [&queue, &ring, &stacks, &inner, &outer]
        .iter()
        .map(|m| m.info().unwrap().id)
        .collect();
    drop((queue, ring, stacks, inner, outer));
    for id in ids {
        assert_gone(ObjectKind::Map, id);
    }
}

#[test]
fn frozen_map_refuses_user_writes() {
    require_privileges();
    let map = create(MapType::ARRAY, 4, 4, 1, "corex_t_frozen");
    map.update(&0u32.to_ne_bytes(), &5u32.to_ne_bytes(), 0)
        .unwrap();
    map.freeze().unwrap();
    let err = map
        .update(&0u32.to_ne_bytes(), &6u32.to_ne_bytes(), 0)
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err}");
    assert!(
        err.to_string()
            .starts_with("BPF_MAP_UPDATE_ELEM failed: EPERM"),
        "{err}"
    );
    let mut v = [0u8; 4];
    assert!(map.lookup(&0u32.to_ne_bytes(), &mut v, 0).unwrap());
    assert_eq!(u32::from_ne_bytes(v), 5);
}

#[test]
fn map_errors_name_the_command_and_the_cause() {
    require_privileges();
    let err = MapFd::create(&MapCreate::new(MapType(9999), 4, 4, 1)).unwrap_err();
    assert_eq!(err.bpf_cmd(), Some(corex_uapi::BpfCmd::MAP_CREATE));
    let text = err.to_string();
    assert!(
        text.starts_with("BPF_MAP_CREATE failed: EINVAL (Invalid argument): "),
        "{text}"
    );
    assert!(text.contains("unknown map type"), "{text}");

    let mut bad_name = MapCreate::new(MapType::ARRAY, 4, 4, 1);
    bad_name.name = "no spaces";
    let err = MapFd::create(&bad_name).unwrap_err();
    assert_eq!(
        err.to_string(),
        "BPF_MAP_CREATE: object name 'no spaces' has ' ': the kernel takes only letters, digits, '_' and '.'"
    );

    let map = create(MapType::HASH, 4, 8, 1, "corex_t_full");
    map.update(&1u32.to_ne_bytes(), &0u64.to_ne_bytes(), 0)
        .unwrap();
    let err = map
        .update(&2u32.to_ne_bytes(), &0u64.to_ne_bytes(), 0)
        .unwrap_err();
    assert!(
        err.to_string().contains("E2BIG") && err.to_string().contains("the map is full"),
        "{err}"
    );
    let err = map
        .lookup(&1u16.to_ne_bytes(), &mut [0u8; 8], 0)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BPF_MAP_LOOKUP_ELEM: the key buffer has 2 bytes, the map's key has 4"
    );
}

#[test]
fn map_by_id_has_the_same_shape() {
    require_privileges();
    let map = create(MapType::HASH, 8, 16, 32, "corex_t_byid");
    let id = map.info().unwrap().id;
    let again = MapFd::from_id(id).unwrap();
    assert_eq!(again.shape(), map.shape());
    assert_eq!(again.info().unwrap().id, id);
    drop(map);
    // The second fd keeps the map alive.
    assert_present(ObjectKind::Map, id);
    drop(again);
    assert_gone(ObjectKind::Map, id);
}

#[test]
fn mmapable_array_is_shared_with_map_calls() {
    use corex_sys::{Mmap, Protection};
    use std::os::fd::AsFd;
    require_privileges();
    let mut attrs = MapCreate::new(MapType::ARRAY, 4, 16, 1);
    attrs.map_flags = flags::map::MMAPABLE;
    let map = MapFd::create(&attrs).unwrap();
    let page = corex_sys::page_size();
    let rw = Mmap::map(map.as_fd(), page, 0, Protection::ReadWrite).unwrap();
    assert!(rw.copy_from(4, &[1, 2, 3, 4]));
    assert!(!rw.copy_from(page - 2, &[0; 4]), "past the end");
    let mut value = [0u8; 16];
    assert!(map.lookup(&0u32.to_ne_bytes(), &mut value, 0).unwrap());
    assert_eq!(&value[..8], &[0, 0, 0, 0, 1, 2, 3, 4]);
    map.update(&0u32.to_ne_bytes(), &[9u8; 16], 0).unwrap();
    let mut seen = [0u8; 16];
    assert!(rw.copy_to(0, &mut seen));
    assert_eq!(seen, [9u8; 16]);
    let ro = Mmap::map(map.as_fd(), page, 0, Protection::Read).unwrap();
    assert!(!ro.copy_from(0, &[1]), "a read-only mapping refuses writes");
    let id = map.info().unwrap().id;
    drop((rw, ro, map));
    assert_gone(ObjectKind::Map, id);
}
