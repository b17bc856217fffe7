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
    /// The map type's name as bpftool prints it (`hash`, `ringbuf`, ...;
    /// `type N` for a number `corex-uapi` does not know).
    pub fn type_name(&self) -> String {
        corex_uapi::MapType(self.map_type).to_string()
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

/// `__type(key, T)` is a pointer (not behind modifiers) to T: the type and
/// its size.
fn type_field(btf: &Btf, map: &str, field: &str, ty: TypeId) -> Result<(TypeId, u32)> {
    let t = btf.ty(ty);
    if t.kind() != Kind::Ptr {
        return Err(map_err(
            map,
            format!("{field} spec is not PTR: {}", t.kind()),
        ));
    }
    let size = btf
        .resolve_size(t.type_id())
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| {
            map_err(
                map,
                format!("can't determine {field} size for type [{}]", t.type_id()),
            )
        })?;
    Ok((t.type_id(), size))
}

/// Records a key or value size, refusing a second, different one.
fn set_size(map: &str, what: &str, slot: &mut u32, size: u32) -> Result<()> {
    if *slot != 0 && *slot != size {
        return Err(map_err(
            map,
            format!("conflicting {what} size {} != {size}", *slot),
        ));
    }
    *slot = size;
    Ok(())
}

/// Reads `__array(values, ...)`: the inner map definition of a map-in-map
/// (or nothing for a program array, whose values are programs).
fn values_field(btf: &Btf, name: &str, m: &mut MapDef, ty: TypeId) -> Result<()> {
    let map_type = corex_uapi::MapType(m.map_type);
    let is_map_in_map = map_type.is_map_in_map();
    let desc = if is_map_in_map {
        "map-in-map inner"
    } else {
        "prog-array value"
    };
    if !is_map_in_map && map_type != corex_uapi::MapType::PROG_ARRAY {
        return Err(map_err(name, "should be map-in-map or prog-array"));
    }
    set_size(name, "value", &mut m.value_size, 4)?;
    let arr = btf.ty(ty);
    let elem = arr
        .array()
        .filter(|a| a.nelems == 0)
        .ok_or_else(|| map_err(name, format!("{desc} spec is not a zero-sized array")))?;
    let ptr = btf.skip_mods_and_typedefs(elem.elem);
    if ptr.kind() != Kind::Ptr {
        return Err(map_err(
            name,
            format!("{desc} def is of unexpected kind {}", ptr.kind()),
        ));
    }
    let target = btf.skip_mods_and_typedefs(ptr.type_id());
    if !is_map_in_map {
        if target.kind() != Kind::FuncProto {
            return Err(map_err(
                name,
                format!(
                    "prog-array value def is of unexpected kind {}",
                    target.kind()
                ),
            ));
        }
        return Ok(());
    }
    if target.kind() != Kind::Struct {
        return Err(map_err(
            name,
            format!(
                "map-in-map inner def is of unexpected kind {}",
                target.kind()
            ),
        ));
    }
    m.inner = Some(Box::new(parse_btf_map_def(
        btf,
        &format!("{name}.inner"),
        target,
        1,
    )?));
    Ok(())
}

/// Reads a BTF map definition struct (`struct { __uint(type, ...); ... }`)
/// with libbpf's strict rules (`parse_btf_map_def`): unknown fields,
/// conflicting sizes, misplaced `values` and pinned inner maps are errors.
pub(crate) fn parse_btf_map_def(
    btf: &Btf,
    name: &str,
    def: Type<'_>,
    depth: u32,
) -> Result<MapDef> {
    if def.kind() != Kind::Struct {
        return Err(map_err(
            name,
            format!("definition is {}, not a struct", a_kind(def.kind())),
        ));
    }
    let is_inner = depth > 0;
    let mut m = MapDef::default();
    let last = def.vlen().saturating_sub(1);
    for (i, member) in def.members().enumerate() {
        tick(1);
        let f = member.name;
        match f {
            "type" => m.map_type = int_field(btf, name, f, member.ty)?,
            "max_entries" => m.max_entries = int_field(btf, name, f, member.ty)?,
            "map_flags" => m.map_flags = int_field(btf, name, f, member.ty)?,
            "numa_node" => m.numa_node = int_field(btf, name, f, member.ty)?,
            "map_extra" => m.map_extra = u64::from(int_field(btf, name, f, member.ty)?),
            "key_size" => {
                let size = int_field(btf, name, f, member.ty)?;
                set_size(name, "key", &mut m.key_size, size)?;
            }
            "value_size" => {
                let size = int_field(btf, name, f, member.ty)?;
                set_size(name, "value", &mut m.value_size, size)?;
            }
            "key" => {
                let (id, size) = type_field(btf, name, f, member.ty)?;
                set_size(name, "key", &mut m.key_size, size)?;
                m.key_type = Some(id);
            }
            "value" => {
                let (id, size) = type_field(btf, name, f, member.ty)?;
                set_size(name, "value", &mut m.value_size, size)?;
                m.value_type = Some(id);
            }
            "values" => {
                if is_inner {
                    return Err(map_err(name, "multi-level inner maps not supported"));
                }
                if i != last {
                    return Err(map_err(name, "'values' member should be last"));
                }
                values_field(btf, name, &mut m, member.ty)?;
            }
            "pinning" => {
                if is_inner {
                    return Err(map_err(name, "inner def can't be pinned"));
                }
                let v = int_field(btf, name, f, member.ty)?;
                if v > 1 {
                    return Err(map_err(name, format!("invalid pinning value {v}")));
                }
                m.pinning = v;
            }
            other => return Err(map_err(name, format!("unknown field '{other}'"))),
        }
    }
    if m.map_type == 0 {
        return Err(map_err(name, "map type isn't specified"));
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
    for (i, v) in datasec.datasec_vars().enumerate() {
        tick(1);
        let var = btf.ty(v.ty);
        let name = var.name().to_owned();
        if name.is_empty() {
            return Err(sec.error(format!("map #{i} has an empty name")));
        }
        let sym = elf.symbol_named(sec.index, &name).ok_or_else(|| {
            map_err(
                &name,
                format!("no ELF symbol for it in section '{}'", sec.name),
            )
        })?;
        if sym.value.checked_add(u64::from(v.size)) > Some(sec.data.len() as u64) {
            return Err(map_err(
                &name,
                format!(
                    "its {} bytes at offset {} run past the end of section '{}' ({} bytes)",
                    v.size,
                    sym.value,
                    sec.name,
                    sec.data.len()
                ),
            ));
        }
        if var.kind() != Kind::Var {
            return Err(map_err(
                &name,
                format!("unexpected var kind {}", var.kind()),
            ));
        }
        if var.linkage() != Some(corex_btf::Linkage::Global) {
            let linkage = var.linkage().map_or("unknown", |l| l.name());
            return Err(map_err(&name, format!("unsupported map linkage {linkage}")));
        }
        let def_type = btf.skip_mods_and_typedefs(var.type_id());
        if def_type.kind() == Kind::Struct && def_type.size() > v.size {
            return Err(map_err(
                &name,
                format!(
                    "invalid def size: the definition is {} bytes, the variable {}",
                    def_type.size(),
                    v.size
                ),
            ));
        }
        let def = parse_btf_map_def(btf, &name, def_type, 0)?;
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
        let btf = Btf::parse(&b.to_bytes(Endian::Little).unwrap()).unwrap();
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
