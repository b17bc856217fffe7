//! `corex load OBJ` rows: the object really loaded in the kernel (every program with a
//! kernel id, every map created), or refused exactly where and why it must be.

use serde_json::Value;

use super::{feature_gate, full, good_reference, Check, Verdict};
use crate::kernels::Feature;
use crate::variants::Scenario;

/// What loading an object must give.
#[derive(Clone, Copy, Debug)]
pub enum LoadExpect {
    /// Loads on every kernel.
    Loads,
    /// Refused on every kernel, corex's message holding this text (an object that tests
    /// a refusal: the verifier's, a missing extern, a poisoned relocation).
    Refused(&'static str),
    /// Loads where the kernel has every feature listed; where it lacks one, refused with
    /// a message holding that feature's text (the row is then `unsupported`).
    Needs(&'static [(Feature, &'static str)]),
}

/// What `corex inspect --format json` says the load must make: the programs it loads
/// (not subprograms, autoload on) and the maps the object declares.
fn expected_items(inspect: &[u8]) -> Result<(Vec<String>, Vec<String>), Verdict> {
    let doc: Value = serde_json::from_slice(inspect)
        .map_err(|e| Verdict::fail(format!("corex inspect's JSON does not parse: {e}")))?;
    let names = |list: &str, keep: &dyn Fn(&Value) -> bool| -> Result<Vec<String>, Verdict> {
        let items = doc[list]
            .as_array()
            .ok_or_else(|| Verdict::fail(format!("corex inspect's JSON has no \"{list}\" list")))?;
        Ok(items
            .iter()
            .filter(|i| keep(i))
            .filter_map(|i| i["name"].as_str().map(str::to_string))
            .collect())
    };
    let loaded = |p: &Value| p["subprog"] == false && p["autoload"] != false;
    Ok((names("programs", &loaded)?, names("maps", &|_| true)?))
}

/// Whether `corex load`'s output has `KIND NAME: created|reused|loaded ..., id N`.
fn has_loaded_line(stdout: &str, kind: &str, name: &str) -> bool {
    let prefix = format!("{kind} {name}: ");
    stdout.lines().any(|l| {
        l.strip_prefix(&prefix).is_some_and(|rest| {
            let made = ["created", "reused", "loaded"]
                .iter()
                .any(|w| rest.starts_with(w));
            let id = rest
                .split(", id ")
                .nth(1)
                .and_then(|t| t.split([' ', ',']).next())
                .and_then(|n| n.parse::<u32>().ok());
            made && id.is_some_and(|id| id > 0)
        })
    })
}

/// corex's words when an object needs the kernel's own BTF and it is hidden.
const NO_KERNEL_BTF: &str = "vmlinux BTF is not available";

/// The checker of a `load:` row expecting `expect`; the reference is `corex inspect`.
/// With `needs_kernel_btf` (attach targets of tp_btf/fentry programs, kfuncs, typed
/// ksyms: ids only the running kernel's BTF gives; `--btf` serves CO-RE alone, as
/// libbpf's `btf_custom_path` does), the no-btf scenario must refuse it saying so.
pub fn loaded(
    expect: LoadExpect,
    needs_kernel_btf: bool,
) -> impl Fn(&Check) -> Verdict + Send + Sync {
    move |c: &Check| {
        let result = if needs_kernel_btf && c.scenario == Scenario::NoBtf {
            without_kernel_btf(c)
        } else {
            judge_load(c, expect)
        };
        match result {
            Ok(v) | Err(v) => v,
        }
    }
}

/// An object that needs the kernel's BTF, with it hidden: refused, in those words.
fn without_kernel_btf(c: &Check) -> Result<Verdict, Verdict> {
    let stderr = String::from_utf8_lossy(&c.guest.stderr);
    if c.guest.exit == 0 {
        return Err(Verdict::fail(
            "loaded with the kernel's BTF hidden, though its programs need the kernel's own BTF",
        ));
    }
    match stderr.lines().find(|l| l.contains(NO_KERNEL_BTF)) {
        Some(line) => Ok(Verdict::unsupported(format!(
            "needs the kernel's own BTF, hidden in this scenario: {}",
            line.trim()
        ))),
        None => Err(Verdict::fail(format!(
            "refused without saying {NO_KERNEL_BTF:?}: {}",
            c.guest.stderr_line()
        ))),
    }
}

fn judge_load(c: &Check, expect: LoadExpect) -> Result<Verdict, Verdict> {
    let inspect = good_reference(c)?;
    let (programs, maps) = expected_items(full(inspect)?)?;
    let stderr = String::from_utf8_lossy(&c.guest.stderr);
    let line_with = |text: &str| {
        stderr
            .lines()
            .find(|l| l.contains(text))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    if c.guest.exit != 0 {
        return Ok(match expect {
            LoadExpect::Loads => Verdict::fail(format!("refused: {}", c.guest.stderr_line())),
            LoadExpect::Refused(text) if stderr.contains(text) => Verdict {
                reason: Some(format!("refused as it must be: {}", line_with(text))),
                ..Verdict::ok(0, 0)
            },
            LoadExpect::Refused(text) => Verdict::fail(format!(
                "refused without saying {text:?}: {}",
                c.guest.stderr_line()
            )),
            LoadExpect::Needs(needs) => match needs.iter().find(|(_, t)| stderr.contains(t)) {
                Some(&(feature, text)) => {
                    feature_gate(c.features, feature, false, &line_with(text))
                        .unwrap_or_else(|| Verdict::fail("unreachable: a missing feature passed"))
                }
                None => Verdict::fail(format!(
                    "refused for none of the reasons the row allows: {}",
                    c.guest.stderr_line()
                )),
            },
        });
    }
    match expect {
        LoadExpect::Refused(text) => {
            return Err(Verdict::fail(format!(
                "loaded, but must be refused (saying {text:?})"
            )))
        }
        LoadExpect::Needs(needs) => {
            for &(feature, _) in needs {
                if let Some(v) = feature_gate(c.features, feature, true, "") {
                    return Err(v);
                }
            }
        }
        LoadExpect::Loads => {}
    }
    let stdout = String::from_utf8_lossy(full(c.guest)?);
    let missing: Vec<String> = programs
        .iter()
        .map(|p| ("program", p))
        .chain(maps.iter().map(|m| ("map", m)))
        .filter(|(kind, name)| !has_loaded_line(&stdout, kind, name))
        .map(|(kind, name)| format!("{kind} {name}"))
        .collect();
    let expected = (programs.len() + maps.len()) as u64;
    let events = expected - missing.len() as u64;
    if missing.is_empty() {
        Ok(Verdict::ok(events, expected))
    } else {
        Ok(Verdict {
            events,
            expected,
            ..Verdict::fail(format!(
                "corex load exited 0 without loading {}",
                missing.join(", ")
            ))
        })
    }
}
