//! Unique C names: the second struct `foo` is written `foo___2`
//! (libbpf's `btf_dump_resolve_name` and `btf_dump_name_dups`).
//!
//! Struct, union, enum and fwd tags share one namespace; typedef names and
//! enumerators share another. A type's name is settled the first time it is
//! written, so suffixes follow the order of output. Enumerators are counted
//! each time their enum is written.

use std::collections::HashMap;

use crate::btf::{Btf, TypeId};
use crate::kind::Kind;

/// libbpf builds suffixed names in a 256-byte buffer.
const MAX_NAME_LEN: usize = 255;

/// Which of libbpf's two name maps a name is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Namespace {
    /// struct, union, enum and fwd tags (and, oddly, integer names).
    Tags,
    /// typedef names and enumerators.
    Idents,
}

/// A name to write: one from the BTF, or a suffixed one kept in [`Names`].
#[derive(Clone, Copy, Debug)]
pub(super) enum Name<'a> {
    /// As stored in the BTF.
    Plain(&'a str),
    /// Index into [`Names::suffixed`].
    Suffixed(u32),
}

/// Name counts and each type's settled name.
pub(super) struct Names<'a> {
    tags: HashMap<&'a str, usize>,
    idents: HashMap<&'a str, usize>,
    /// Per type id: 0 unsettled, 1 the plain name, `n + 2` `suffixed[n]`.
    settled: Vec<u32>,
    /// Per type id: its name as stored, once looked up.
    raw: Vec<Option<&'a str>>,
    suffixed: Vec<Vec<u8>>,
}

impl<'a> Names<'a> {
    pub(super) fn new(type_count: usize) -> Names<'a> {
        // Kernels have about one tag per 4 types and one identifier per 2.
        Names {
            tags: HashMap::with_capacity(type_count / 4),
            idents: HashMap::with_capacity(type_count / 2),
            settled: vec![0; type_count],
            raw: vec![None; type_count],
            suffixed: Vec::new(),
        }
    }

    /// Counts one more use of `name`, returning how many there have been.
    pub(super) fn count(&mut self, ns: Namespace, name: &'a str) -> usize {
        let map = match ns {
            Namespace::Tags => &mut self.tags,
            Namespace::Idents => &mut self.idents,
        };
        let n = map.entry(name).or_insert(0);
        *n += 1;
        *n
    }

    /// The unique name of type `id`, settling it on first use.
    pub(super) fn resolve(&mut self, btf: &'a Btf, id: TypeId, ns: Namespace) -> Name<'a> {
        let t = btf.ty(id);
        if t.name_off() == 0 {
            return Name::Plain("");
        }
        let slot = id.0 as usize;
        match self.settled.get(slot).copied() {
            None | Some(1) => return Name::Plain(self.raw(btf, id)),
            Some(0) => {}
            Some(n) => return Name::Suffixed(n - 2),
        }
        let name = self.raw(btf, id);
        let never_clash = t.kind() == Kind::Fwd || (t.kind() == Kind::Enum && t.vlen() == 0);
        if !never_clash {
            let dups = self.count(ns, name);
            if dups > 1 {
                let mut s = format!("{name}___{dups}").into_bytes();
                s.truncate(MAX_NAME_LEN);
                self.suffixed.push(s);
                let index = (self.suffixed.len() - 1) as u32;
                self.settled[slot] = index + 2;
                return Name::Suffixed(index);
            }
        }
        self.settled[slot] = 1;
        Name::Plain(name)
    }

    /// The name of type `id` as stored in the BTF.
    pub(super) fn raw(&mut self, btf: &'a Btf, id: TypeId) -> &'a str {
        match self.raw.get_mut(id.0 as usize) {
            Some(Some(name)) => name,
            Some(slot) => slot.insert(btf.ty(id).name()),
            None => "",
        }
    }

    /// The bytes of `name`.
    pub(super) fn bytes(&self, name: Name<'a>) -> &[u8] {
        match name {
            Name::Plain(s) => s.as_bytes(),
            Name::Suffixed(i) => self.suffixed.get(i as usize).map_or(&[], Vec::as_slice),
        }
    }
}
