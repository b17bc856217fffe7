//! One pass over a BTF (a kernel's: 100,000 types and more) that finds the
//! types of a few wanted names, for CO-RE candidates ([`Target`]) and the
//! checks of `corex check` ([`Kernel`]) at once.
//!
//! A type's name is compared only when its kind is one some wanted name
//! accepts and its first four bytes fall in the bucket of a wanted name's
//! (for the rare wanted names shorter than that: its first byte starts
//! one); it is compared as bytes, in place in the string table (no UTF-8
//! check, no hashing of the whole name, no search for its end), so most of
//! a kernel's names are never compared.
//!
//! [`Target`]: crate::core::Target
//! [`Kernel`]: crate::check::Kernel

use corex_btf::{essential_name, Btf, Kind, TypeId};

/// How a wanted name matches a type's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameMatch {
    /// The name itself (`btf__find_by_name_kind`).
    Exact,
    /// The type's essential name ([`essential_name`]: `task_struct___old`
    /// counts as `task_struct`), as CO-RE candidates are found.
    Essential,
    /// Names that start with it (`btf_trace_` for any BTF tracepoint).
    Prefix,
}

/// A bit per kind number, for [`NameScan::want`].
pub(crate) fn kind_bit(kind: Kind) -> u32 {
    1 << (kind as u32)
}

/// One wanted name.
struct Wanted<'w> {
    name: &'w [u8],
    kinds: u32,
    how: NameMatch,
    /// Whether `name` is its own essential name.
    fixed: bool,
    /// The index [`NameScan::want`] returned.
    slot: usize,
}

/// The names one pass looks for.
#[derive(Default)]
pub(crate) struct NameScan<'w> {
    wanted: Vec<Wanted<'w>>,
}

/// What one pass found.
#[derive(Debug, Default)]
pub(crate) struct ScanResult {
    /// Per [`NameScan::want`] slot, the matching types in id order.
    pub found: Vec<Vec<TypeId>>,
    /// How many types of each kind number the BTF has (its base's included).
    pub kind_counts: [u32; 32],
}

impl<'w> NameScan<'w> {
    /// Asks for the types called `name` (as `how` says) of a kind in `kinds`
    /// (bits of [`kind_bit`]); returns the slot of [`ScanResult::found`]
    /// that lists them. An empty name finds nothing.
    pub fn want(&mut self, name: &'w str, kinds: u32, how: NameMatch) -> usize {
        let slot = self.wanted.len();
        self.wanted.push(Wanted {
            name: name.as_bytes(),
            kinds,
            how,
            fixed: essential_name(name) == name,
            slot,
        });
        slot
    }

    /// Reads `btf` (its base's types too) once.
    pub fn run(mut self, btf: &Btf) -> ScanResult {
        let mut result = ScanResult {
            found: vec![Vec::new(); self.wanted.len()],
            kind_counts: [0; 32],
        };
        self.wanted.retain(|w| !w.name.is_empty());
        let kinds = self.wanted.iter().fold(0, |k, w| k | w.kinds);
        // Names of HEAD bytes or more by the bucket of their head: a type's
        // name is compared only with those of its own head's bucket.
        let (mut long, short): (Vec<_>, Vec<_>) =
            self.wanted.into_iter().partition(|w| w.name.len() >= HEAD);
        long.sort_by_key(|w| bucket(w.name));
        let mut starts = vec![0u32; BUCKETS + 1];
        for w in &long {
            starts[bucket(w.name) + 1] += 1;
        }
        for b in 0..BUCKETS {
            starts[b + 1] += starts[b];
        }
        // Shorter names (rare) are compared after a first-byte test.
        let mut short_first = [false; 256];
        for w in &short {
            short_first[usize::from(w.name[0])] = true;
        }
        for t in btf.types() {
            let kind = t.kind();
            result.kind_counts[kind as usize] += 1;
            let off = t.name_off();
            if off == 0 || kinds & kind_bit(kind) == 0 {
                continue;
            }
            let name = raw_string(btf, off);
            let Some(&first) = name.first() else { continue };
            let b = bucket(name);
            let same_head = &long[starts[b] as usize..starts[b + 1] as usize];
            let short = if short_first[usize::from(first)] {
                short.as_slice()
            } else {
                &[]
            };
            for w in same_head.iter().chain(short) {
                if w.kinds & kind_bit(kind) != 0 && matches(name, w, || t.name()) {
                    result.found[w.slot].push(t.id());
                }
            }
        }
        result
    }
}

/// Wanted names at least this long are found through their first bytes.
const HEAD: usize = 4;
/// Buckets of heads.
const BUCKETS: usize = 1 << 12;

/// The bucket of the first [`HEAD`] bytes of `bytes` (zero-padded): a name
/// that starts with a wanted name of [`HEAD`] bytes or more is in its bucket.
fn bucket(bytes: &[u8]) -> usize {
    let mut head = [0u8; HEAD];
    let n = bytes.len().min(HEAD);
    head[..n].copy_from_slice(&bytes[..n]);
    // Fibonacci hashing: the top bits of a multiplication by 2^32/phi.
    (u32::from_le_bytes(head).wrapping_mul(0x9e37_79b1) >> (32 - BUCKETS.trailing_zeros())) as usize
}

/// Whether a name (`rest`: the string table from its start on) matches `w`;
/// `whole` reads the name itself, for the rare flavored names.
fn matches<'a>(rest: &[u8], w: &Wanted<'_>, whole: impl FnOnce() -> &'a str) -> bool {
    if !rest.starts_with(w.name) {
        return false;
    }
    let next = rest.get(w.name.len()).copied().unwrap_or(0);
    match w.how {
        NameMatch::Prefix => true,
        NameMatch::Exact => next == 0,
        // A name that is `w` itself has `w` as its essential name only if
        // `w` has no flavor (the essential name of `a___b___c` is `a___b`,
        // whose own is `a`).
        NameMatch::Essential if next == 0 => w.fixed,
        NameMatch::Essential => next == b'_' && essential_name(whole()).as_bytes() == w.name,
    }
}

