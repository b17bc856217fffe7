//! The maps to create, in libbpf's order (`.maps` definitions, then global
//! data sections in ELF order, then `.kconfig`), with the attributes libbpf
//! passes to `BPF_MAP_CREATE`: internal maps' names and flags, BTF key and
//! value types, ring buffer sizes, perf event arrays sized to the CPUs,
//! `max_entries` overrides, inner map templates and pin paths.

use corex_btf::TypeId;

use corex_uapi::flags::map as map_flags;
use corex_uapi::MapType;

use super::abi;
use super::error::{MapProblem, PlanError, Problem};
use super::inputs::{Feature, KernelInputs};
use super::prog_btf::TypeDefs;
use super::LoadConfig;
use crate::{DataKind, MapDef, MapOrigin, Object};

/// Index of a map in [`LoadPlan::maps`](super::LoadPlan::maps) (libbpf's
/// map index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MapId(pub usize);

/// What a map comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapSource {
    /// A `.maps` definition (index into [`Object::maps`]).
    Declared(usize),
    /// A global data section (index into [`Object::data`]).
    Data(usize),
    /// The `.kconfig` externs.
    Kconfig,
}

/// The attributes of one `BPF_MAP_CREATE`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapCreate {
    /// The map type.
    pub map_type: MapType,
    /// The name given to the kernel (at most 15 bytes; empty when the
    /// kernel takes no names).
    pub name: String,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` flags.
    pub map_flags: u32,
    /// NUMA node.
    pub numa_node: u32,
    /// `map_extra` (bloom filter hashes).
    pub map_extra: u64,
    /// The key's type in the program BTF (void for none); pass it only with
    /// the program BTF's fd, and retry without it if the kernel refuses.
    pub btf_key_type_id: TypeId,
    /// The value's type in the program BTF (void for none), as above.
    pub btf_value_type_id: TypeId,
}

impl MapCreate {
    /// Whether the map carries BTF types (a failed creation is retried
    /// without them, as libbpf does).
    pub fn has_btf_types(&self) -> bool {
        self.btf_key_type_id != TypeId::VOID || self.btf_value_type_id != TypeId::VOID
    }
}

/// What the plan changed in a map's declared attributes, as libbpf would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapAdjustment {
    /// A ring buffer size rounded up to a power-of-two multiple of the page.
    RingbufRounded {
        /// The declared (or configured) size.
        from: u32,
        /// The size created.
        to: u32,
    },
    /// A perf event array of size 0 given one entry per possible CPU.
    PerfSizedToCpus {
        /// The number of CPUs.
        cpus: u32,
    },
    /// `BPF_F_MMAPABLE` dropped: the kernel cannot mmap array maps.
    MmapDropped,
    /// Not created: the kernel has no global data (programs using the map
    /// then fail verification, naming it).
    NoGlobalData,
}

/// A pinned map's attributes, as `BPF_OBJ_GET_INFO_BY_FD` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinnedMapInfo {
    /// Map type.
    pub map_type: MapType,
    /// Key size.
    pub key_size: u32,
    /// Value size.
    pub value_size: u32,
    /// Entries.
    pub max_entries: u32,
    /// Flags.
    pub map_flags: u32,
    /// `map_extra`.
    pub map_extra: u64,
}

/// One map to create (or reuse from its pin).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MapPlan {
    /// libbpf's name for it (`counts`, `prog.rodata`, ...).
    pub name: String,
    /// What it comes from.
    pub source: MapSource,
    /// Its attributes.
    pub create: MapCreate,
    /// A map-in-map's inner map: created first, its fd passed as
    /// `inner_map_fd`, closed once the outer map exists.
    pub inner: Option<MapCreate>,
    /// Written at key 0 (a 4-byte zero) after creation.
    pub initial_value: Option<Vec<u8>>,
    /// Frozen after the initial value is written (`.rodata*`, `.kconfig`).
    pub freeze: bool,
    /// `LIBBPF_PIN_BY_NAME`: reuse the map pinned here if compatible
    /// ([`MapPlan::pin_mismatch`]), else create it and pin it here.
    pub pin_path: Option<String>,
    /// Whether it is created at all.
    pub autocreate: bool,
    /// What was changed from the declaration.
    pub adjustments: Vec<MapAdjustment>,
}

impl MapPlan {
    /// Why the map pinned at [`MapPlan::pin_path`] cannot be reused
    /// (libbpf's `map_is_reuse_compat`), or `None` when it can.
    pub fn pin_mismatch(&self, pinned: &PinnedMapInfo) -> Option<MapProblem> {
        let c = &self.create;
        let fields: [(&'static str, u64, u64); 6] = [
            (
                "type",
                u64::from(pinned.map_type.0),
                u64::from(c.map_type.0),
            ),
            ("key size", pinned.key_size.into(), c.key_size.into()),
            ("value size", pinned.value_size.into(), c.value_size.into()),
            (
                "max_entries",
                pinned.max_entries.into(),
                c.max_entries.into(),
            ),
            ("flags", pinned.map_flags.into(), c.map_flags.into()),
            ("map_extra", pinned.map_extra, c.map_extra),
        ];
        fields
            .into_iter()
            .find(|(_, p, o)| p != o)
            .map(|(field, pinned, planned)| MapProblem::PinMismatch {
                path: self.pin_path.clone().unwrap_or_default(),
                field,
                pinned,
                planned,
            })
    }
}

/// libbpf's `internal_map_name`: as much of the object name as fits before
/// the section name (sections with a second `.` keep their own name only),
/// 15 bytes at most, characters other than letters, digits, `_` and `.`
/// replaced by `_`.
pub(crate) fn internal_map_name(object: &str, section: &str) -> String {
    let limit = abi::OBJ_NAME_LEN;
    let sfx_len = section.len().max(7).min(limit);
    let custom = section.get(1..).is_some_and(|s| s.contains('.'));
    let pfx_len = if custom {
        0
    } else {
        (limit - sfx_len).min(object.len())
    };
    let mut name: Vec<u8> = object.as_bytes()[..pfx_len].to_vec();
    name.extend(section.as_bytes().iter().take(sfx_len));
    name.truncate(limit);
    name.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
                char::from(b)
            } else {
                '_'
            }
        })
        .collect()
}

/// The name the kernel gets: cut to 15 bytes (libbpf's `libbpf_strlcpy`);
/// nothing when the kernel takes no names.
pub(crate) fn kernel_name(name: &str, kernel: &KernelInputs<'_>) -> String {
    if !kernel.has(Feature::ProgName) {
        return String::new();
    }
    abi::cut(name, abi::OBJ_NAME_LEN).to_owned()
}

/// libbpf's `adjust_ringbuf_sz`: the smallest power-of-two multiple of the
/// page size above `size`, unless `size` already is one (0 stays 0).
fn ringbuf_size(size: u32, page: u32) -> u32 {
    if size == 0 || page == 0 {
        return size;
    }
    if size.is_multiple_of(page) && (size / page).is_power_of_two() {
        return size;
    }
    let mut mul: u32 = 1;
    while let Some(total) = mul.checked_mul(page) {
        if total > size {
            return total;
        }
        mul = match mul.checked_mul(2) {
            Some(m) => m,
            None => break,
        };
    }
    size
}

fn create_from_def(
    name: &str,
    def: &MapDef,
    kernel: &KernelInputs<'_>,
    adjustments: &mut Vec<MapAdjustment>,
) -> Result<MapCreate, PlanError> {
    let map_type = MapType(def.map_type);
    if map_type == MapType::STRUCT_OPS {
        return Err(Problem::Map {
            map: name.to_owned(),
            why: MapProblem::Unsupported {
                map_type: def.map_type,
            },
        }
        .into());
    }
    let mut max_entries = def.max_entries;
    if abi::is_ringbuf(map_type) {
        let to = ringbuf_size(max_entries, kernel.page_size);
        if to == 0 {
            return Err(Problem::Map {
                map: name.to_owned(),
                why: MapProblem::RingbufSize,
            }
            .into());
        }
        if to != max_entries {
            adjustments.push(MapAdjustment::RingbufRounded {
                from: max_entries,
                to,
            });
            max_entries = to;
        }
    }
    let btf_ids = !abi::refuses_btf_types(map_type);
    let id = |t: Option<TypeId>| t.filter(|_| btf_ids).unwrap_or(TypeId::VOID);
    Ok(MapCreate {
        map_type,
        name: kernel_name(name, kernel),
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries,
        map_flags: def.map_flags,
        numa_node: def.numa_node,
        map_extra: def.map_extra,
        btf_key_type_id: id(def.key_type),
        btf_value_type_id: id(def.value_type),
    })
}

/// The kernel's rules for a map type's sizes that no kernel relaxes
/// (`*_map_alloc_check`): a map breaking one is refused, so the plan says
/// why before anything reaches the kernel.
fn check_sizes(name: &str, c: &MapCreate) -> Result<(), PlanError> {
    use MapType as T;
    let t = c.map_type;
    let arrays = [
        T::ARRAY,
        T::PERCPU_ARRAY,
        T::PROG_ARRAY,
        T::PERF_EVENT_ARRAY,
        T::CGROUP_ARRAY,
        T::ARRAY_OF_MAPS,
    ];
    let fd_arrays = [
        T::PROG_ARRAY,
        T::PERF_EVENT_ARRAY,
        T::CGROUP_ARRAY,
        T::ARRAY_OF_MAPS,
        T::HASH_OF_MAPS,
    ];
    let hashes = [
        T::HASH,
        T::PERCPU_HASH,
        T::LRU_HASH,
        T::LRU_PERCPU_HASH,
        T::HASH_OF_MAPS,
    ];
    let keyless = [T::QUEUE, T::STACK, T::BLOOM_FILTER];
    let entries = arrays.contains(&t)
        || hashes.contains(&t)
        || keyless.contains(&t)
        || t == T::STACK_TRACE
        || t == T::LPM_TRIE;
    let rules: [(bool, &'static str, u64, &'static str); 8] = [
        (
            entries && c.max_entries == 0,
            "max_entries",
            c.max_entries.into(),
            "the kernel needs at least one entry",
        ),
        (
            (arrays.contains(&t) || t == T::STACK_TRACE) && c.key_size != 4,
            "key_size",
            c.key_size.into(),
            "arrays and stack trace maps take 4-byte keys",
        ),
        (
            hashes.contains(&t) && c.key_size == 0,
            "key_size",
            0,
            "hash maps need a key",
        ),
        (
            (keyless.contains(&t) || abi::is_ringbuf(t)) && c.key_size != 0,
            "key_size",
            c.key_size.into(),
            "queues, stacks, bloom filters and ring buffers take no key",
        ),
        (
            (arrays.contains(&t) || hashes.contains(&t) || keyless.contains(&t))
                && c.value_size == 0,
            "value_size",
            0,
            "the kernel needs a value",
        ),
        (
            fd_arrays.contains(&t) && c.value_size != 4,
            "value_size",
            c.value_size.into(),
            "maps of programs, maps, perf events or cgroups hold 4-byte fds",
        ),
        (
            abi::is_ringbuf(t) && c.value_size != 0,
            "value_size",
            c.value_size.into(),
            "ring buffers take no value size",
        ),
        (
            t == T::STACK_TRACE && (c.value_size < 8 || !c.value_size.is_multiple_of(8)),
            "value_size",
            c.value_size.into(),
            "stack trace values are a multiple of 8 bytes, at least 8",
        ),
    ];
    match rules.into_iter().find(|r| r.0) {
        Some((_, field, value, rule)) => Err(Problem::Map {
            map: name.to_owned(),
            why: MapProblem::Impossible { field, value, rule },
        }
        .into()),
        None => Ok(()),
    }
}

/// A map declared in `.maps`, with the user's overrides.
fn declared(
    obj: &Object,
    index: usize,
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
) -> Result<MapPlan, PlanError> {
    let map = &obj.maps[index];
    let mut def = map.def.clone();
    if let Some(n) = config.max_entries(&map.name) {
        def.max_entries = n;
    }
    let mut adjustments = Vec::new();
    if MapType(def.map_type) == MapType::PERF_EVENT_ARRAY && def.max_entries == 0 {
        def.max_entries = kernel.possible_cpus;
        adjustments.push(MapAdjustment::PerfSizedToCpus {
            cpus: kernel.possible_cpus,
        });
    }
    let create = create_from_def(&map.name, &def, kernel, &mut adjustments)?;
    check_sizes(&map.name, &create)?;
    let inner = def
        .inner
        .as_deref()
        .map(|inner| {
            let name = format!("{}.inner", map.name);
            let c = create_from_def(&name, inner, kernel, &mut Vec::new())?;
            check_sizes(&name, &c)?;
            Ok::<_, PlanError>(c)
        })
        .transpose()?;
    Ok(MapPlan {
        name: map.name.clone(),
        source: MapSource::Declared(index),
        create,
        inner,
        initial_value: None,
        freeze: false,
        pin_path: (def.pinning == 1).then(|| format!("{}/{}", config.pin_root(), map.name)),
        autocreate: config.autocreate(&map.name).unwrap_or(true),
        adjustments,
    })
}

/// An internal map (global data or `.kconfig`), as libbpf's
/// `bpf_object__init_internal_map`: a one-entry array whose value type is
/// the section's DATASEC, mmap-able when a variable is visible outside.
fn internal(
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
    defs: &TypeDefs,
    section: &str,
    read_only: bool,
    contents: Vec<u8>,
    source: MapSource,
) -> MapPlan {
    let name = internal_map_name(config.object_name(), section);
    let value_type = defs.find_by_name(section).unwrap_or(TypeId::VOID);
    let mmapable = matches!(
        defs.get(value_type).map(|d| &d.body),
        Some(corex_btf::write::Body::Datasec { vars, .. }) if vars.iter().any(|v| matches!(
            defs.get(v.ty).map(|d| &d.body),
            Some(corex_btf::write::Body::Var { linkage, .. }) if *linkage != corex_btf::Linkage::Static
        ))
    );
    let mut flags = if read_only { map_flags::RDONLY_PROG } else { 0 };
    let mut adjustments = Vec::new();
    if mmapable {
        // libbpf 1.1 toggles the flag (`^=`) on kernels without mmap-able
        // arrays, setting it on maps that lacked it; clearing it is what
        // such kernels accept.
        if kernel.has(Feature::ArrayMmap) {
            flags |= map_flags::MMAPABLE;
        } else {
            adjustments.push(MapAdjustment::MmapDropped);
        }
    }
    let global_data = kernel.has(Feature::GlobalData);
    if !global_data {
        adjustments.push(MapAdjustment::NoGlobalData);
    }
    MapPlan {
        create: MapCreate {
            map_type: MapType::ARRAY,
            name: kernel_name(&name, kernel),
            key_size: 4,
            value_size: contents.len() as u32,
            max_entries: 1,
            map_flags: flags,
            numa_node: 0,
            map_extra: 0,
            btf_key_type_id: TypeId::VOID,
            btf_value_type_id: value_type,
        },
        name,
        source,
        inner: None,
        initial_value: Some(contents),
        freeze: read_only,
        pin_path: None,
        autocreate: global_data,
        adjustments,
    }
}

/// Every map of the object, in libbpf's order. `kconfig` is the `.kconfig`
/// map's contents, when the object has kconfig externs.
pub(crate) fn plan_maps(
    obj: &Object,
    config: &LoadConfig,
    kernel: &KernelInputs<'_>,
    defs: &TypeDefs,
    kconfig: Option<Vec<u8>>,
) -> Result<Vec<MapPlan>, PlanError> {
    if obj.maps.iter().any(|m| m.origin == MapOrigin::Legacy) {
        return Err(Problem::LegacyMaps.into());
    }
    let mut maps = Vec::new();
    for index in 0..obj.maps.len() {
        maps.push(declared(obj, index, config, kernel)?);
    }
    for (index, d) in obj.data.iter().enumerate() {
        let read_only = match d.kind {
            DataKind::Kconfig => continue,
            DataKind::Rodata => true,
            DataKind::Data | DataKind::Bss => false,
        };
        if d.size == 0 || d.section_index.is_none() {
            continue;
        }
        let contents = config.data_contents(obj, index);
        maps.push(internal(
            config,
            kernel,
            defs,
            &d.name,
            read_only,
            contents,
            MapSource::Data(index),
        ));
    }
    if let Some(contents) = kconfig {
        maps.push(internal(
            config,
            kernel,
            defs,
            ".kconfig",
            true,
            contents,
            MapSource::Kconfig,
        ));
    }
    Ok(maps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_as_libbpf() {
        assert_eq!(
            internal_map_name("my_object_name", ".rodata"),
            "my_objec.rodata"
        );
        assert_eq!(internal_map_name("my_object_name", ".bss"), "my_objec.bss");
        assert_eq!(
            internal_map_name("my_object_name", ".kconfig"),
            "my_obje.kconfig"
        );
        assert_eq!(internal_map_name("x", ".data"), "x.data");
        assert_eq!(
            internal_map_name("my_object_name", ".rodata.abracadabra"),
            ".rodata.abracad"
        );
        assert_eq!(internal_map_name("my-obj", ".data"), "my_obj.data");
    }

    #[test]
    fn ring_buffer_sizes() {
        assert_eq!(ringbuf_size(4096, 4096), 4096);
        assert_eq!(ringbuf_size(4097, 4096), 8192);
        assert_eq!(ringbuf_size(3 * 4096, 4096), 4 * 4096);
        assert_eq!(ringbuf_size(1, 4096), 4096);
        assert_eq!(ringbuf_size(0, 4096), 0);
        assert_eq!(ringbuf_size(u32::MAX, 4096), u32::MAX);
    }
}
