//! Essential names (without a `___flavor` suffix) and an index by them.

use std::collections::HashMap;

use rustc_hash::FxHashSet;

use crate::btf::{Btf, TypeId};

/// The name without its CO-RE flavor suffix: `task_struct___old` gives
/// `task_struct`. The suffix starts at the last `___` that has a character
/// other than `_` on both sides, as libbpf decides.
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    if b.len() < 5 {
        return name;
    }
    for i in (0..=b.len() - 5).rev() {
        if b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
            return &name[..=i];
        }
    }
    name
}

/// All named types of a BTF (its base's included) grouped by essential name,
/// in id order. Built once per BTF, it answers "which types are called X".
///
/// The map is keyed with std's SipHash, so a hostile BTF full of colliding
/// names cannot make building it quadratic.
#[derive(Debug)]
pub struct NameIndex<'a> {
    by_name: HashMap<&'a str, Vec<TypeId>>,
}

impl<'a> NameIndex<'a> {
    /// Indexes every named type of `btf`.
    pub fn new(btf: &'a Btf) -> NameIndex<'a> {
        let mut by_name: HashMap<&'a str, Vec<TypeId>> =
            HashMap::with_capacity(btf.type_count() as usize / 2);
        for t in btf.types() {
            let name = t.name();
            if !name.is_empty() {
                by_name
                    .entry(essential_name(name))
                    .or_default()
                    .push(t.id());
            }
        }
        NameIndex { by_name }
    }

    /// Indexes only the types whose essential name is one of `wanted` (say,
    /// the local root types of an object's CO-RE relocations): one pass over
    /// the types with a small lookup set, several times faster than [`new`]
    /// for a kernel's BTF. Lookups of other names find nothing.
    ///
    /// [`new`]: NameIndex::new
    pub fn with_names<'w>(
        btf: &'a Btf,
        wanted: impl IntoIterator<Item = &'w str>,
    ) -> NameIndex<'a> {
        // Fx hashing of the few wanted names keeps the per-type check cheap;
        // the map only ever holds wanted names, so collisions stay bounded.
        let wanted: FxHashSet<&str> = wanted.into_iter().map(essential_name).collect();
        let mut by_name: HashMap<&'a str, Vec<TypeId>> = HashMap::new();
        for t in btf.types() {
            let essential = essential_name(t.name());
            if !essential.is_empty() && wanted.contains(essential) {
                by_name.entry(essential).or_default().push(t.id());
            }
        }
        NameIndex { by_name }
    }

    /// Ids of the types whose essential name is `essential`, in id order.
    pub fn get(&self, essential: &str) -> &[TypeId] {
        self.by_name.get(essential).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::essential_name;

    #[test]
    fn strips_the_last_flavor() {
        assert_eq!(essential_name("task_struct___old"), "task_struct");
        assert_eq!(essential_name("a___b___c"), "a___b");
        assert_eq!(essential_name("task_struct"), "task_struct");
        assert_eq!(essential_name("x____y"), "x____y");
        assert_eq!(essential_name("__x___y"), "__x");
        assert_eq!(essential_name("x___"), "x___");
        assert_eq!(essential_name("___y"), "___y");
    }
}
