//! A kernel BTF (vmlinux or a module's split BTF) owned together with its
//! name indexes, so a long-lived loader parses and indexes it once: each
//! index is built on the first lookup that needs it, not before, and holds
//! no borrow of the BTF.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use corex_btf::{Btf, Kind, NameIndex, TypeId};

use crate::core::Target;
use crate::name_scan::raw_string;
use crate::Object;

/// Exact lookups answered by a scan before the index of own names is
/// built: a one-shot load looks up a few attach targets and ksyms, each
/// scan (kind first, then the name's bytes) costs a fraction of building
/// the index, as libbpf scans; a long-lived loader passes this many and
/// builds the index once.
const SCANS_BEFORE_INDEX: u32 = 8;

/// A kernel BTF and its lazily built name indexes.
pub struct KernelBtf {
    name: String,
    btf: Arc<Btf>,
    /// Its own named types (a module's, not its base's), for exact lookups.
    own: OnceLock<NameIndex>,
    /// A split BTF's named types with its base's, for CO-RE (vmlinux uses
    /// `own`, which holds all of them).
    with_base: OnceLock<NameIndex>,
    /// Whether a CO-RE plan has been made against it.
    relocated_against: AtomicBool,
    /// Exact lookups made so far.
    lookups: AtomicU32,
}

impl KernelBtf {
    /// `btf` under `name` (`vmlinux`, or the module's name). Nothing is
    /// indexed yet.
    pub fn new(name: impl Into<String>, btf: Arc<Btf>) -> KernelBtf {
        KernelBtf {
            name: name.into(),
            btf,
            own: OnceLock::new(),
            with_base: OnceLock::new(),
            relocated_against: AtomicBool::new(false),
            lookups: AtomicU32::new(0),
        }
    }

    /// Its name (`vmlinux` or a module's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The BTF.
    pub fn btf(&self) -> &Btf {
        &self.btf
    }

    /// The shared BTF.
    pub fn shared_btf(&self) -> &Arc<Btf> {
        &self.btf
    }

    /// Whether the index of its own names has been built.
    pub fn is_indexed(&self) -> bool {
        self.own.get().is_some()
    }

    fn own_index(&self) -> &NameIndex {
        self.own.get_or_init(|| NameIndex::own(&self.btf))
    }

    /// The first type (in id order) of kind `kind` called exactly `name`
    /// among this BTF's own types (a module's, not its base's): libbpf's
    /// `btf__find_by_name_kind_own`. The first lookups scan (as libbpf
    /// does, cheaper than indexing for a few names); from the ninth on, or
    /// once an index exists, the index answers.
    pub fn find(&self, kind: Kind, name: &str) -> Option<TypeId> {
        if name.is_empty() {
            return None;
        }
        let index = match self.own.get() {
            Some(index) => index,
            None if self.lookups.fetch_add(1, Ordering::Relaxed) < SCANS_BEFORE_INDEX => {
                return self.scan(kind, name);
            }
            None => self.own_index(),
        };
        index.find(&self.btf, name, kind)
    }

    /// The first own type of `kind` called exactly `name`, by one pass.
    fn scan(&self, kind: Kind, name: &str) -> Option<TypeId> {
        let btf = &*self.btf;
        let wanted = name.as_bytes();
        btf.own_ids().find(|&id| {
            let t = btf.ty(id);
            t.kind() == kind
                && raw_string(btf, t.name_off())
                    .strip_prefix(wanted)
                    .is_some_and(|rest| rest.first() == Some(&0))
        })
    }

