//! Initial values of map-in-map and program-array maps declared in `.maps`
//! (`.values = { [2] = &inner, ... }`), read from the `.maps` relocations as
//! libbpf's `bpf_object__collect_map_relos` does, and the creation order
//! that has every inner map before the outer maps that hold it.

use std::collections::HashMap;

use corex_btf::Kind;

use corex_uapi::MapType;

use super::error::{PlanError, Problem};
use super::link::is_subprog;
use super::maps_plan::{MapId, MapPlan, MapSource};
use crate::btf_names::log2;
use crate::work::tick;
use crate::Object;

/// What a slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotValue {
    /// A map's fd.
    Map(MapId),
    /// A program's fd (index into [`Object::programs`]).
    Program(usize),
}

/// "Set slot `slot` of `map` to the fd of `value`": for maps, once both
/// maps exist; for programs, once the programs are loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlotInit {
    /// The outer map or program array.
    pub map: MapId,
    /// The key (a 4-byte index).
    pub slot: u32,
    /// What goes there.
    pub value: SlotValue,
}

/// A declared map's `.maps` variable: its size, and the name and byte
/// offset of its definition's last member (`values`, when it has one).
type VarInfo = (u32, Option<(String, u32)>);

/// The `.maps` DATASEC entry of each map called in `names`.
fn var_infos(obj: &Object, names: &[&str]) -> Vec<Option<VarInfo>> {
    let Some(btf) = obj.btf.as_ref() else {
        return vec![None; names.len()];
    };
    let Some(ds) = btf
        .types()
        .find(|t| t.kind() == Kind::Datasec && t.name() == ".maps")
    else {
        return vec![None; names.len()];
    };
    let by_name: HashMap<&str, VarInfo> = ds
        .datasec_vars()
        .map(|v| {
            let var = btf.ty(v.ty);
            let def = btf.skip_mods_and_typedefs(var.type_id());
            let last = def
                .members()
                .last()
                .map(|m| (m.name.to_owned(), m.bit_offset / 8));
            (var.name(), (v.size, last))
        })
        .collect();
    names.iter().map(|n| by_name.get(n).cloned()).collect()
}

