//! Checkers: the host decides, from what the guest ran and printed, whether a
//! variant is ok, unsupported by the kernel (with the reason), or a failure.

use serde::Serialize;
use serde_json::Value;

use crate::kernels::Feature;
use crate::protocol::{Exec, Run, Stdout};
use crate::variants::{Scenario, Variant};

/// A row's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As expected.
    Ok,
    /// The kernel lacks what the variant needs, as the kernel table says.
    Unsupported,
    /// Anything else.
    Fail,
}

/// A checker's decision, with the counts the matrix shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The outcome.
    pub status: Status,
    /// Items seen in the guest (events, relocations, lines, types).
    pub events: u64,
    /// Items expected.
    pub expected: u64,
    /// Why, unless ok.
    pub reason: Option<String>,
}

impl Verdict {
    /// Ok with counts.
    pub fn ok(events: u64, expected: u64) -> Self {
        Verdict {
            status: Status::Ok,
            events,
            expected,
            reason: None,
        }
    }

    /// A failure.
    pub fn fail(reason: impl Into<String>) -> Self {
        Verdict {
            status: Status::Fail,
            events: 0,
            expected: 0,
            reason: Some(reason.into()),
        }
    }

    /// Unsupported by the kernel.
    pub fn unsupported(reason: impl Into<String>) -> Self {
        Verdict {
            status: Status::Unsupported,
            reason: Some(reason.into()),
            ..Verdict::fail("")
        }
    }
}

/// What a checker sees.
pub struct Check<'a> {
    /// The kernel table's features; `None` for the running kernel, which is judged by
    /// what it shows.
    pub features: Option<&'a [Feature]>,
    /// The scenario the guest ran in.
    pub scenario: Scenario,
    /// The run under test.
    pub guest: &'a Run,
    /// The same arguments run on the host against the extracted BTF, if the row has one.
    pub reference: Option<&'a Run>,
}

/// A variant's checker: a function, or a closure holding what the row expects.
pub type Checker = Box<dyn Fn(&Check) -> Verdict + Send + Sync>;

/// Judges one row: the failures every variant shares (no result, unreadable output,
/// timeout, a failed workload, a failed reference run), then the variant's checker.
pub fn judge(
    variant: &Variant,
    features: Option<&[Feature]>,
    scenario: Scenario,
    guest: Result<&Run, &str>,
    reference: Option<Result<&Run, &str>>,
) -> Verdict {
    let guest = match guest {
        Ok(run) => run,
        Err(why) => return Verdict::fail(why),
    };
    if guest.timed_out {
        return Verdict::fail(format!(
            "corex did not finish in {} s and was killed",
            variant.timeout_secs
        ));
    }
    if let Some(e) = guest.execs.iter().find(|e| e.status != 0) {
        return Verdict::fail(format!(
            "workload command `{}` exited {}",
            e.argv.join(" "),
            e.status
        ));
    }
    let reference = match reference {
        Some(Ok(run)) => Some(run),
        Some(Err(why)) => return Verdict::fail(format!("host reference run: {why}")),
        None => None,
    };
    (variant.check)(&Check {
        features,
        scenario,
        guest,
        reference,
    })
}

fn exited(run: &Run, who: &str) -> String {
    format!("corex exited {} {who}: {}", run.exit, run.stderr_line())
}

/// The reference run, which must have succeeded, or the failure to report.
fn good_reference<'a>(c: &Check<'a>) -> Result<&'a Run, Verdict> {
    match c.reference {
        None => Err(Verdict::fail("this checker needs a host reference run")),
        Some(r) if r.exit > 1 => Err(Verdict::fail(exited(r, "on the host"))),
        Some(r) => Ok(r),
    }
}

/// For commands that must exit 0: the reference run, or the failure to report.
fn both_succeeded<'a>(c: &Check<'a>) -> Result<&'a Run, Verdict> {
    let host = good_reference(c)?;
    if c.guest.exit != 0 {
        return Err(Verdict::fail(exited(c.guest, "in the guest")));
    }
    Ok(host)
}

fn full(run: &Run) -> Result<&[u8], Verdict> {
    match &run.stdout {
        Stdout::Full(data) => Ok(data),
        Stdout::Digest(_) => Err(Verdict::fail(
            "this checker reads the whole output: set the row's capture to full",
        )),
    }
}

/// Standard output identical to the host's reference (compared by digest).
pub fn same_dump(c: &Check) -> Verdict {
    let host = match both_succeeded(c) {
        Ok(r) => r,
        Err(v) => return v,
    };
    let (g, h) = (c.guest.stdout.digest(), host.stdout.digest());
    if g == h {
        Verdict::ok(g.lines, h.lines)
    } else {
        Verdict {
            events: g.lines,
            expected: h.lines,
            ..Verdict::fail(format!(
                "output differs from the host's: {} lines, {} bytes, sha256 {} here; {} lines, {} bytes, sha256 {} on the host",
                g.lines, g.bytes, &g.sha256[..g.sha256.len().min(16)],
                h.lines, h.bytes, &h.sha256[..h.sha256.len().min(16)]
            ))
        }
    }
}

