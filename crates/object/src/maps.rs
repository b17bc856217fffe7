//! Map definitions: BTF-defined maps in `.maps` (read from their BTF type as
//! libbpf's `parse_btf_map_def` does) and legacy `struct bpf_map_def`
//! entries in the `maps` section.

use corex_btf::{Btf, Kind, Type, TypeId};

use crate::data::NamedBtf;
use crate::elf::{ElfSection, ElfView};
use crate::error::{Error, Result};
use crate::work::tick;

/// Where a map definition came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    /// A variable in the BTF-described `.maps` section.
    Btf,
    /// A `struct bpf_map_def` in the legacy `maps` section (libbpf 1.0+
    /// refuses these).
    Legacy,
}

/// A map's attributes, as declared.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapDef {
    /// `BPF_MAP_TYPE_*` number.
    pub map_type: u32,
    /// Key size in bytes (from `key_size` or the size of `key`'s type).
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// `map_flags`.
    pub map_flags: u32,
    /// `numa_node`.
    pub numa_node: u32,
    /// `pinning` (`LIBBPF_PIN_*`).
    pub pinning: u32,
    /// `map_extra`.
    pub map_extra: u64,
    /// BTF type of the key, when declared with `__type(key, ...)`.
    pub key_type: Option<TypeId>,
    /// BTF type of the value, when declared with `__type(value, ...)`.
    pub value_type: Option<TypeId>,
    /// Definition of the inner map of a map-in-map (`__array(values, ...)`).
    pub inner: Option<Box<MapDef>>,
}

impl MapDef {
    /// The map type's name as bpftool prints it (`hash`, `ringbuf`, ...).
    pub fn type_name(&self) -> String {
        map_type_name(self.map_type)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("type {}", self.map_type))
    }
}

/// A map declared in the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// The map's name (its variable or symbol name).
    pub name: String,
    /// Section name (`.maps` or `maps`).
    pub section: String,
    /// ELF section index.
    pub section_index: usize,
    /// Offset of the definition in its section.
    pub section_offset: u64,
    /// How it was declared.
    pub origin: MapOrigin,
    /// Its attributes.
    pub def: MapDef,
}

const MAP_TYPE_NAMES: &[&str] = &[
    "unspec",
    "hash",
    "array",
    "prog_array",
    "perf_event_array",
    "percpu_hash",
    "percpu_array",
    "stack_trace",
    "cgroup_array",
    "lru_hash",
    "lru_percpu_hash",
    "lpm_trie",
    "array_of_maps",
    "hash_of_maps",
    "devmap",
    "sockmap",
    "cpumap",
    "xskmap",
    "sockhash",
    "cgroup_storage",
    "reuseport_sockarray",
    "percpu_cgroup_storage",
    "queue",
    "stack",
    "sk_storage",
    "devmap_hash",
    "struct_ops",
    "ringbuf",
    "inode_storage",
    "task_storage",
    "bloom_filter",
    "user_ringbuf",
    "cgrp_storage",
];

/// bpftool's name of a `BPF_MAP_TYPE_*` number.
pub fn map_type_name(map_type: u32) -> Option<&'static str> {
    MAP_TYPE_NAMES.get(map_type as usize).copied()
}