    /// The CO-RE target for relocating `obj` against this BTF. The first
    /// plan reads only the types `obj` can look up ([`Target::for_object`],
    /// one cheap pass) unless the full index already exists; from the
    /// second plan on (a long-lived loader), every named type is indexed
    /// once and the index is shared by all later plans.
    pub fn core_target(&self, obj: &Object) -> Target<'_> {
        let first = !self.relocated_against.swap(true, Ordering::Relaxed);
        if first && !self.has_core_index() {
            return Target::for_object(&self.btf, obj);
        }
        Target::with_index(&self.btf, self.core_index())
    }

    /// Every named type, a split BTF's base's included.
    fn core_index(&self) -> &NameIndex {
        match self.btf.base() {
            None => self.own_index(),
            Some(_) => self.with_base.get_or_init(|| NameIndex::new(&self.btf)),
        }
    }

    /// Whether [`KernelBtf::core_target`] now shares a full index (built
    /// by a lookup or by an earlier plan).
    pub fn has_core_index(&self) -> bool {
        match self.btf.base() {
            None => self.own.get().is_some(),
            Some(_) => self.with_base.get().is_some(),
        }
    }
}

impl std::fmt::Debug for KernelBtf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelBtf")
            .field("name", &self.name)
            .field("types", &self.btf.type_count())
            .field("indexed", &self.is_indexed())
            .finish()
    }
}

/// Where a kernel type was found: vmlinux, or the module at this position
/// of [`KernelInputs::modules`](super::KernelInputs::modules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BtfSource {
    /// vmlinux BTF (file descriptor 0 for the kernel).
    Vmlinux,
    /// A module's BTF: the library passes its BTF object's fd.
    Module(ModuleId),
}

/// Position of a module BTF in [`KernelInputs::modules`](super::KernelInputs::modules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub usize);

/// A kernel type found by exact name: where, and its id there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KernelType {
    /// vmlinux or a module.
    pub source: BtfSource,
    /// The type id in that BTF.
    pub id: TypeId,
}

/// libbpf's search for a kernel type by kind and exact name: vmlinux first,
/// then each module's own types in order.
pub(crate) fn find_kernel_type(
    vmlinux: &KernelBtf,
    modules: impl FnOnce() -> Result<Vec<Arc<KernelBtf>>, super::PlanError>,
    kind: Kind,
    name: &str,
) -> Result<Option<KernelType>, super::PlanError> {
    if let Some(id) = vmlinux.find(kind, name) {
        return Ok(Some(KernelType {
            source: BtfSource::Vmlinux,
            id,
        }));
    }
    Ok(modules()?.iter().enumerate().find_map(|(i, m)| {
        m.find(kind, name).map(|id| KernelType {
            source: BtfSource::Module(ModuleId(i)),
            id,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use corex_btf::write::{Body, BtfBuilder, TypeDef};
    use corex_btf::{Endian, IntInfo, Linkage};

    fn def(name: &str, body: Body) -> TypeDef {
        TypeDef {
            name: name.into(),
            kflag: false,
            body,
        }
    }

    #[test]
    fn exact_lookups_by_kind_and_name() {
        let mut b = BtfBuilder::new();
        let int = b.add(&def(
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
        let proto = b.add(&def(
            "",
            Body::FuncProto {
                ret: int,
                params: vec![],
            },
        ));
        let td = b.add(&def(
            "do_exit",
            Body::Ref {
                kind: Kind::Typedef,
                target: int,
            },
        ));
        let f = b.add(&def(
            "do_exit",
            Body::Func {
                proto,
                linkage: Linkage::Global,
            },
        ));
        let f2 = b.add(&def(
            "do_exit",
            Body::Func {
                proto,
                linkage: Linkage::Static,
            },
        ));
        let btf = Arc::new(Btf::parse(&b.to_bytes(Endian::Little).unwrap()).unwrap());
        let k = KernelBtf::new("vmlinux", btf);
        let expected = [
            (Kind::Func, "do_exit", Some(f)),
            (Kind::Typedef, "do_exit", Some(td)),
            (Kind::Func, "do_exi", None),
            (Kind::Func, "do_exit_", None),
            (Kind::Int, "int", Some(int)),
            (Kind::Struct, "int", None),
        ];
        assert_ne!(Some(f2), expected[0].2);
        // The first lookups scan; then the index is built and answers alike.
        for round in 0..3 {
            for (kind, name, id) in expected {
                assert_eq!(k.find(kind, name), id, "{kind:?} {name}, round {round}");
            }
            assert_eq!(k.is_indexed(), round > 0, "round {round}");
        }
    }
}
