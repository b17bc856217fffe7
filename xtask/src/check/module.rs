//! The module BTF row: `corex run bpf/loader-tests/module_btf.bpf.o` with the dummy and
//! veth modules inserted. Its fentry program attaches to dummy's `dummy_get_stats64`
//! (an attach id in dummy's split BTF, with that BTF object's fd) and prints what its
//! CO-RE relocations against veth's `struct veth_rq` gave; the host's reference is
//! that struct in the module file's BTF (`corex btf dump veth.ko --base vmlinux.btf`).

use serde_json::Value;

use super::{feature_gate, full, refused_for_a_feature, Check, Verdict};
use crate::kernels::Feature;

/// What the module row and `load:module_btf` need, with the text corex's refusal
/// holds when the kernel lacks it.
pub const MODULE_BTF_NEEDS: &[(Feature, &str)] = &[
    (Feature::Trampolines, "fentry needs BPF trampolines"),
    (Feature::ModuleBtf, "dummy_get_stats64"),
];

/// The program's line: `corex module_btf: veth_rq size S xdp_rxq O page_pool P`.
const MARK: &str = "corex module_btf: veth_rq size ";

/// What the CO-RE relocations give for `struct veth_rq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RqLayout {
    size: u64,
    xdp_rxq_offset: u64,
    has_page_pool: u64,
}

/// `struct veth_rq` in the JSON of `corex btf dump --format json` (bpftool's form).
fn layout_in_dump(json: &[u8]) -> Result<RqLayout, String> {
    let doc: Value =
        serde_json::from_slice(json).map_err(|e| format!("the module's BTF dump: {e}"))?;
    let rq = doc["types"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["kind"] == "STRUCT" && t["name"] == "veth_rq")
        })
        .ok_or("the module's BTF has no struct veth_rq")?;
    let members = rq["members"].as_array().ok_or("veth_rq has no members")?;
    let member = |name: &str| members.iter().find(|m| m["name"] == name);
    let xdp_rxq = member("xdp_rxq")
        .and_then(|m| m["bits_offset"].as_u64())
        .ok_or("veth_rq has no xdp_rxq")?;
    Ok(RqLayout {
        size: rq["size"].as_u64().ok_or("veth_rq has no size")?,
        xdp_rxq_offset: xdp_rxq / 8,
        has_page_pool: u64::from(member("page_pool").is_some()),
    })
}

/// The layouts the program printed, one per run.
fn printed_layouts(stdout: &str) -> Result<Vec<RqLayout>, String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once(MARK).map(|(_, rest)| rest))
        .map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let number = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
            match (words.get(1), words.get(3), number(0), number(2), number(4)) {
                (Some(&"xdp_rxq"), Some(&"page_pool"), Some(size), Some(off), Some(pp)) => {
                    Ok(RqLayout {
                        size,
                        xdp_rxq_offset: off,
                        has_page_pool: pp,
                    })
                }
                _ => Err(format!("unreadable line: {MARK}{rest}")),
            }
        })
        .collect()
}