fn relocations(data: &[u8], side: &str) -> Result<Vec<Value>, Verdict> {
    let doc: Value = serde_json::from_slice(data)
        .map_err(|e| Verdict::fail(format!("corex reloc's JSON {side} does not parse: {e}")))?;
    match doc.get("relocations") {
        Some(Value::Array(list)) => Ok(list.clone()),
        _ => Err(Verdict::fail(format!(
            "corex reloc's JSON {side} has no \"relocations\" list"
        ))),
    }
}

fn describe_relocation(r: &Value) -> String {
    let s = |k: &str| r.get(k).map_or(String::from("?"), |v| v.to_string());
    format!(
        "prog {} insn {} {} {}",
        s("program"),
        s("insn"),
        s("kind"),
        s("local")
    )
}

/// `corex reloc --format json`: every decision (target, result, old and new values,
/// reason) identical to the host's against the extracted BTF; exit statuses equal.
pub fn same_relocations(c: &Check) -> Verdict {
    let host = match good_reference(c) {
        Ok(r) => r,
        Err(v) => return v,
    };
    if c.guest.exit > 1 {
        return Verdict::fail(exited(c.guest, "in the guest"));
    }
    let lists = full(c.guest)
        .and_then(|g| relocations(g, "here"))
        .and_then(|g| Ok((g, relocations(full(host)?, "on the host")?)));
    let (guest, host_list) = match lists {
        Ok(pair) => pair,
        Err(v) => return v,
    };
    let (events, expected) = (guest.len() as u64, host_list.len() as u64);
    let counted = |v: Verdict| Verdict {
        events,
        expected,
        ..v
    };
    if let Some((i, (g, h))) = guest
        .iter()
        .zip(&host_list)
        .enumerate()
        .find(|(_, (g, h))| g != h)
    {
        let fields: Vec<String> = h
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| g.get(k.as_str()) != Some(v))
            .map(|(k, v)| {
                format!(
                    "{k} {} here, {v} on the host",
                    g.get(k.as_str()).unwrap_or(&Value::Null)
                )
            })
            .collect();
        return counted(Verdict::fail(format!(
            "relocation #{i} ({}) differs: {}",
            describe_relocation(h),
            fields.join("; ")
        )));
    }
    if events != expected {
        return counted(Verdict::fail(format!(
            "{events} relocations here, {expected} on the host"
        )));
    }
    if c.guest.exit != host.exit {
        return counted(Verdict::fail(format!(
            "corex exited {} here, {} on the host, with the same relocations",
            c.guest.exit, host.exit
        )));
    }
    Verdict::ok(events, expected)
}

/// Decides a feature the kernel table speaks of, from whether the kernel showed it:
/// `None` to go on checking, or the verdict (unsupported, or a table that is wrong).
pub fn feature_gate(
    features: Option<&[Feature]>,
    feature: Feature,
    present: bool,
    absence: &str,
) -> Option<Verdict> {
    let expected = features.map(|f| f.contains(&feature));
    match (expected, present) {
        (Some(true) | None, true) => None,
        (_, false) => Some(missing_feature(features, feature, absence)),
        (Some(false), true) => Some(Verdict::fail(format!(
            "the kernel table (xtask/src/kernels.rs) says no {} but the kernel has it",
            feature.name()
        ))),
    }
}

/// The kernel showed it lacks `feature` (`absence` says how): unsupported, unless the
/// kernel table says it has it.
pub fn missing_feature(features: Option<&[Feature]>, feature: Feature, absence: &str) -> Verdict {
    if features.is_some_and(|f| f.contains(&feature)) {
        Verdict::fail(format!(
            "the kernel table (xtask/src/kernels.rs) expects {} but {absence}",
            feature.name()
        ))
    } else {
        Verdict::unsupported(format!("{}: {absence}", feature.name()))
    }
}

/// corex's words when something needs the kernel's own BTF and it is hidden.
const NO_KERNEL_BTF: &str = "vmlinux BTF is not available";

/// The first line of `run`'s standard error holding `text`, trimmed.
fn stderr_line_with(run: &Run, text: &str) -> Option<String> {
    String::from_utf8_lossy(&run.stderr)
        .lines()
        .find(|l| l.contains(text))
        .map(|l| l.trim().to_string())
}

