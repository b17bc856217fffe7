//! The matrix: one row per kernel, scenario and variant; printed as a table and
//! written as `target/kernels/matrix.json`.

use std::fmt::Write as _;

use corex_btf::printable;
use serde::Serialize;

use crate::check::{Status, Verdict};
use crate::variants::Scenario;

/// One cell of the matrix, in matrix.json's schema.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Kernel name (`debian-6.1`, `native`).
    pub kernel: String,
    /// `btf` or `no-btf`.
    pub scenario: Scenario,
    /// Variant name.
    pub variant: String,
    /// `ok`, `unsupported` or `fail`.
    pub status: Status,
    /// Items seen.
    pub events: u64,
    /// Items expected.
    pub expected: u64,
    /// Why, unless ok.
    pub reason: Option<String>,
}

impl Row {
    /// A row from a verdict.
    pub fn new(kernel: &str, scenario: Scenario, variant: &str, v: Verdict) -> Self {
        Row {
            kernel: kernel.to_string(),
            scenario,
            variant: variant.to_string(),
            status: v.status,
            events: v.events,
            expected: v.expected,
            reason: v.reason,
        }
    }
}

/// Whether any row failed.
pub fn any_failed(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.status == Status::Fail)
}

fn cell(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Unsupported => "unsupported",
        Status::Fail => "FAIL",
    }
}

/// The rows that are not ok, grouped by kernel, status and reason (a kernel that did
/// not boot gives one line, not one per row), in the order they first appear.
fn not_ok_groups(rows: &[Row]) -> Vec<Vec<&Row>> {
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    for r in rows.iter().filter(|r| r.status != Status::Ok) {
        let same = |g: &&mut Vec<&Row>| {
            g[0].kernel == r.kernel && g[0].status == r.status && g[0].reason == r.reason
        };
        match groups.iter_mut().find(same) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups
}

/// The table: a line per variant, a column per kernel and scenario (in the order
/// given), then every row that is not ok with its reason.
pub fn render(rows: &[Row], kernels: &[String], variants: &[String]) -> String {
    let columns: Vec<(&str, Scenario)> = kernels
        .iter()
        .flat_map(|k| Scenario::ALL.iter().map(move |&s| (k.as_str(), s)))
        .collect();
    let name_width = variants.iter().map(String::len).max().unwrap_or(0).max(7);
    let widths: Vec<usize> = columns
        .iter()
        .map(|(k, s)| k.len().max(s.as_str().len()).max("unsupported".len()))
        .collect();
    let mut out = String::new();
    for header in [0, 1] {
        let _ = write!(
            out,
            "{:name_width$}",
            if header == 0 { "variant" } else { "" }
        );
        for ((k, s), w) in columns.iter().zip(&widths) {
            let text = if header == 0 {
                k.to_string()
            } else {
                s.to_string()
            };
            let _ = write!(out, "  {text:w$}");
        }
        out.push('\n');
    }
    for variant in variants {
        let _ = write!(out, "{variant:name_width$}");
        for ((k, s), w) in columns.iter().zip(&widths) {
            let found = rows
                .iter()
                .find(|r| r.kernel == *k && r.scenario == *s && &r.variant == variant);
            let text = found.map_or("-", |r| cell(r.status));
            let _ = write!(out, "  {text:w$}");
        }
        out.push('\n');
    }
    let ok = rows.iter().filter(|r| r.status == Status::Ok).count();
    let unsupported = rows
        .iter()
        .filter(|r| r.status == Status::Unsupported)
        .count();
    let failed = rows.len() - ok - unsupported;
    let _ = writeln!(
        out,
        "\n{} rows: {ok} ok, {unsupported} unsupported, {failed} failed",
        rows.len()
    );
    for group in not_ok_groups(rows) {
        let first = group[0];
        let cells: Vec<String> = group
            .iter()
            .map(|r| format!("{} {}", r.scenario, r.variant))
            .collect();
        let shown = if cells.len() > 4 {
            format!("{} and {} more", cells[..3].join(", "), cells.len() - 3)
        } else {
            cells.join(", ")
        };
        // Reasons quote the guest (console lines, corex's messages, BTF names).
        let _ = writeln!(
            out,
            "  {} {} {shown}: {}",
            cell(first.status),
            first.kernel,
            printable(first.reason.as_deref().unwrap_or(""))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_every_cell_and_the_reasons() {
        let rows = vec![
            Row::new("k1", Scenario::Btf, "a", Verdict::ok(3, 3)),
            Row::new("k1", Scenario::NoBtf, "a", Verdict::unsupported("no thing")),
            Row::new("k1", Scenario::NoBtf, "b", Verdict::fail("broken")),
        ];
        let text = render(&rows, &["k1".into()], &["a".into(), "b".into()]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("variant") && lines[0].contains("k1"));
        assert!(lines[1].contains("btf") && lines[1].contains("no-btf"));
        assert!(
            lines[2].starts_with("a")
                && lines[2].contains("ok")
                && lines[2].contains("unsupported")
        );
        assert!(lines[3].starts_with("b") && lines[3].contains("-") && lines[3].contains("FAIL"));
        assert!(text.contains("3 rows: 1 ok, 1 unsupported, 1 failed"));
        assert!(text.contains("FAIL k1 no-btf b: broken"), "{text}");
        let hostile = [Row::new(
            "k3",
            Scenario::Btf,
            "a",
            Verdict::fail("console: \x1b[2J\u{202e}"),
        )];
        let text = render(&hostile, &["k3".into()], &[]);
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        let same: Vec<Row> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|v| Row::new("k2", Scenario::Btf, v, Verdict::fail("did not boot")))
            .collect();
        let text = render(&same, &["k2".into()], &[]);
        assert!(
            text.contains("FAIL k2 btf a, btf b, btf c and 2 more: did not boot"),
            "{text}"
        );
        assert!(any_failed(&rows));
        assert!(!any_failed(&rows[..2]));
        let json = serde_json::to_value(&rows[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kernel": "k1", "scenario": "no-btf", "variant": "a",
                "status": "unsupported", "events": 0, "expected": 0, "reason": "no thing"})
        );
    }
}