/// A type's kind with its article, as a sentence says it ("an int", "a
/// struct", "void").
pub(crate) fn a_kind(kind: Kind) -> String {
    let name = crate::core::kind_str(kind);
    match kind {
        Kind::Void => name.to_owned(),
        Kind::Int | Kind::Array | Kind::Enum | Kind::Enum64 => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

fn map_err(name: &str, why: impl Into<String>) -> Error {
    Error::Map {
        name: name.to_owned(),
        why: why.into(),
    }
}

/// `__uint(name, N)` is a pointer to an array of N elements: N is the value.
fn int_field(btf: &Btf, map: &str, field: &str, ty: TypeId) -> Result<u32> {
    let t = btf.skip_mods_and_typedefs(ty);
    if t.kind() != Kind::Ptr {
        return Err(map_err(
            map,
            format!(
                "attribute '{field}' is {}, not a pointer to an array (__uint)",
                a_kind(t.kind())
            ),
        ));
    }
    btf.ty(t.type_id())
        .array()
        .map(|a| a.nelems)
        .ok_or_else(|| {
            map_err(
                map,
                format!("attribute '{field}' does not point to an array (__uint)"),
            )
        })
}

/// `__type(key, T)` is a pointer to T: the type and its size.
fn type_field(btf: &Btf, map: &str, field: &str, ty: TypeId) -> Result<(TypeId, u32)> {
    let t = btf.skip_mods_and_typedefs(ty);
    if t.kind() != Kind::Ptr {
        return Err(map_err(
            map,
            format!(
                "attribute '{field}' is {}, not a pointer (__type)",
                a_kind(t.kind())
            ),
        ));
    }
    let size = btf
        .resolve_size(t.type_id())
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| map_err(map, format!("the size of '{field}' cannot be determined")))?;
    Ok((t.type_id(), size))
}

/// Reads a BTF map definition struct (`struct { __uint(type, ...); ... }`).
pub(crate) fn parse_btf_map_def(
    btf: &Btf,
    name: &str,
    def: Type<'_>,
    depth: u32,
) -> Result<MapDef> {
    if !def.is_composite() {
        return Err(map_err(
            name,
            format!("definition is {}, not a struct", a_kind(def.kind())),
        ));
    }
    let mut m = MapDef::default();
    for member in def.members() {
        tick(1);
        let f = member.name;
        match f {
            "type" => m.map_type = int_field(btf, name, f, member.ty)?,
            "max_entries" => m.max_entries = int_field(btf, name, f, member.ty)?,
            "map_flags" => m.map_flags = int_field(btf, name, f, member.ty)?,
            "numa_node" => m.numa_node = int_field(btf, name, f, member.ty)?,
            "pinning" => m.pinning = int_field(btf, name, f, member.ty)?,
            "map_extra" => m.map_extra = u64::from(int_field(btf, name, f, member.ty)?),
            "key_size" => m.key_size = int_field(btf, name, f, member.ty)?,
            "value_size" => m.value_size = int_field(btf, name, f, member.ty)?,
            "key" => {
                let (id, size) = type_field(btf, name, f, member.ty)?;
                m.key_type = Some(id);
                m.key_size = size;
            }
            "value" => {
                let (id, size) = type_field(btf, name, f, member.ty)?;
                m.value_type = Some(id);
                m.value_size = size;
            }
            "values" => {
                // __array(values, struct inner): a flexible array of pointers.
                let arr = btf.skip_mods_and_typedefs(member.ty);
                let elem = arr.array().ok_or_else(|| {
                    map_err(name, "'values' is not an array (__array)".to_string())
                })?;
                let ptr = btf.skip_mods_and_typedefs(elem.elem);
                if ptr.kind() != Kind::Ptr {
                    return Err(map_err(name, "'values' elements are not pointers"));
                }
                let inner = btf.skip_mods_and_typedefs(ptr.type_id());
                m.value_size = 4;
                if inner.is_composite() && depth == 0 {
                    m.inner = Some(Box::new(parse_btf_map_def(btf, name, inner, 1)?));
                }
            }
            _ => {}
        }
    }
    Ok(m)
}

/// Maps of the `.maps` section, from its DATASEC in the object's BTF. As in
/// libbpf, a map's offset comes from its ELF symbol (clang leaves the
/// DATASEC offsets at 0 for the loader to fix up).
pub(crate) fn btf_maps(
    elf: &ElfView<'_>,
    sec: &ElfSection<'_>,
    btf: Option<NamedBtf<'_>>,
) -> Result<Vec<Map>> {
    let NamedBtf { btf, names } =
        btf.ok_or_else(|| sec.error("BTF-defined maps need a .BTF section"))?;
    let datasec = names
        .first(btf, Kind::Datasec, ".maps")
        .map(|id| btf.ty(id))
        .ok_or_else(|| sec.error("no DATASEC '.maps' in the object's BTF"))?;
    let mut maps = Vec::new();
    for v in datasec.datasec_vars() {
        tick(1);
        let var = btf.ty(v.ty);
        if var.kind() != Kind::Var {
            return Err(sec.error(format!(
                "DATASEC entry [{}] is {}, not a variable",
                v.ty,
                a_kind(var.kind())
            )));
        }
        let name = var.name().to_owned();
        let def_type = btf.skip_mods_and_typedefs(var.type_id());
        let def = parse_btf_map_def(btf, &name, def_type, 0)?;
        let sym = elf.symbol_named(sec.index, &name).ok_or_else(|| {
            map_err(
                &name,
                format!("no ELF symbol for it in section '{}'", sec.name),
            )
        })?;
        maps.push(Map {
            section_offset: sym.value,
            name,
            section: sec.name.to_owned(),
            section_index: sec.index,
            origin: MapOrigin::Btf,
            def,
        });
    }
    Ok(maps)
}

/// Maps of the legacy `maps` section: one `struct bpf_map_def` per symbol.
pub(crate) fn legacy_maps(elf: &ElfView<'_>, sec: &ElfSection<'_>) -> Result<Vec<Map>> {
    let mut syms: Vec<_> = elf
        .symbols_in(sec.index)
        .filter(|s| !s.name.is_empty() && s.kind != object::elf::STT_SECTION)
        .collect();
    syms.sort_by_key(|s| s.value);
    tick(syms.len() * crate::btf_names::log2(syms.len()));
    if syms.is_empty() {
        return Ok(Vec::new());
    }
    let def_size = sec.data.len() / syms.len();
    if def_size < 20 || !sec.data.len().is_multiple_of(syms.len()) {
        return Err(sec.error(format!(
            "{} bytes do not divide into {} map definitions of at least 20 bytes",
            sec.data.len(),
            syms.len()
        )));
    }
    syms.iter()
        .map(|s| {
            tick(1);
            // The slot's bytes, if the symbol starts one inside the section.
            let slot = usize::try_from(s.value)
                .ok()
                .filter(|off| off.is_multiple_of(def_size))
                .and_then(|off| sec.data.get(off..off.checked_add(def_size)?));
            let Some(slot) = slot else {
                return Err(s.error(format!(
                    "map definition at offset {} is not one of the {def_size}-byte slots of section '{}' ({} bytes)",
                    s.value,
                    sec.name,
                    sec.data.len()
                )));
            };
            // def_size >= 20 (checked above): five words.
            let word = |i: usize| {
                let b = [slot[4 * i], slot[4 * i + 1], slot[4 * i + 2], slot[4 * i + 3]];
                match elf.endian {
                    corex_btf::Endian::Little => u32::from_le_bytes(b),
                    corex_btf::Endian::Big => u32::from_be_bytes(b),
                }
            };
            Ok(Map {
                name: s.name.to_owned(),
                section: sec.name.to_owned(),
                section_index: sec.index,
                section_offset: s.value,
                origin: MapOrigin::Legacy,
                def: MapDef {
                    map_type: word(0),
                    key_size: word(1),
                    value_size: word(2),
                    max_entries: word(3),
                    map_flags: word(4),
                    ..MapDef::default()
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use corex_btf::write::{Body, BtfBuilder, MemberDef, TypeDef};
    use corex_btf::{Endian, IntInfo};

    fn ty(name: &str, body: Body) -> TypeDef {
        TypeDef {
            name: name.into(),
            kflag: false,
            body,
        }
    }

    #[test]
    fn reads_uint_and_type_attributes() {
        let mut b = BtfBuilder::new();
        let int = b.add(&ty(
            "int",
            Body::Int {
                size: 4,
                info: IntInfo {
                    encoding: 1,
                    offset: 0,
                    bits: 32,
                },
            },
        ));
        let u64t = b.add(&ty(
            "u64",
            Body::Int {
                size: 8,
                info: IntInfo {
                    encoding: 0,
                    offset: 0,
                    bits: 64,
                },
            },
        ));
        let arr = |b: &mut BtfBuilder, n| {
            b.add(&ty(
                "",
                Body::Array {
                    elem: int,
                    index: int,
                    nelems: n,
                },
            ))
        };
        let ptr = |b: &mut BtfBuilder, t| {
            b.add(&ty(
                "",
                Body::Ref {
                    kind: Kind::Ptr,
                    target: t,
                },
            ))
        };
        let a1 = arr(&mut b, 1);
        let p1 = ptr(&mut b, a1);
        let a1024 = arr(&mut b, 1024);
        let p1024 = ptr(&mut b, a1024);
        let pint = ptr(&mut b, int);
        let pu64 = ptr(&mut b, u64t);
        let m = |n: &str, t, o| MemberDef {
            name: n.into(),
            ty: t,
            bit_offset: o,
            bitfield_size: 0,
        };
        let def = b.add(&ty(
            "",
            Body::Composite {
                is_union: false,
                size: 32,
                members: vec![
                    m("type", p1, 0),
                    m("max_entries", p1024, 64),
                    m("key", pint, 128),
                    m("value", pu64, 192),
                ],
            },
        ));
        let btf = Btf::parse(&b.finish(Endian::Little)).unwrap();
        let d = parse_btf_map_def(&btf, "counts", btf.ty(def), 0).unwrap();
        assert_eq!(d.type_name(), "hash");
        assert_eq!((d.key_size, d.value_size, d.max_entries), (4, 8, 1024));
        assert_eq!(d.value_type, Some(u64t));
        let bad = parse_btf_map_def(&btf, "x", btf.ty(int), 0).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "map 'x': definition is an int, not a struct"
        );
    }
}
