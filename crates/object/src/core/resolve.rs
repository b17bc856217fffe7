//! Resolving one CO-RE record against a target: candidate search (cached and
//! pruned), matching every candidate, ambiguity checks, the no-match case
//! (`bpf_core_resolve_relo` + `bpf_core_calc_relo_insn`).

use std::collections::HashMap;

use corex_btf::{Btf, CoreRelo, TypeId};

use super::calc::{calc_relo, spec_offset, Fixup};
use super::candidates::{CandidateCache, Target};
use super::format::{format_spec, type_desc, type_name};
use super::kind::RelocKind;
use super::matching::{match_candidate_with, CandidateMatch, Mismatch};
use super::member::MemberIndex;
use super::spec::parse_spec;
use super::work::{Matcher, Stop, MAX_RELO_STEPS, MAX_TOTAL_STEPS};
use crate::error::Error;

/// Everything decided about one relocation record.
#[derive(Debug)]
#[non_exhaustive]
pub struct Resolution {
    /// libbpf's name of the kind (`unknown` for numbers past 12).
    pub kind: &'static str,
    /// The local spec as libbpf prints it after `<kind> ` (or, when the
    /// access string cannot be resolved, `[id] kind name + access`).
    pub local: String,
    /// The first matching candidate's spec, as libbpf prints it in its
    /// `matching candidate #N` line.
    pub target: Option<String>,
    /// That candidate's position in the (pruned) candidate list.
    pub candidate: Option<usize>,
    /// That candidate's type id in the target (the root of its spec).
    pub target_id: Option<TypeId>,
    /// The fixup, or why the relocation fails.
    pub result: Result<Fixup, Error>,
    /// Steps the matching took (at most [`MAX_RELO_STEPS`](super::MAX_RELO_STEPS)).
    pub work: u64,
}

/// Resolves relocation records of one object against one target, keeping
/// libbpf's per-object candidate cache. Use one per (object, target) pair.
///
/// Matching is bounded: one relocation may take [`MAX_RELO_STEPS`] steps and
/// all of them together [`MAX_TOTAL_STEPS`]; past either, a relocation
/// fails with [`Error::WorkLimit`].
///
/// [`MAX_RELO_STEPS`]: super::MAX_RELO_STEPS
/// [`MAX_TOTAL_STEPS`]: super::MAX_TOTAL_STEPS
pub struct Relocator<'t> {
    target: &'t Target<'t>,
    cache: CandidateCache,
    /// Relocations resolved so far, by (root, access string, kind): `None`
    /// after the first (whose steps may include indexing the target's
    /// composites), the second's resolution after that.
    memo: HashMap<(TypeId, u32, u32), Option<Memo>>,
    /// The target's composites searched so far, by member name.
    members: MemberIndex<'t>,
    /// Steps taken by all relocations so far.
    work: u64,
}

