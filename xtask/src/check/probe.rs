//! The `probe` row: `corex probe --format json` ran, agrees with the kernel table
//! on the features the matrix depends on, and its findings become the row's reason.

use serde_json::Value;

use super::{feature_gate, full, Check, Status, Verdict};
use crate::kernels::Feature;

/// Probe items (category, name) that show a feature of the kernel table.
const GATED: &[(&str, &str, Feature)] = &[
    ("attach", "kprobe", Feature::Kprobes),
    ("attach", "kprobe.multi", Feature::KprobeMulti),
    ("attach", "fentry", Feature::Trampolines),
    ("btf", "btf_enum64", Feature::BtfEnum64),
];

/// Probe items every kernel of the matrix has (Linux 5.8 had them all; the oldest
/// kernel here is 5.10): corex saying one is missing is corex's error (e.g. probes
/// refused for `RLIMIT_MEMLOCK` on a kernel that charges BPF memory to it).
pub(super) const BASELINE: &[(&str, &str)] = &[
    ("program_type", "socket_filter"),
    ("program_type", "kprobe"),
    ("program_type", "sched_cls"),
    ("program_type", "tracepoint"),
    ("program_type", "xdp"),
    ("program_type", "perf_event"),
    ("program_type", "raw_tracepoint"),
    ("map_type", "hash"),
    ("map_type", "array"),
    ("map_type", "prog_array"),
    ("map_type", "perf_event_array"),
    ("map_type", "percpu_hash"),
    ("map_type", "percpu_array"),
    ("map_type", "lru_hash"),
    ("map_type", "array_of_maps"),
    ("map_type", "ringbuf"),
];

/// `corex probe --format json`: exits 0, lists items, says of each gated feature what
/// the kernel table says; ok rows carry the findings (what is missing, and why).
pub fn probe_findings(c: &Check) -> Verdict {
    if c.guest.exit != 0 {
        return Verdict::fail(format!(
            "corex probe exited {}: {}",
            c.guest.exit,
            c.guest.stderr_line()
        ));
    }
    let doc: Value = match full(c.guest).map(serde_json::from_slice) {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => return Verdict::fail(format!("corex probe's JSON does not parse: {e}")),
        Err(v) => return v,
    };
    let items = match doc["items"].as_array() {
        Some(items) if !items.is_empty() => items,
        _ => return Verdict::fail("corex probe's JSON has no items"),
    };
    if doc["schema"] != "corex-probe/1" {
        return Verdict::fail(format!("corex probe's schema is {}", doc["schema"]));
    }
    let find = |category: &str, name: &str| {
        items
            .iter()
            .find(|i| i["category"] == category && i["name"] == name)
    };
    let wrongly_missing: Vec<String> = BASELINE
        .iter()
        .filter_map(|&(category, name)| {
            let item = find(category, name);
            match item {
                Some(i) if i["supported"] == true => None,
                Some(i) => Some(format!(
                    "{category} {name} ({})",
                    i["reason"].as_str().unwrap_or("no reason given")
                )),
                None => Some(format!("{category} {name} (not reported)")),
            }
        })
        .collect();
    if !wrongly_missing.is_empty() {
        return Verdict::fail(format!(
            "corex probe says {} item(s) every kernel since 5.8 has are missing: {}",
            wrongly_missing.len(),
            wrongly_missing.join("; ")
        ));
    }
    for &(category, name, feature) in GATED {
        let Some(item) = find(category, name) else {
            return Verdict::fail(format!("corex probe did not report {category} {name}"));
        };
        let reason = item["reason"].as_str().unwrap_or("no reason given");
        let supported = item["supported"] == true;
        if let Some(v) = feature_gate(c.features, feature, supported, reason) {
            if v.status == Status::Fail {
                return v;
            }
        }
    }
    let missing: Vec<&Value> = items.iter().filter(|i| i["supported"] != true).collect();
    let described: Vec<String> = missing
        .iter()
        .filter(|i| i["category"] != "helper")
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap_or("?").to_string();
            match i["category"].as_str() {
                Some("attach") => format!("{} ({})", text("name"), text("reason")),
                _ => format!("{} {} ({})", text("category"), text("name"), text("cause")),
            }
        })
        .collect();
    let helpers = missing.len() - described.len();
    let supported = (items.len() - missing.len()) as u64;
    Verdict {
        reason: Some(format!(
            "{}: {supported} of {} items supported; missing: {}; {helpers} helper(s) missing",
            doc["kernel"]["release"].as_str().unwrap_or("?"),
            items.len(),
            if described.is_empty() {
                "nothing".to_string()
            } else {
                described.join("; ")
            }
        )),
        ..Verdict::ok(supported, items.len() as u64)
    }
}
