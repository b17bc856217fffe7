//! The object's BTF as libbpf prepares it for the kernel, before
//! sanitizing: extern DATASECs rewritten (`.ksyms` entries become 4-byte
//! allocated variables, kfuncs global with named parameters, `.kconfig`
//! variables placed as in the `.kconfig` map), DATASEC sizes and variable
//! offsets filled from the ELF file (`btf_fixup_datasec`), hidden variables
//! and hidden `.text` functions made static.

use std::collections::HashMap;

use corex_btf::write::{Body, TypeDef};
use corex_btf::{Btf, Kind, Linkage, TypeId, VarSecInfo};

use super::error::{PlanError, Problem};
use super::externs::{ExternClass, Externs};
use super::facts::ElfFacts;
use crate::work::tick;

/// Editable type definitions; the type with id `n` is `defs[n - 1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TypeDefs {
    pub defs: Vec<TypeDef>,
}

impl TypeDefs {
    /// Every type of `btf`, ids preserved.
    pub(crate) fn of(btf: &Btf) -> TypeDefs {
        TypeDefs {
            defs: btf.types().map(|t| t.to_def()).collect(),
        }
    }

    /// The definition of type `id` (`None` for void and ids past the end).
    pub(crate) fn get(&self, id: TypeId) -> Option<&TypeDef> {
        (id.0 as usize)
            .checked_sub(1)
            .and_then(|i| self.defs.get(i))
    }

    fn get_mut(&mut self, id: TypeId) -> Option<&mut TypeDef> {
        (id.0 as usize)
            .checked_sub(1)
            .and_then(|i| self.defs.get_mut(i))
    }

    /// Appends a type and returns its id.
    pub(crate) fn push(&mut self, def: TypeDef) -> TypeId {
        self.defs.push(def);
        TypeId(self.defs.len() as u32)
    }

    /// Ids and definitions, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (TypeId, &TypeDef)> {
        self.defs
            .iter()
            .enumerate()
            .map(|(i, d)| (TypeId(i as u32 + 1), d))
    }

    /// The first type called `name`, of any kind (`btf__find_by_name`).
    pub(crate) fn find_by_name(&self, name: &str) -> Option<TypeId> {
        self.iter().find(|(_, d)| d.name == name).map(|(id, _)| id)
    }

    /// The first type of kind `kind` called `name`.
    pub(crate) fn find(&self, kind: Kind, name: &str) -> Option<TypeId> {
        self.iter()
            .find(|(_, d)| d.kind() == kind && d.name == name)
            .map(|(id, _)| id)
    }
}

/// The first 32-bit INT (libbpf's `find_int_btf_id`), or void.
fn int32(defs: &TypeDefs) -> TypeId {
    defs.iter()
        .find(|(_, d)| matches!(d.body, Body::Int { info, .. } if info.bits == 32))
        .map_or(TypeId::VOID, |(id, _)| id)
}

fn datasec_vars_mut(def: &mut TypeDef) -> Option<(&mut u32, &mut Vec<VarSecInfo>)> {
    match &mut def.body {
        Body::Datasec { size, vars } => Some((size, vars)),
        _ => None,
    }
}

/// Rewrites the `.ksyms` and `.kconfig` DATASECs (libbpf's
/// `add_dummy_ksym_var` and the end of `bpf_object__collect_externs`).
fn rewrite_extern_sections(defs: &mut TypeDefs, externs: &Externs) -> Result<(), PlanError> {
    let missing = |name: &str| -> PlanError {
        Problem::Datasec {
            section: ".ksyms".into(),
            why: format!("it lists '{name}', which is no extern of the object"),
        }
        .into()
    };
    if let Some(ksyms) = defs.find(Kind::Datasec, ".ksyms") {
        let vars: Vec<TypeId> = match defs.get(ksyms).map(|d| &d.body) {
            Some(Body::Datasec { vars, .. }) => vars.iter().map(|v| v.ty).collect(),
            _ => Vec::new(),
        };
        let has_func = vars
            .iter()
            .any(|v| defs.get(*v).is_some_and(|d| d.kind() == Kind::Func));
        let int = int32(defs);
        let dummy = has_func.then(|| {
            defs.push(TypeDef {
                name: "dummy_ksym".into(),
                kflag: false,
                body: Body::Var {
                    ty: int,
                    linkage: Linkage::Global,
                },
            })
        });
        let mut new_vars = Vec::with_capacity(vars.len());
        for (i, var) in vars.iter().enumerate() {
            let Some(def) = defs.get(*var).cloned() else {
                return Err(missing(&format!("type [{var}]")));
            };
            if externs.by_name(&def.name).is_none() {
                return Err(missing(&def.name));
            }
            let mut ty = *var;
            match def.body {
                Body::Func { proto, .. } => {
                    if let Some(Body::FuncProto { params, .. }) =
                        defs.get_mut(proto).map(|d| &mut d.body)
                    {
                        for (name, pty) in params.iter_mut() {
                            if *pty != TypeId::VOID && name.is_empty() {
                                *name = "dummy_ksym".into();
                            }
                        }
                    }
                    if let Some(Body::Func { linkage, .. }) =
                        defs.get_mut(*var).map(|d| &mut d.body)
                    {
                        *linkage = Linkage::Global;
                    }
                    ty = dummy.unwrap_or(ty);
                }
                _ => {
                    if let Some(Body::Var { ty: vty, linkage }) =
                        defs.get_mut(*var).map(|d| &mut d.body)
                    {
                        *linkage = Linkage::Global;
                        *vty = int;
                    }
                }
            }
            new_vars.push(VarSecInfo {
                ty,
                offset: (i * 4) as u32,
                size: 4,
            });
        }
        if let Some((size, vars)) = defs.get_mut(ksyms).and_then(datasec_vars_mut) {
            *size = (new_vars.len() * 4) as u32;
            *vars = new_vars;
        }
    }
    if let Some(kconfig) = defs.find(Kind::Datasec, ".kconfig") {
        let var_ids: Vec<TypeId> = match defs.get(kconfig).map(|d| &d.body) {
            Some(Body::Datasec { vars, .. }) => vars.iter().map(|v| v.ty).collect(),
            _ => Vec::new(),
        };
        let mut offsets = Vec::with_capacity(var_ids.len());
        for var in &var_ids {
            let name = defs.get(*var).map(|d| d.name.clone()).unwrap_or_default();
            let offset = match externs.by_name(&name).map(|e| &e.class) {
                Some(ExternClass::Kconfig(slot)) => slot.offset,
                _ => {
                    return Err(Problem::Datasec {
                        section: ".kconfig".into(),
                        why: format!("it lists '{name}', which is no kconfig extern"),
                    }
                    .into())
                }
            };
            if let Some(Body::Var { linkage, .. }) = defs.get_mut(*var).map(|d| &mut d.body) {
                *linkage = Linkage::Global;
            }
            offsets.push(offset);
        }
        if let Some((size, vars)) = defs.get_mut(kconfig).and_then(datasec_vars_mut) {
            *size = externs.kconfig_size;
            for (v, off) in vars.iter_mut().zip(offsets) {
                v.offset = off;
            }
        }
    }
    Ok(())
}