impl<'t> Relocator<'t> {
    /// A relocator with an empty candidate cache.
    pub fn new(target: &'t Target<'t>) -> Relocator<'t> {
        Relocator {
            target,
            cache: CandidateCache::new(),
            memo: HashMap::new(),
            members: MemberIndex::default(),
            work: 0,
        }
    }

    /// Steps taken by all relocations so far.
    pub fn work(&self) -> u64 {
        self.work
    }

    /// Computes the fixup for `relo`, whose types and strings are in `local`.
    pub fn resolve(&mut self, local: &Btf, relo: &CoreRelo) -> Resolution {
        let left = MAX_TOTAL_STEPS.saturating_sub(self.work);
        let budget = left.min(MAX_RELO_STEPS);
        let key = (relo.type_id, relo.access_str_off, relo.kind);
        if let Some(res) = self.recall(key, budget) {
            self.work = self.work.saturating_add(res.work);
            return res;
        }
        let mut m = Matcher::new(budget);
        let candidates = self.cache.peek(relo.type_id).map(<[TypeId]>::to_vec);
        let mut res = self.resolve_with(&mut m, local, relo);
        res.work = m.used();
        self.work = self.work.saturating_add(res.work);
        self.remember(key, candidates, &res);
        if matches!(res.result, Err(Error::WorkLimit { .. })) {
            let object = left < MAX_RELO_STEPS;
            res.result = Err(Error::WorkLimit {
                steps: if object {
                    MAX_TOTAL_STEPS
                } else {
                    MAX_RELO_STEPS
                },
                object,
            });
        }
        res
    }

    /// The resolution of an earlier record with the same root, access
    /// string and kind, when the candidates it was matched against are
    /// still those of the cache and its steps fit in `budget`: the same
    /// result, spec texts and candidate number, and the cache pruned as
    /// that resolution pruned it (relocations repeat a few accesses many
    /// times).
    fn recall(&mut self, key: (TypeId, u32, u32), budget: u64) -> Option<Resolution> {
        let memo = self.memo.get(&key)?.as_ref()?;
        if memo.work > budget || self.cache.peek(key.0) != Some(&memo.before[..]) {
            return None;
        }
        if memo.after != memo.before {
            self.cache.put(key.0, memo.after.clone());
        }
        memo.resolution.clone_ok()
    }

    /// Remembers a successful resolution made against `before` (the cached
    /// candidates before it; `None`: not searched yet, nothing remembered),
    /// unless it is the first of its key: a later one takes the same steps
    /// only once the composites on its path are indexed, which the first
    /// one may have done.
    fn remember(&mut self, key: (TypeId, u32, u32), before: Option<Vec<TypeId>>, res: &Resolution) {
        let Some(slot) = self.memo.get_mut(&key) else {
            self.memo.insert(key, None);
            return;
        };
        let (Some(before), Some(resolution)) = (before, res.clone_ok()) else {
            return;
        };
        let Some(after) = self.cache.peek(key.0).map(<[TypeId]>::to_vec) else {
            return;
        };
        *slot = Some(Memo {
            before,
            after,
            work: resolution.work,
            resolution,
        });
    }

    /// [`Relocator::resolve`] within `m`'s budget.
    fn resolve_with(&mut self, m: &mut Matcher, local: &Btf, relo: &CoreRelo) -> Resolution {
        let kind_name = RelocKind::name_of(relo.kind);
        let fail = |local: String, e: Error| Resolution {
            kind: kind_name,
            local,
            target: None,
            candidate: None,
            target_id: None,
            result: Err(e),
            work: 0,
        };
        let access = local.str_at(relo.access_str_off);
        if relo.type_id.0 >= local.type_count() || relo.type_id == TypeId::VOID {
            let desc = format!("[{}] <unknown> + {}", relo.type_id, access.unwrap_or("<?>"));
            return fail(
                desc,
                Error::NoSuchLocalType {
                    id: relo.type_id.0,
                    count: local.type_count(),
                },
            );
        }
        let root_desc = || {
            format!(
                "{} + {}",
                type_desc(local, relo.type_id),
                access.unwrap_or("<?>")
            )
        };
        let Some(kind) = RelocKind::from_u32(relo.kind) else {
            return fail(root_desc(), Error::UnknownKind(relo.kind));
        };
        let spec = parse_spec(local, relo.type_id, access, kind);
        let local_text = spec.as_ref().map_or_else(|_| root_desc(), format_spec);
        if kind != RelocKind::TypeIdLocal && local.ty(relo.type_id).name().is_empty() {
            return fail(
                local_text,
                Error::AnonymousRoot {
                    root: type_desc(local, relo.type_id),
                },
            );
        }
        let spec = match spec {
            Ok(s) => s,
            Err(e) => return fail(local_text, e),
        };
        if kind == RelocKind::TypeIdLocal {
            let id = u64::from(relo.type_id.0);
            let fixup = Fixup {
                kind,
                orig: id,
                new: id,
                poison: false,
                validate: false,
                orig_size: 0,
                new_size: 0,
                resize_forbidden: None,
                reason: None,
            };
            return Resolution {
                kind: kind_name,
                local: local_text,
                target: None,
                candidate: None,
                target_id: None,
                result: Ok(fixup),
                work: 0,
            };
        }
        let cands = self.cache.take(self.target, local, relo.type_id);
        let mut res = Resolution {
            kind: kind_name,
            local: local_text,
            target: None,
            candidate: None,
            target_id: None,
            result: Err(Error::UnknownKind(relo.kind)),
            work: 0,
        };
        let matched = self.match_all(m, &spec, &cands, &mut res);
        match matched {
            Some(kept) if !kept.is_empty() => self.cache.put(relo.type_id, kept),
            _ => self.cache.put(relo.type_id, cands),
        }
        res
    }

    /// Matches every candidate (libbpf's order and ambiguity rules), fills
    /// in `res`, and returns the candidates that matched; `None` when the
    /// relocation failed on the way.
    fn match_all(
        &mut self,
        m: &mut Matcher,
        spec: &super::spec::Spec<'_>,
        cands: &[TypeId],
        res: &mut Resolution,
    ) -> Option<Vec<TypeId>> {
        let (local, root, kind) = (spec.btf, spec.root, spec.kind);
        let targ_btf = self.target.btf();
        let mut kept: Vec<TypeId> = Vec::new();
        let mut best: Option<(Fixup, super::spec::Spec<'_>, usize)> = None;
        // The first candidate's mismatch, and how many did not match.
        let mut first_mismatch: Option<Mismatch> = None;
        let mut mismatches = 0;
        for (i, &cand) in cands.iter().enumerate() {
            let matched = m
                .step()
                .and_then(|()| match_candidate_with(m, &mut self.members, spec, targ_btf, cand));
            let cand_spec = match matched {
                Err(Stop::Limit(why)) => {
                    res.result = Err(Error::CandidateError {
                        candidate: type_desc(targ_btf, cand),
                        why,
                    });
                    return None;
                }
                Err(Stop::Work) => {
                    res.result = Err(Error::WorkLimit {
                        steps: 0,
                        object: false,
                    });
                    return None;
                }
                Ok(CandidateMatch::NoMatch(why)) => {
                    first_mismatch.get_or_insert(why);
                    mismatches += 1;
                    continue;
                }
                Ok(CandidateMatch::Match(s)) => s,
            };
            let fx = match calc_relo(kind, spec, Some(&cand_spec)) {
                Ok(f) => f,
                Err(e) => {
                    if best.is_none() {
                        res.target = Some(format_spec(&cand_spec));
                        res.candidate = Some(i);
                        res.target_id = Some(cand);
                    }
                    res.result = Err(e);
                    return None;
                }
            };
            match &best {
                None => {
                    res.target = Some(format_spec(&cand_spec));
                    res.candidate = Some(i);
                    res.target_id = Some(cand);
                    best = Some((fx, cand_spec, cand.0 as usize));
                }
                Some((first, first_spec, first_id)) => {
                    let first_desc = type_desc(targ_btf, TypeId(*first_id as u32));
                    if cand_spec.bit_offset != first_spec.bit_offset {
                        res.result = Err(Error::OffsetAmbiguity {
                            local: type_name(local, root),
                            count: kept.len() + 1,
                            detail: format!(
                                "{first_desc} puts the field at offset {}, {} at offset {}",
                                spec_offset(first_spec),
                                type_desc(targ_btf, cand),
                                spec_offset(&cand_spec)
                            ),
                        });
                        return None;
                    }
                    if fx.poison != first.poison || fx.new != first.new {
                        let say = |f: &Fixup| {
                            if f.poison {
                                "failure".to_string()
                            } else {
                                format!("value {}", f.new)
                            }
                        };
                        res.result = Err(Error::DecisionAmbiguity {
                            local: type_name(local, root),
                            count: kept.len() + 1,
                            detail: format!(
                                "{first_desc} gives {}, {} gives {}",
                                say(first),
                                type_desc(targ_btf, cand),
                                say(&fx)
                            ),
                        });
                        return None;
                    }
                }
            }
            kept.push(cand);
        }
        res.result = match best {
            Some((fx, _, _)) => Ok(fx),
            None => calc_relo(kind, spec, None).map(|mut fx| {
                fx.reason = Some(no_match_reason(
                    local,
                    root,
                    cands,
                    first_mismatch.as_ref(),
                    mismatches,
                ));
                fx
            }),
        };
        Some(kept)
    }
}