/// corex refused something that needs one of `needs` (feature, the text corex says
/// when the kernel lacks it): unsupported, or FAIL where the table says the kernel has
/// it or corex said none of the texts.
fn refused_for_a_feature(c: &Check, needs: &[(Feature, &str)]) -> Verdict {
    let said = needs
        .iter()
        .find_map(|&(feature, text)| Some((feature, stderr_line_with(c.guest, text)?)));
    match said {
        Some((feature, line)) => missing_feature(c.features, feature, &line),
        None => Verdict::fail(format!(
            "refused for none of the reasons the row allows: {}",
            c.guest.stderr_line()
        )),
    }
}

/// The whole standard output of a `what` run (a tracer) that exited 0, or the failure.
fn output_of_success<'a>(c: &Check<'a>, what: &str) -> Result<&'a [u8], Verdict> {
    if c.guest.exit != 0 {
        return Err(Verdict::fail(format!(
            "{what} exited {}: {}",
            c.guest.exit,
            c.guest.stderr_line()
        )));
    }
    full(c.guest)
}

/// Judges each workload exec of a tracer's run with `judge_one` (`Err` says what is
/// wrong with that exec's report): ok when all are right, FAIL naming every wrong one
/// or when the row ran no workload.
fn per_exec(c: &Check, mut judge_one: impl FnMut(&Exec) -> Result<(), String>) -> Verdict {
    let expected = c.guest.execs.len() as u64;
    if expected == 0 {
        return Verdict::fail("the row ran no workload: nothing was checked");
    }
    let problems: Vec<String> = c
        .guest
        .execs
        .iter()
        .filter_map(|e| judge_one(e).err())
        .collect();
    let matched = expected - problems.len() as u64;
    if problems.is_empty() {
        Verdict::ok(matched, expected)
    } else {
        Verdict {
            events: matched,
            expected,
            ..Verdict::fail(problems.join("; "))
        }
    }
}

/// A run that needs the kernel's own BTF (tp_btf/fentry attach targets, kfuncs,
/// typed ksyms: ids only the running kernel's BTF gives; `--btf` serves CO-RE alone,
/// as libbpf's `btf_custom_path` does) in a scenario that hides it: it must have been
/// refused (`worked` false) in corex's words, and is then unsupported.
fn needs_hidden_kernel_btf(c: &Check, worked: bool) -> Verdict {
    if worked {
        return Verdict::fail(
            "worked with the kernel's BTF hidden, though it needs the kernel's own BTF",
        );
    }
    match stderr_line_with(c.guest, NO_KERNEL_BTF) {
        Some(line) => Verdict::unsupported(format!(
            "needs the kernel's own BTF, hidden in this scenario: {line}"
        )),
        None => Verdict::fail(format!(
            "refused without saying {NO_KERNEL_BTF:?}: {}",
            c.guest.stderr_line()
        )),
    }
}

/// `corex btf dump --kind enum64`: the same types as the host's, present exactly on
/// kernels that know `BTF_KIND_ENUM64`.
pub fn enum64_types(c: &Check) -> Verdict {
    let host = match both_succeeded(c) {
        Ok(r) => r,
        Err(v) => return v,
    };
    let count = |data: &[u8]| {
        data.split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"["))
            .count() as u64
    };
    let (guest, host_out) = match full(c.guest).and_then(|g| Ok((g, full(host)?))) {
        Ok(pair) => pair,
        Err(v) => return v,
    };
    let (events, expected) = (count(guest), count(host_out));
    if guest != host_out {
        return Verdict {
            events,
            expected,
            ..Verdict::fail(format!(
                "ENUM64 types differ from the host's: {events} here, {expected} on the host"
            ))
        };
    }
    let absence = "no ENUM64 type in the kernel's BTF (the kind came in Linux 6.0)";
    feature_gate(c.features, Feature::BtfEnum64, events > 0, absence)
        .unwrap_or(Verdict::ok(events, expected))
}

/// With `/sys/kernel/btf` hidden and no `--btf`, corex fails and names the missing file.
pub fn kernel_btf_missing(c: &Check) -> Verdict {
    const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";
    let message = c.guest.stderr_line();
    if c.guest.exit == 0 {
        Verdict::fail(format!(
            "corex succeeded with {KERNEL_BTF} hidden: the scenario did not hide it"
        ))
    } else if message.contains(KERNEL_BTF) {
        Verdict::ok(0, 0)
    } else {
        Verdict::fail(format!(
            "corex failed without naming {KERNEL_BTF}: {message:?}"
        ))
    }
}

mod execsnoop;
mod load;
mod module;
mod probe;
mod trace;

pub use execsnoop::{traced, ModeNeeds};
pub use load::{loaded, LoadExpect};
pub use module::{module_btf_ran, MODULE_BTF_NEEDS};
pub use probe::probe_findings;
pub use trace::exec_pids_traced;

#[cfg(test)]
mod load_tests;
#[cfg(test)]
mod tests;
