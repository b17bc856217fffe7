//! Externs as libbpf's `bpf_object__collect_externs` describes them: each
//! undefined symbol's BTF VAR or FUNC, its section (`.kconfig` or `.ksyms`),
//! for `.kconfig` the value type, size and alignment, and libbpf's order
//! (kconfig before ksyms; kconfig by alignment, size, then name), which
//! decides the `.kconfig` map's layout.

use std::collections::HashMap;

use corex_btf::{Btf, Kind, Linkage, TypeId};

use super::error::{ExternProblem, KconfigType, PlanError, Problem};
use super::kconfig::KconfigSlot;
use crate::work::tick;
use crate::Object;

/// What an extern is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExternClass {
    /// A `.kconfig` variable and its slot in the `.kconfig` map.
    Kconfig(KconfigSlot),
    /// A `.ksyms` symbol: a kernel variable, or a kfunc.
    Ksym {
        /// The local type (the VAR's type or the FUNC's prototype, with
        /// modifiers and typedefs skipped); void for a typeless ksym.
        type_id: TypeId,
        /// A kfunc rather than a variable.
        func: bool,
    },
}

/// The largest `.kconfig` map: the kernel refuses array map values past
/// `KMALLOC_MAX_SIZE` (4 MiB with 4 KiB pages).
pub(crate) const KCONFIG_MAX: u64 = 4 << 20;

/// One extern, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExternDesc {
    pub name: String,
    /// Its symbol table index (instruction relocations name it).
    pub symbol: usize,
    pub weak: bool,
    /// Its VAR or FUNC in the object's BTF.
    pub btf_id: TypeId,
    pub class: ExternClass,
}

/// The object's externs in libbpf's order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Externs {
    pub list: Vec<ExternDesc>,
    /// Size of the `.kconfig` map (0 without kconfig externs).
    pub kconfig_size: u32,
    /// The first of `list` with each symbol index.
    by_symbol: HashMap<usize, usize>,
    /// The first of `list` with each name.
    by_name: HashMap<String, usize>,
}

impl Externs {
    /// The extern whose symbol is `symbol`.
    pub(crate) fn by_symbol(&self, symbol: usize) -> Option<&ExternDesc> {
        tick(1);
        self.by_symbol.get(&symbol).map(|&i| &self.list[i])
    }

    /// The extern called `name`.
    pub(crate) fn by_name(&self, name: &str) -> Option<&ExternDesc> {
        tick(1);
        self.by_name.get(name).map(|&i| &self.list[i])
    }

    /// The `.kconfig` slots, in layout order.
    pub(crate) fn kconfig_slots(&self) -> Vec<KconfigSlot> {
        self.list
            .iter()
            .filter_map(|e| match &e.class {
                ExternClass::Kconfig(s) => Some(s.clone()),
                ExternClass::Ksym { .. } => None,
            })
            .collect()
    }
}

fn err(name: &str, why: ExternProblem) -> PlanError {
    Problem::Extern {
        name: name.to_owned(),
        why,
    }
    .into()
}

/// libbpf's `find_kcfg_type`.
fn kcfg_type(btf: &Btf, id: TypeId) -> Option<(KconfigType, bool)> {
    let t = btf.skip_mods_and_typedefs(id);
    match t.kind() {
        Kind::Int => {
            let info = t.int()?;
            if info.is_bool() {
                return (t.size() == 1).then_some((KconfigType::Bool, false));
            }
            let signed = info.is_signed();
            match t.size() {
                1 => Some((KconfigType::Char, signed)),
                2 | 4 | 8 => Some((KconfigType::Int, signed)),
                _ => None,
            }
        }
        Kind::Enum if t.size() == 4 && t.name() == "libbpf_tristate" => {
            Some((KconfigType::Tristate, false))
        }
        Kind::Enum64 if t.name() == "libbpf_tristate" => Some((KconfigType::Tristate, false)),
        Kind::Array => {
            let a = t.array()?;
            let elem = kcfg_type(btf, a.elem)?;
            (a.nelems > 0 && elem.0 == KconfigType::Char).then_some((KconfigType::CharArray, false))
        }
        _ => None,
    }
}

/// Alignment of a `.kconfig` value type (libbpf's `btf__align_of` for the
/// kinds `kcfg_type` accepts).
fn kcfg_align(btf: &Btf, id: TypeId) -> u32 {
    let t = btf.skip_mods_and_typedefs(id);
    match t.array() {
        Some(a) => kcfg_align(btf, a.elem),
        None => t.size().clamp(1, 8),
    }
}

