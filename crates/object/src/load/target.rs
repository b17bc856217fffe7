//! A kernel BTF (vmlinux or a module's split BTF) owned together with its
//! indexes, so a long-lived loader parses and indexes it once: each index is
//! built on the first lookup that needs it, not before, and holds no borrow
//! of the BTF.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use corex_btf::{Btf, Kind, NameIndex, TypeId};

use super::exact_index::ExactIndex;
use crate::core::Target;
use crate::Object;

/// Kind numbers an exact lookup can ask for (BTF's kind field has 5 bits).
const KIND_SLOTS: usize = 32;

/// A kernel BTF and its lazily built indexes.
pub struct KernelBtf {
    name: String,
    btf: Arc<Btf>,
    /// Per kind number, its own types of that kind by exact name: built on
    /// the first exact lookup of that kind.
    exact: [OnceLock<ExactIndex>; KIND_SLOTS],
    /// Exact indexes built so far.
    exact_builds: AtomicU32,
    /// Every named type (a split BTF's base's included), for CO-RE.
    core: OnceLock<NameIndex>,
    /// Whether a CO-RE plan has been made against it.
    relocated_against: AtomicBool,
}

impl KernelBtf {
    /// `btf` under `name` (`vmlinux`, or the module's name). Nothing is
    /// indexed yet.
    pub fn new(name: impl Into<String>, btf: Arc<Btf>) -> KernelBtf {
        KernelBtf {
            name: name.into(),
            btf,
            exact: std::array::from_fn(|_| OnceLock::new()),
            exact_builds: AtomicU32::new(0),
            core: OnceLock::new(),
            relocated_against: AtomicBool::new(false),
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

    /// The first type (in id order) of kind `kind` called exactly `name`
    /// among this BTF's own types (a module's, not its base's): libbpf's
    /// `btf__find_by_name_kind_own`. Answered by an index of this BTF's own
    /// types of `kind`, built once, on the first lookup of that kind, in one
    /// pass that reads only those types' names (see [`is_indexed`]).
    ///
    /// [`is_indexed`]: KernelBtf::is_indexed
    pub fn find(&self, kind: Kind, name: &str) -> Option<TypeId> {
        if name.is_empty() {
            return None;
        }
        self.exact[kind as usize]
            .get_or_init(|| {
                self.exact_builds.fetch_add(1, Ordering::Relaxed);
                ExactIndex::build(&self.btf, kind)
            })
            .find(&self.btf, name.as_bytes())
    }

    /// Whether exact lookups of `kind` have an index (one was made).
    pub fn is_indexed(&self, kind: Kind) -> bool {
        self.exact[kind as usize].get().is_some()
    }

    /// How many exact-lookup indexes have been built: at most one per kind
    /// looked up, whatever the number of lookups.
    pub fn exact_index_builds(&self) -> u32 {
        self.exact_builds.load(Ordering::Relaxed)
    }

    /// How many types the exact index of `kind` holds, if it was built.
    pub fn indexed_types(&self, kind: Kind) -> Option<usize> {
        self.exact[kind as usize].get().map(ExactIndex::len)
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
        self.core.get_or_init(|| NameIndex::new(&self.btf))
    }

    /// Whether [`KernelBtf::core_target`] now shares a full index (built
    /// by an earlier plan).
    pub fn has_core_index(&self) -> bool {
        self.core.get().is_some()
    }
}

impl std::fmt::Debug for KernelBtf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelBtf")
            .field("name", &self.name)
            .field("types", &self.btf.type_count())
            .field("exact_indexes", &self.exact_index_builds())
            .field("core_indexed", &self.has_core_index())
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
        // One index per kind looked up, built by its first lookup.
        assert_eq!(k.exact_index_builds(), 0);
        for round in 0..3 {
            for (kind, name, id) in expected {
                assert_eq!(k.find(kind, name), id, "{kind:?} {name}, round {round}");
            }
            assert_eq!(k.exact_index_builds(), 4, "round {round}");
        }
        assert_eq!(k.indexed_types(Kind::Func), Some(2));
        assert_eq!(k.indexed_types(Kind::Typedef), Some(1));
        assert!(k.is_indexed(Kind::Struct) && !k.is_indexed(Kind::Var));
        assert_eq!(k.find(Kind::Var, ""), None);
        assert!(!k.is_indexed(Kind::Var));
    }
}