/// The slot initialisations of the object's `.maps` section.
pub(crate) fn collect(obj: &Object, maps: &[MapPlan]) -> Result<Vec<SlotInit>, PlanError> {
    let mut out: Vec<SlotInit> = Vec::new();
    let declared: Vec<(MapId, &crate::Map)> = maps
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m.source {
            MapSource::Declared(d) => Some((MapId(i), &obj.maps[d])),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = declared.iter().map(|(_, m)| m.name.as_str()).collect();
    let infos = var_infos(obj, &names);
    // The declared maps with a DATASEC entry, by their first byte, for the
    // map holding each relocation (maps in `.maps` do not overlap).
    let mut by_offset: Vec<usize> = (0..declared.len())
        .filter(|&i| infos[i].is_some())
        .collect();
    by_offset.sort_by_key(|&i| (declared[i].1.section_offset, i));
    let mut map_named: HashMap<&str, MapId> = HashMap::new();
    for (id, m) in &declared {
        map_named.entry(m.name.as_str()).or_insert(*id);
    }
    let mut program_named: HashMap<&str, usize> = HashMap::new();
    for (i, p) in obj.programs.iter().enumerate() {
        if !is_subprog(obj, i) {
            program_named.entry(p.name.as_str()).or_insert(i);
        }
    }
    for r in &obj.facts.map_relocs {
        tick(1 + log2(by_offset.len()));
        let bad = |why: String| -> PlanError {
            Problem::MapSlot {
                index: r.index,
                symbol: r.symbol.clone(),
                why,
            }
            .into()
        };
        let after = by_offset.partition_point(|&i| declared[i].1.section_offset <= r.offset);
        let holder = after.checked_sub(1).map(|k| by_offset[k]).filter(|&i| {
            infos[i].as_ref().is_some_and(|(size, _)| {
                r.offset.saturating_add(8)
                    <= declared[i]
                        .1
                        .section_offset
                        .saturating_add(u64::from(*size))
            })
        });
        let Some(((id, map), Some((_, last)))) = holder.map(|i| (&declared[i], &infos[i])) else {
            return Err(bad(format!("no map holds offset {} of .maps", r.offset)));
        };
        let map_type = maps[id.0].create.map_type;
        let value = if map_type.is_map_in_map() {
            if r.symbol_section != map.section_index {
                return Err(bad("it is not a map defined in .maps".into()));
            }
            if map_type == MapType::HASH_OF_MAPS && map.def.key_size != 4 {
                return Err(bad(format!(
                    "hash-of-maps '{}' must have 4-byte keys",
                    map.name
                )));
            }
            let target = map_named
                .get(r.symbol.as_str())
                .ok_or_else(|| bad("it names no map of the object".into()))?;
            SlotValue::Map(*target)
        } else if map_type == MapType::PROG_ARRAY {
            let index = *program_named
                .get(r.symbol.as_str())
                .ok_or_else(|| bad("it names no program of the object".into()))?;
            let p = &obj.programs[index];
            if p.section_index != r.symbol_section
                || (p.section_insn * crate::insn::INSN_SIZE) as u64 != r.symbol_value
            {
                return Err(bad("it is not an entry-point program".into()));
            }
            SlotValue::Program(index)
        } else {
            return Err(bad(format!(
                "map '{}' is neither a map-in-map nor a program array",
                map.name
            )));
        };
        let Some((_, values_at)) = last.as_ref().filter(|(n, _)| n == "values") else {
            return Err(bad(format!(
                "the definition of map '{}' does not end with 'values'",
                map.name
            )));
        };
        let moff = r
            .offset
            .checked_sub(map.section_offset.saturating_add(u64::from(*values_at)))
            .filter(|m| m % 8 == 0)
            .ok_or_else(|| bad("it is not at a slot of 'values'".into()))?;
        let slot = u32::try_from(moff / 8).map_err(|_| bad("slot index past 2^32".into()))?;
        out.push(SlotInit {
            map: *id,
            slot,
            value,
        });
    }
    // A slot set twice keeps its last value, at the place of that one.
    let mut last: HashMap<(MapId, u32), usize> = HashMap::with_capacity(out.len());
    for (i, s) in out.iter().enumerate() {
        last.insert((s.map, s.slot), i);
    }
    let mut i = 0;
    out.retain(|s| {
        i += 1;
        last.get(&(s.map, s.slot)) == Some(&(i - 1))
    });
    Ok(out)
}

/// Every map after the maps its slots hold (libbpf's index order
/// otherwise); a map that holds itself, directly or not, is an error.
pub(crate) fn creation_order(
    maps: &[MapPlan],
    slots: &[SlotInit],
) -> Result<Vec<MapId>, PlanError> {
    let mut holds: Vec<Vec<usize>> = vec![Vec::new(); maps.len()];
    for s in slots {
        if let (SlotValue::Map(t), Some(list)) = (s.value, holds.get_mut(s.map.0)) {
            list.push(t.0);
        }
    }
    // 0: not seen, 1: on the path, 2: placed.
    let mut state = vec![0u8; maps.len()];
    let mut order = Vec::with_capacity(maps.len());
    for root in 0..maps.len() {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (m, ref mut next)) = stack.last_mut() {
            if let Some(&t) = holds[m].get(*next) {
                *next += 1;
                match state[t] {
                    0 => {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    1 => {
                        return Err(Problem::Map {
                            map: maps[t].name.clone(),
                            why: super::error::MapProblem::SlotCycle,
                        }
                        .into())
                    }
                    _ => {}
                }
            } else {
                state[m] = 2;
                order.push(MapId(m));
                stack.pop();
            }
        }
    }
    Ok(order)
}