/// Ok when the program attached, ran (the workload read /proc/net/dev) and every run
/// printed the layout the module's BTF has; unsupported, in corex's words, where the
/// kernel lacks trampolines or module BTF (or, natively, the modules).
pub fn module_btf_ran(c: &Check) -> Verdict {
    if c.guest.exit != 0 || c.guest.ready == Some(false) {
        return refused_for_a_feature(c, MODULE_BTF_NEEDS);
    }
    for &(feature, _) in MODULE_BTF_NEEDS {
        if let Some(v) = feature_gate(c.features, feature, true, "") {
            return v;
        }
    }
    let Some(reference) = c.reference else {
        return Verdict::fail("it ran, but the host has no module file to compare with");
    };
    let expected = match full(reference).map(layout_in_dump) {
        Ok(Ok(layout)) => layout,
        Ok(Err(why)) => return Verdict::fail(why),
        Err(v) => return v,
    };
    let printed = match full(c.guest).map(|out| printed_layouts(&String::from_utf8_lossy(out))) {
        Ok(Ok(p)) => p,
        Ok(Err(why)) => return Verdict::fail(why),
        Err(v) => return v,
    };
    let runs = printed.len() as u64;
    if runs == 0 {
        return Verdict::fail("attached, but dummy_get_stats64 never ran the program");
    }
    let right = printed.iter().filter(|&&p| p == expected).count() as u64;
    let what = format!(
        "veth_rq size {}, xdp_rxq at {}, page_pool {}",
        expected.size, expected.xdp_rxq_offset, expected.has_page_pool
    );
    if right == runs {
        Verdict {
            reason: Some(format!("{runs} run(s), each saw the module's {what}")),
            ..Verdict::ok(right, runs)
        }
    } else {
        let wrong = printed.iter().find(|&&p| p != expected);
        Verdict {
            events: right,
            expected: runs,
            ..Verdict::fail(format!("the module's BTF has {what}; a run saw {wrong:?}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use crate::protocol::{Run, Stdout};
    use crate::variants::Scenario;

    const DUMP: &str = r#"{"types":[{"id":9,"kind":"STRUCT","name":"veth_rq","size":832,"vlen":2,"members":[{"name":"xdp_rxq","type_id":1,"bits_offset":5632},{"name":"page_pool","type_id":2,"bits_offset":6144}]}]}"#;

    fn run(exit: i32, stdout: &str, stderr: &str) -> Run {
        Run {
            exit,
            stdout: Stdout::Full(stdout.as_bytes().to_vec()),
            stderr: stderr.as_bytes().to_vec(),
            ready: Some(exit == 0),
            execs: Vec::new(),
            timed_out: false,
        }
    }

    fn judge(features: Option<&[Feature]>, guest: &Run, reference: Option<&Run>) -> Verdict {
        module_btf_ran(&Check {
            features,
            scenario: Scenario::Btf,
            guest,
            reference,
        })
    }

    const ALL: &[Feature] = &[Feature::Trampolines, Feature::ModuleBtf];

    #[test]
    fn the_modules_layout_in_every_run_is_ok_and_any_other_fails() {
        let dump = run(0, DUMP, "");
        let line =
            "cat-9 [000] 1.000000: corex module_btf: veth_rq size 832 xdp_rxq 704 page_pool 1";
        let good = run(0, &format!("{line}\n{line}\n"), "corex: attached");
        let v = judge(Some(ALL), &good, Some(&dump));
        assert_eq!(
            (v.status, v.events, v.expected),
            (Status::Ok, 2, 2),
            "{v:?}"
        );
        let stale = line.replace("832", "768");
        let v = judge(
            Some(ALL),
            &run(0, &format!("{line}\n{stale}\n"), ""),
            Some(&dump),
        );
        assert_eq!((v.status, v.events), (Status::Fail, 1), "{v:?}");
        let v = judge(Some(ALL), &run(0, "nothing\n", ""), Some(&dump));
        assert!(v.reason.unwrap().contains("never ran"));
        let v = judge(Some(ALL), &good, None);
        assert_eq!(v.status, Status::Fail);
        // Worked where the table says the kernel has no module BTF.
        let v = judge(Some(&[Feature::Trampolines]), &good, Some(&dump));
        assert_eq!(v.status, Status::Fail);
    }

    #[test]
    fn a_missing_module_target_is_unsupported_only_where_the_table_says_so() {
        let refused = run(
            1,
            "",
            "corex: program 'dummy_stats': the kernel has no func 'dummy_get_stats64' to attach to",
        );
        let v = judge(Some(&[Feature::Trampolines]), &refused, None);
        assert_eq!(v.status, Status::Unsupported, "{v:?}");
        assert_eq!(judge(None, &refused, None).status, Status::Unsupported);
        assert_eq!(judge(Some(ALL), &refused, None).status, Status::Fail);
        let other = run(1, "", "corex: something else");
        assert_eq!(judge(None, &other, None).status, Status::Fail);
    }
}