/// A successful resolution and the candidate lists around it.
struct Memo {
    /// The cached candidates it was matched against.
    before: Vec<TypeId>,
    /// The cached candidates after it (pruned to those that matched).
    after: Vec<TypeId>,
    /// Its steps.
    work: u64,
    resolution: Resolution,
}

impl Resolution {
    /// A copy, for a resolution that succeeded (errors are not copied).
    fn clone_ok(&self) -> Option<Resolution> {
        Some(Resolution {
            kind: self.kind,
            local: self.local.clone(),
            target: self.target.clone(),
            candidate: self.candidate,
            target_id: self.target_id,
            result: Ok(self.result.as_ref().ok()?.clone()),
            work: self.work,
        })
    }
}

/// Why no candidate matched, in plain words (names escaped): the first
/// candidate's mismatch, and how many candidates did not match.
fn no_match_reason(
    local: &Btf,
    root: TypeId,
    cands: &[TypeId],
    first: Option<&Mismatch>,
    mismatches: usize,
) -> String {
    let t = local.ty(root);
    if cands.is_empty() {
        let kind = super::format::kind_str(t.kind());
        return format!(
            "{kind} {} does not exist on this kernel",
            corex_btf::printable(corex_btf::essential_name(t.name()))
        );
    }
    let first = first.map_or_else(String::new, Mismatch::to_string);
    match mismatches {
        0 | 1 => first,
        n => format!(
            "{first} (and {} other candidate type{} do not match either)",
            n - 1,
            if n == 2 { "" } else { "s" }
        ),
    }
}