/// The string-table bytes of `btf` (or its base) from `offset` on.
pub(crate) fn raw_string(btf: &Btf, offset: u32) -> &[u8] {
    match btf.base() {
        Some(base) if offset < base.strings_len() => raw_string(base, offset),
        base => {
            let own = offset - base.map_or(0, |b| b.strings_len());
            btf.own_string_bytes().get(own as usize..).unwrap_or(&[])
        }
    }
}

#[cfg(test)]
mod tests {
    use corex_btf::write::{BtfBuilder, MemberDef, TypeDef};
    use corex_btf::{essential_name, Btf, Kind, INT_SIGNED};

    use super::{kind_bit, NameMatch, NameScan};

    fn btf() -> Btf {
        let mut b = BtfBuilder::new();
        let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
        for name in [
            "task_struct",
            "task_struct___old",
            "task",
            "task_struct__x",
            "t",
            "t___a",
            "flv___a",
            "flv___a___z",
        ] {
            b.add(&TypeDef::structure(
                name,
                4,
                vec![MemberDef::new("x", int, 0)],
            ));
        }
        for name in ["task_struct", "btf_trace_sched_switch", "btf_trace_x"] {
            b.add(&TypeDef::typedef(name, int));
        }
        b.to_btf().unwrap()
    }

    fn names(btf: &Btf, ids: &[corex_btf::TypeId]) -> Vec<String> {
        ids.iter().map(|&id| btf.ty(id).name().to_owned()).collect()
    }

    #[test]
    fn exact_essential_and_prefix_matches_by_kind() {
        let btf = btf();
        let mut scan = NameScan::default();
        let exact = scan.want("task_struct", kind_bit(Kind::Struct), NameMatch::Exact);
        let essential = scan.want("task_struct", kind_bit(Kind::Struct), NameMatch::Essential);
        let any_kind = scan.want(
            "task_struct",
            kind_bit(Kind::Struct) | kind_bit(Kind::Typedef),
            NameMatch::Exact,
        );
        let prefix = scan.want("btf_trace_", kind_bit(Kind::Typedef), NameMatch::Prefix);
        let empty = scan.want("", kind_bit(Kind::Struct), NameMatch::Prefix);
        let none = scan.want("nothing", kind_bit(Kind::Struct), NameMatch::Exact);
        let one_byte = scan.want("t", kind_bit(Kind::Struct), NameMatch::Essential);
        let flavored = scan.want("flv___a", kind_bit(Kind::Struct), NameMatch::Essential);
        let one_prefix = scan.want("t", kind_bit(Kind::Struct), NameMatch::Prefix);
        let r = scan.run(&btf);
        assert_eq!(names(&btf, &r.found[exact]), ["task_struct"]);
        assert_eq!(
            names(&btf, &r.found[essential]),
            ["task_struct", "task_struct___old"]
        );
        assert_eq!(
            names(&btf, &r.found[any_kind]),
            ["task_struct", "task_struct"]
        );
        assert_eq!(
            names(&btf, &r.found[prefix]),
            ["btf_trace_sched_switch", "btf_trace_x"]
        );
        assert!(r.found[empty].is_empty() && r.found[none].is_empty());
        assert_eq!(names(&btf, &r.found[one_byte]), ["t", "t___a"]);
        // flv___a's own essential name is flv.
        assert_eq!(names(&btf, &r.found[flavored]), ["flv___a___z"]);
        assert_eq!(r.found[one_prefix].len(), 6);
        assert_eq!(r.kind_counts[Kind::Struct as usize], 8);
        assert_eq!(r.kind_counts[Kind::Typedef as usize], 3);
    }

    proptest::proptest! {
        /// Over names of `a`, `b` and `_` (every flavor-separator case),
        /// the scan finds exactly what comparing whole names finds.
        #[test]
        fn scan_agrees_with_whole_name_comparisons(
            types in proptest::collection::vec("[ab_]{1,8}", 1..12),
            wanted in proptest::collection::vec("[ab_]{1,6}", 1..6),
        ) {
            let mut b = BtfBuilder::new();
            let int = b.add(&TypeDef::int("int", 4, INT_SIGNED));
            for name in &types {
                b.add(&TypeDef::typedef(name.as_str(), int));
            }
            let btf = b.to_btf().unwrap();
            let mut scan = NameScan::default();
            let hows = [NameMatch::Exact, NameMatch::Essential, NameMatch::Prefix];
            let slots: Vec<(&str, NameMatch, usize)> = wanted
                .iter()
                .flat_map(|w| hows.map(|how| (w.as_str(), how)))
                .map(|(w, how)| (w, how, scan.want(w, kind_bit(Kind::Typedef), how)))
                .collect();
            let r = scan.run(&btf);
            for (w, how, slot) in slots {
                let expected: Vec<String> = btf
                    .types()
                    .filter(|t| t.kind() == Kind::Typedef)
                    .map(|t| t.name().to_owned())
                    .filter(|n| match how {
                        NameMatch::Exact => n == w,
                        NameMatch::Essential => essential_name(n) == w,
                        NameMatch::Prefix => n.starts_with(w),
                    })
                    .collect();
                proptest::prop_assert_eq!(names(&btf, &r.found[slot]), expected, "{:?} {}", how, w);
            }
        }
    }
}
