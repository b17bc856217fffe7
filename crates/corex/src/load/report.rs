//! What a load made of each map and program, for a failed load's report
//! and for `corex load`'s lines.

/// What became of one map or program in a load.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Not part of this load (a program not selected, a map not created by
    /// configuration or because the kernel lacks global data).
    NotSelected,
    /// The load stopped before reaching it.
    NotReached,
    /// It failed: the load's error is about it.
    Failed,
    /// It was made (created, reused from its pin, or loaded) with this
    /// kernel id, and released when the load failed (a reused pinned map
    /// stays pinned).
    Released {
        /// Its kernel id while it existed.
        id: u32,
    },
}

/// One map or program of a load.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemOutcome {
    /// Its name.
    pub name: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// What a failed load made of each map and program, in the order the
/// object declares them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadReport {
    /// The maps.
    pub maps: Vec<ItemOutcome>,
    /// The programs.
    pub programs: Vec<ItemOutcome>,
}
