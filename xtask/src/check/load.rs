//! `corex load OBJ` rows: the object really loaded in the kernel (every program with a
//! kernel id, every map created), or refused exactly where and why it must be.

use serde_json::Value;

use super::{
    feature_gate, full, good_reference, needs_hidden_kernel_btf, refused_for_a_feature,
    stderr_line_with, Check, Verdict,
};
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

/// The checker of a `load:` row expecting `expect`; the reference is `corex inspect`.
/// With `needs_kernel_btf`, the no-btf scenario must refuse it saying so.
pub fn loaded(
    expect: LoadExpect,
    needs_kernel_btf: bool,
) -> impl Fn(&Check) -> Verdict + Send + Sync {
    move |c: &Check| {
        if needs_kernel_btf && c.scenario == Scenario::NoBtf {
            return needs_hidden_kernel_btf(c, c.guest.exit == 0);
        }
        match judge_load(c, expect) {
            Ok(v) | Err(v) => v,
        }
    }
}

fn judge_load(c: &Check, expect: LoadExpect) -> Result<Verdict, Verdict> {
    let inspect = good_reference(c)?;
    let (programs, maps) = expected_items(full(inspect)?)?;
    if c.guest.exit != 0 {
        return Ok(match expect {
            LoadExpect::Loads => Verdict::fail(format!("refused: {}", c.guest.stderr_line())),
            LoadExpect::Refused(text) => match stderr_line_with(c.guest, text) {
                Some(line) => Verdict {
                    reason: Some(format!("refused as it must be: {line}")),
                    ..Verdict::ok(0, 0)
                },
                None => Verdict::fail(format!(
                    "refused without saying {text:?}: {}",
                    c.guest.stderr_line()
                )),
            },
            LoadExpect::Needs(needs) => refused_for_a_feature(c, needs),
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