/// libbpf's `btf_fixup_datasec` for every DATASEC.
fn fixup_datasecs(defs: &mut TypeDefs, facts: &ElfFacts) -> Result<(), PlanError> {
    let datasecs: Vec<TypeId> = defs
        .iter()
        .filter(|(_, d)| d.kind() == Kind::Datasec)
        .map(|(id, _)| id)
        .collect();
    for id in datasecs {
        let Some(def) = defs.get(id).cloned() else {
            continue;
        };
        let Body::Datasec { size, vars } = &def.body else {
            continue;
        };
        let name = def.name.as_str();
        let err = |why: String| -> PlanError {
            Problem::Datasec {
                section: name.to_owned(),
                why,
            }
            .into()
        };
        let mut vars = vars.clone();
        let mut size = *size;
        if name != ".kconfig" && name != ".ksyms" {
            let fix_offsets = size == 0;
            if fix_offsets {
                size = facts
                    .section_size(name)
                    .filter(|&s| s > 0)
                    .and_then(|s| u32::try_from(s).ok())
                    .ok_or_else(|| {
                        err("its size is 0 and no ELF section of that name gives one".into())
                    })?;
            }
            for v in &mut vars {
                let var = defs
                    .get(v.ty)
                    .filter(|d| d.kind() == Kind::Var)
                    .ok_or_else(|| err(format!("entry [{}] is not a VAR", v.ty)))?;
                let Body::Var { linkage, .. } = var.body else {
                    continue;
                };
                if matches!(linkage, Linkage::Static | Linkage::Extern) {
                    continue;
                }
                let sym = facts
                    .variable(&var.name)
                    .ok_or_else(|| err(format!("no ELF symbol for variable '{}'", var.name)))?;
                if fix_offsets {
                    v.offset = u32::try_from(sym.value).map_err(|_| {
                        err(format!(
                            "variable '{}' is at offset {}, past 4 GiB",
                            var.name, sym.value
                        ))
                    })?;
                }
                if sym.hidden {
                    if let Some(Body::Var { linkage, .. }) = defs.get_mut(v.ty).map(|d| &mut d.body)
                    {
                        *linkage = Linkage::Static;
                    }
                }
            }
        }
        vars.sort_by_key(|v| v.offset);
        if let Some((s, vs)) = defs.get_mut(id).and_then(datasec_vars_mut) {
            *s = size;
            *vs = vars;
        }
    }
    Ok(())
}

/// The object's BTF after libbpf's open-time fix-ups.
pub(crate) fn fixed_up(
    btf: &Btf,
    externs: &Externs,
    facts: &ElfFacts,
) -> Result<TypeDefs, PlanError> {
    let mut defs = TypeDefs::of(btf);
    rewrite_extern_sections(&mut defs, externs)?;
    fixup_datasecs(&mut defs, facts)?;
    Ok(defs)
}

/// Makes the first global FUNC called by each of `names` static (libbpf
/// does so for hidden `.text` functions, so the verifier checks them with
/// their callers): one pass over the types, whatever the number of names.
pub(crate) fn make_funcs_static<'n>(defs: &mut TypeDefs, names: impl Iterator<Item = &'n str>) {
    let mut pending: HashMap<&str, usize> = HashMap::new();
    for name in names {
        tick(1);
        *pending.entry(name).or_default() += 1;
    }
    if pending.is_empty() {
        return;
    }
    for def in &mut defs.defs {
        tick(1);
        let Body::Func { linkage, .. } = &mut def.body else {
            continue;
        };
        if *linkage != Linkage::Global {
            continue;
        }
        if let Some(left) = pending.get_mut(def.name.as_str()).filter(|n| **n > 0) {
            *linkage = Linkage::Static;
            *left -= 1;
        }
    }
}
