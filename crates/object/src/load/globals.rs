//! Global variables set by name before loading: the initial contents of
//! `.data*`, `.rodata*` and `.bss` maps with a value written over one
//! variable, its size and type checked against the object's BTF. Only
//! variables a libbpf skeleton exposes can be set: global ones, not static
//! or hidden (libbpf treats hidden ones as static).

use std::collections::HashMap;

use corex_btf::{Endian, Kind, Linkage, TypeId};

use super::error::{PlanError, Problem, VariableProblem};
use crate::work::tick;
use crate::{DataKind, Object};

/// Where a settable variable lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VarPlace {
    /// Index into [`Object::data`].
    pub data: usize,
    pub offset: u32,
    pub size: u32,
    /// The VAR's type.
    pub ty: TypeId,
}

fn problem(name: &str, why: VariableProblem) -> PlanError {
    Problem::Variable {
        name: name.to_owned(),
        why,
    }
    .into()
}

/// The object's data-section variables by name, made on the first
/// lookup, so that setting many variables does not scan every variable
/// and every BTF type for each one.
#[derive(Debug, Default)]
pub(crate) struct GlobalIndex {
    /// Name -> (data section, variable): the first of that name in the
    /// first section (`.kconfig` aside) that has one.
    first: HashMap<String, (usize, usize)>,
    /// (DATASEC name, VAR name) -> the linkage of the first VAR of that
    /// name listed by a DATASEC of that name (DATASECs in id order).
    linkage: HashMap<(String, String), Option<Linkage>>,
}

impl GlobalIndex {
    /// Indexes `obj`'s data sections and its BTF's DATASECs.
    pub(crate) fn new(obj: &Object) -> GlobalIndex {
        let mut index = GlobalIndex::default();
        for (i, d) in obj.data.iter().enumerate() {
            if d.kind == DataKind::Kconfig {
                continue;
            }
            for (j, v) in d.variables.iter().enumerate() {
                tick(1);
                index.first.entry(v.name.clone()).or_insert((i, j));
            }
        }
        let Some(btf) = obj.btf.as_ref() else {
            return index;
        };
        for ds in btf.types().filter(|t| t.kind() == Kind::Datasec) {
            for v in ds.datasec_vars() {
                tick(1);
                let t = btf.ty(v.ty);
                if t.kind() == Kind::Var {
                    index
                        .linkage
                        .entry((ds.name().to_owned(), t.name().to_owned()))
                        .or_insert_with(|| t.linkage());
                }
            }
        }
        tick(btf.type_count() as usize);
        index
    }
}

/// The global variable called `name` in a global data section.
pub(crate) fn find(obj: &Object, name: &str) -> Result<VarPlace, PlanError> {
    let not_found = || problem(name, VariableProblem::NotFound);
    if obj.btf.is_none() {
        return Err(not_found());
    }
    let index = obj.global_index();
    tick(1);
    let Some(&(i, j)) = index.first.get(name) else {
        return Err(not_found());
    };
    let (d, v) = (&obj.data[i], &obj.data[i].variables[j]);
    let linkage = index
        .linkage
        .get(&(d.name.clone(), name.to_owned()))
        .copied()
        .flatten();
    let global =
        linkage == Some(Linkage::Global) && obj.facts.variable(name).is_some_and(|s| !s.hidden);
    if !global {
        return Err(not_found());
    }
    if d.size == 0 {
        return Err(problem(
            name,
            VariableProblem::NotLoaded {
                section: d.name.clone(),
            },
        ));
    }
    Ok(VarPlace {
        data: i,
        offset: v.offset,
        size: v.size,
        ty: v.ty,
    })
}

/// A value for a variable, checked against its BTF type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalValue<'v> {
    /// Raw bytes; only the size is checked.
    Bytes(&'v [u8]),
    /// An integer for an integer or enum variable; the range is checked.
    Int(i128),
    /// A boolean for a `bool` variable.
    Bool(bool),
    /// A string for a `char` array, NUL-terminated and zero-padded.
    Str(&'v str),
}

fn int_bytes(value: i128, size: u32, endian: Endian) -> Vec<u8> {
    let all = match endian {
        Endian::Little => value.to_le_bytes(),
        Endian::Big => value.to_be_bytes(),
    };
    let n = size as usize;
    match endian {
        Endian::Little => all[..n].to_vec(),
        Endian::Big => all[16 - n..].to_vec(),
    }
}

/// The bytes `value` gives the variable at `place`.
pub(crate) fn encode(
    obj: &Object,
    name: &str,
    place: &VarPlace,
    value: GlobalValue<'_>,
) -> Result<Vec<u8>, PlanError> {
    let Some(btf) = obj.btf.as_ref() else {
        return Err(problem(name, VariableProblem::NotFound));
    };
    let t = btf.skip_mods_and_typedefs(place.ty);
    let type_err = |needs| {
        problem(
            name,
            VariableProblem::Type {
                type_name: super::error::c_type(btf, place.ty),
                needs,
            },
        )
    };
    match value {
        GlobalValue::Bytes(b) => {
            if b.len() != place.size as usize {
                return Err(problem(
                    name,
                    VariableProblem::Size {
                        expected: place.size,
                        given: b.len(),
                    },
                ));
            }
            Ok(b.to_vec())
        }
        GlobalValue::Int(v) => {
            let signed = match t.kind() {
                Kind::Int if !t.int().is_some_and(|i| i.is_bool()) => {
                    t.int().is_some_and(|i| i.is_signed())
                }
                Kind::Enum | Kind::Enum64 => t.kflag(),
                _ => return Err(type_err("an integer or enum")),
            };
            let size = t.size();
            if size == 0 || size > 16 || size != place.size {
                return Err(type_err("an integer of 1 to 16 bytes"));
            }
            let bits = size * 8;
            let fits = match (signed, bits) {
                (_, 128) => signed || v >= 0,
                (true, _) => v >= -(1i128 << (bits - 1)) && v < 1i128 << (bits - 1),
                (false, _) => v >= 0 && v < 1i128 << bits,
            };
            if !fits {
                return Err(problem(
                    name,
                    VariableProblem::Range {
                        value: v,
                        size,
                        signed,
                    },
                ));
            }
            Ok(int_bytes(v, size, obj.endian))
        }
        GlobalValue::Bool(b) => {
            if !(t.kind() == Kind::Int && t.int().is_some_and(|i| i.is_bool()) && t.size() == 1) {
                return Err(type_err("bool"));
            }
            Ok(vec![u8::from(b)])
        }
        GlobalValue::Str(s) => {
            let is_char_array = t.array().is_some_and(|a| {
                let e = btf.skip_mods_and_typedefs(a.elem);
                e.kind() == Kind::Int && e.size() == 1
            });
            if !is_char_array {
                return Err(type_err("a char array"));
            }
            if s.len() + 1 > place.size as usize {
                return Err(problem(
                    name,
                    VariableProblem::TooLong {
                        needed: s.len() + 1,
                        size: place.size,
                    },
                ));
            }
            let mut bytes = s.as_bytes().to_vec();
            bytes.resize(place.size as usize, 0);
            Ok(bytes)
        }
    }
}
