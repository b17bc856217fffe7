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

/// What `session` made of each map and program; `culprit` failed.
pub(super) fn of_session(
    session: &super::Session<'_>,
    culprit: Option<super::Culprit>,
) -> LoadReport {
    use super::Culprit;
    let plan = session.plan;
    let maps = plan
        .maps
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let outcome = if let Some(made) = &session.maps[i] {
                Outcome::Released { id: made.id }
            } else if !m.autocreate {
                Outcome::NotSelected
            } else if matches!(culprit, Some(Culprit::Map(id)) if id.0 == i) {
                Outcome::Failed
            } else {
                Outcome::NotReached
            };
            ItemOutcome {
                name: m.name.clone(),
                outcome,
            }
        })
        .collect();
    let programs = session
        .object
        .programs
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.subprog)
        .map(|(index, p)| {
            let planned = plan.programs.iter().position(|x| x.program == index);
            let outcome = match planned {
                None if matches!(culprit, Some(Culprit::Deferred(d)) if d == index) => {
                    Outcome::Failed
                }
                None if session.is_deferred(index) => Outcome::NotReached,
                None => Outcome::NotSelected,
                Some(i) => match &session.programs[i] {
                    Some(made) => Outcome::Released { id: made.id },
                    None if matches!(culprit, Some(Culprit::Program(c)) if c == i) => {
                        Outcome::Failed
                    }
                    None => Outcome::NotReached,
                },
            };
            ItemOutcome {
                name: p.name.clone(),
                outcome,
            }
        })
        .collect();
    LoadReport { maps, programs }
}
