//! The verifier log, rewritten where libbpf rewrites it
//! (`fixup_verifier_log`): when one of its last ten lines is the
//! verifier's `invalid func unknown#195896080` for a reachable poisoned
//! instruction, that line and the instruction line before it become the
//! relocation that poisoned it, with why it failed; for
//! `unknown#2001000NNN`, the map that was not created.

use std::fmt::Write as _;

use super::core_step::PoisonedRelo;
use super::fixups::MAP_POISON_BASE;
use super::maps_plan::{MapAdjustment, MapPlan};
use super::ProgramPlan;
use crate::insn::POISON_HELPER;

/// How many lines from the end libbpf looks at.
const LAST_LINES: usize = 10;

/// `N: (85) call unknown#IMM` → `(N, IMM)`.
fn poisoned_call(line: &str) -> Option<(usize, i64)> {
    let (insn, rest) = line.split_once(": (")?;
    let (_, rest) = rest.split_once(") call unknown#")?;
    let imm: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    Some((insn.trim().parse().ok()?, imm.parse().ok()?))
}

fn core_patch(insn: usize, relo: &PoisonedRelo) -> String {
    format!(
        "{insn}: <invalid CO-RE relocation>\n\
         failed to resolve CO-RE relocation <{}> {}: {} (relocation #{} of section '{}')\n",
        relo.kind,
        relo.local,
        relo.reason,
        relo.index,
        corex_btf::printable(&relo.section)
    )
}

fn map_patch(insn: usize, map: &MapPlan) -> String {
    let mut out = format!(
        "{insn}: <invalid BPF map reference>\nBPF map '{}' is referenced but wasn't created",
        corex_btf::printable(&map.name)
    );
    if map.adjustments.contains(&MapAdjustment::NoGlobalData) {
        out.push_str(" (this kernel has no global data maps)");
    } else {
        out.push_str(" (its creation was turned off)");
    }
    out.push('\n');
    out
}

/// `log` with libbpf's rewrite applied for `program`, whose maps are
/// `maps`; unchanged when no poisoned instruction is reported or the
/// reported one is not known.
pub fn rewrite_verifier_log(log: &str, program: &ProgramPlan, maps: &[MapPlan]) -> String {
    let lines: Vec<&str> = log.split_inclusive('\n').collect();
    for i in (0..lines.len()).rev().take(LAST_LINES) {
        let line = lines[i];
        let core = line == format!("invalid func unknown#{POISON_HELPER}\n");
        let map = line.starts_with("invalid func unknown#200100");
        if !core && !map {
            continue;
        }
        let Some(prev) = i.checked_sub(1) else {
            continue;
        };
        let Some((insn, imm)) = poisoned_call(lines[prev]) else {
            return log.to_owned();
        };
        let patch = if core {
            match program.poisoned.get(&insn) {
                Some(relo) => core_patch(insn, relo),
                None => return log.to_owned(),
            }
        } else {
            let index = imm - i64::from(MAP_POISON_BASE);
            match usize::try_from(index).ok().and_then(|m| maps.get(m)) {
                Some(m) => map_patch(insn, m),
                None => return log.to_owned(),
            }
        };
        let mut out = String::with_capacity(log.len() + patch.len());
        for l in &lines[..prev] {
            out.push_str(l);
        }
        out.push_str(&patch);
        for l in &lines[i + 1..] {
            let _ = write!(out, "{l}");
        }
        return out;
    }
    log.to_owned()
}