/// First VAR or FUNC of each name, and the first DATASEC listing each id:
/// one pass over the object's BTF instead of one scan per extern.
struct BtfNames<'b> {
    var_or_func: HashMap<&'b str, TypeId>,
    datasec_of: HashMap<TypeId, TypeId>,
}

impl<'b> BtfNames<'b> {
    fn new(btf: &'b Btf) -> BtfNames<'b> {
        let mut var_or_func = HashMap::new();
        let mut datasec_of = HashMap::new();
        for t in btf.types() {
            match t.kind() {
                Kind::Var | Kind::Func => {
                    var_or_func.entry(t.name()).or_insert(t.id());
                }
                Kind::Datasec => {
                    for v in t.datasec_vars() {
                        datasec_of.entry(v.ty).or_insert(t.id());
                    }
                }
                _ => {}
            }
        }
        BtfNames {
            var_or_func,
            datasec_of,
        }
    }
}

/// Describes the object's externs and lays out the `.kconfig` map.
pub(crate) fn collect(obj: &Object) -> Result<Externs, PlanError> {
    if obj.externs.is_empty() {
        return Ok(Externs::default());
    }
    let btf = obj
        .btf
        .as_ref()
        .ok_or_else(|| err(&obj.externs[0].name, ExternProblem::NoBtf))?;
    let names = BtfNames::new(btf);
    let mut list = Vec::with_capacity(obj.externs.len());
    for ext in &obj.externs {
        let name = ext.name.as_str();
        let id = *names
            .var_or_func
            .get(name)
            .ok_or_else(|| err(name, ExternProblem::NoBtf))?;
        let t = btf.ty(id);
        if t.linkage() != Some(Linkage::Extern) {
            return Err(err(name, ExternProblem::NotExtern));
        }
        let sec = names
            .datasec_of
            .get(&id)
            .ok_or_else(|| err(name, ExternProblem::NoSection))?;
        let class = match btf.ty(*sec).name() {
            ".kconfig" => {
                if t.kind() == Kind::Func {
                    return Err(err(name, ExternProblem::KconfigFunction));
                }
                let size = btf
                    .resolve_size(t.type_id())
                    .and_then(|s| u32::try_from(s).ok())
                    .filter(|&s| s > 0)
                    .ok_or_else(|| err(name, ExternProblem::KconfigType { size: 0 }))?;
                let (ty, signed) = kcfg_type(btf, t.type_id())
                    .ok_or_else(|| err(name, ExternProblem::KconfigType { size }))?;
                ExternClass::Kconfig(KconfigSlot {
                    name: name.to_owned(),
                    ty,
                    signed,
                    size,
                    offset: kcfg_align(btf, t.type_id()),
                })
            }
            ".ksyms" => ExternClass::Ksym {
                type_id: btf.skip_mods_and_typedefs(t.type_id()).id(),
                func: t.kind() == Kind::Func,
            },
            other => {
                return Err(err(
                    name,
                    ExternProblem::BadSection {
                        section: other.to_owned(),
                    },
                ))
            }
        };
        list.push(ExternDesc {
            name: name.to_owned(),
            symbol: ext.symbol,
            weak: ext.weak,
            btf_id: id,
            class,
        });
    }
    // libbpf's cmp_externs: kconfig first, by alignment (descending), size
    // (ascending), then name; ksyms by name. The slot's `offset` holds the
    // alignment until the layout below.
    list.sort_by(|a, b| {
        let key = |e: &ExternDesc| match &e.class {
            ExternClass::Kconfig(s) => (0, u32::MAX - s.offset, s.size),
            ExternClass::Ksym { .. } => (1, 0, 0),
        };
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    let mut end = 0u32;
    for e in &mut list {
        if let ExternClass::Kconfig(s) = &mut e.class {
            let align = s.offset;
            let start = u64::from(end).div_ceil(u64::from(align)) * u64::from(align);
            let new_end = start + u64::from(s.size);
            if new_end > KCONFIG_MAX {
                return Err(err(
                    &e.name,
                    ExternProblem::KconfigTooLarge { end: new_end },
                ));
            }
            // Both fit: at most KCONFIG_MAX.
            (s.offset, end) = (start as u32, new_end as u32);
        }
    }
    let mut by_symbol = HashMap::with_capacity(list.len());
    let mut by_name = HashMap::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        tick(1);
        by_symbol.entry(e.symbol).or_insert(i);
        by_name.entry(e.name.clone()).or_insert(i);
    }
    Ok(Externs {
        list,
        kconfig_size: end,
        by_symbol,
        by_name,
    })
}
