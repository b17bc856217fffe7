//! Bounded, remembered matching. Hostile BTF (anonymous members nested in
//! anonymous members, function prototypes whose parameters are the previous
//! prototype, structs whose members repeat one type) makes the plain
//! recursive comparisons of libbpf exponential in the nesting depth. Here
//! every comparison counts steps against a budget, and the results of
//! comparisons already made for a relocation are remembered, so that each
//! pair of types is compared once: the work is polynomial in the size of
//! the types, and past the budget the relocation fails with
//! [`Error::WorkLimit`](crate::Error::WorkLimit) instead of running on.

use std::collections::HashMap;
use std::hash::Hash;

use corex_btf::TypeId;

/// Steps one relocation may take. Relocating a real object against a
/// kernel takes a few hundred per relocation at most.
pub const MAX_RELO_STEPS: u64 = 1 << 22;

/// Steps all the relocations of one [`Relocator`](super::Relocator) may
/// take together (a few seconds of matching at most).
pub const MAX_TOTAL_STEPS: u64 = 1 << 26;

/// Why a comparison stopped without a verdict.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A limit libbpf has too (nesting depth), in words.
    Limit(String),
    /// The step budget is spent.
    Work,
}

impl From<String> for Stop {
    fn from(why: String) -> Stop {
        Stop::Limit(why)
    }
}

/// The step budget and the remembered verdicts of one relocation.
#[derive(Debug)]
pub(crate) struct Matcher {
    used: u64,
    limit: u64,
    /// `types_are_compat(local, target, level)` verdicts.
    compat: HashMap<(TypeId, TypeId, i32), bool>,
    /// `types_match(local, target, behind_ptr, level)` verdicts.
    matches: HashMap<(TypeId, TypeId, bool, i32), bool>,
}

impl Matcher {
    /// A matcher that may take `limit` steps.
    pub fn new(limit: u64) -> Matcher {
        Matcher {
            used: 0,
            limit,
            compat: HashMap::new(),
            matches: HashMap::new(),
        }
    }

    /// Counts one step; fails once the budget is spent.
    pub fn step(&mut self) -> Result<(), Stop> {
        self.used += 1;
        if self.used > self.limit {
            return Err(Stop::Work);
        }
        Ok(())
    }

    /// Steps taken so far (the step that found the budget spent is not
    /// counted: at most the limit).
    pub fn used(&self) -> u64 {
        self.used.min(self.limit)
    }

    /// The remembered `types_are_compat` verdict, or `compute`'s.
    pub fn compat(
        &mut self,
        key: (TypeId, TypeId, i32),
        compute: impl FnOnce(&mut Matcher) -> Result<bool, Stop>,
    ) -> Result<bool, Stop> {
        self.remember(|m| &mut m.compat, key, compute)
    }

    /// The remembered `types_match` verdict, or `compute`'s.
    pub fn matches(
        &mut self,
        key: (TypeId, TypeId, bool, i32),
        compute: impl FnOnce(&mut Matcher) -> Result<bool, Stop>,
    ) -> Result<bool, Stop> {
        self.remember(|m| &mut m.matches, key, compute)
    }

    /// One step, then the verdict remembered under `key` in the table
    /// `table` picks, or `compute`'s (remembered for next time).
    fn remember<K: Eq + Hash>(
        &mut self,
        table: fn(&mut Matcher) -> &mut HashMap<K, bool>,
        key: K,
        compute: impl FnOnce(&mut Matcher) -> Result<bool, Stop>,
    ) -> Result<bool, Stop> {
        self.step()?;
        if let Some(&verdict) = table(self).get(&key) {
            return Ok(verdict);
        }
        let verdict = compute(self)?;
        table(self).insert(key, verdict);
        Ok(verdict)
    }
}
