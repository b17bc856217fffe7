//! corex-uapi's numbers against the C headers: Linux 6.12's UAPI headers
//! from Debian's packages (every enumerator and constant evaluated by the C
//! compiler), and libbpf 1.1's printed names.

#[path = "support/c_header.rs"]
mod c_header;

use corex_uapi::{
    flags, perf, AttachType, BpfCmd, HelperId, LinkType, MapType, ProgType, StatsType, TaskFdType,
};

/// One kernel enum of this crate: its C enum, the `__MAX` enumerator the
/// header ends it with (if any), and its (value, C name, printed name) rows.
struct Table {
    c_enum: &'static str,
    max: Option<&'static str>,
    rows: Vec<(u32, &'static str, &'static str)>,
}

macro_rules! table {
    ($ty:ty, $max:expr) => {
        Table {
            c_enum: <$ty>::C_ENUM,
            max: $max,
            rows: <$ty>::KNOWN
                .iter()
                .map(|v| (v.0, v.c_name().unwrap(), v.name().unwrap()))
                .collect(),
        }
    };
}

fn tables() -> Vec<Table> {
    vec![
        table!(BpfCmd, Some("__MAX_BPF_CMD")),
        table!(MapType, Some("__MAX_BPF_MAP_TYPE")),
        table!(ProgType, Some("__MAX_BPF_PROG_TYPE")),
        table!(AttachType, Some("__MAX_BPF_ATTACH_TYPE")),
        table!(LinkType, Some("__MAX_BPF_LINK_TYPE")),
        table!(HelperId, Some("__BPF_FUNC_MAX_ID")),
        table!(TaskFdType, None),
        table!(StatsType, None),
    ]
}

/// Every enumerator the 6.12 header has is in the table with the header's
/// value, and the table has no value below the header's `__MAX` that the
/// header lacks. Entries at or above `__MAX` come from newer kernels: the
/// kernel BTF test checks those.
#[test]
fn enums_match_linux_6_12_header() {
    let dir = c_header::uapi_612_dir();
    let tables = tables();
    let maxes: Vec<String> = tables
        .iter()
        .filter_map(|t| t.max.map(String::from))
        .collect();
    let max = c_header::eval(Some(&dir), &["linux/bpf.h"], "", &maxes);
    for t in &tables {
        let limit = t.max.map_or(u64::MAX, |m| max[m]);
        let exprs: Vec<String> = t
            .rows
            .iter()
            .filter(|r| u64::from(r.0) < limit)
            .map(|r| r.1.to_string())
            .collect();
        let values = c_header::eval(Some(&dir), &["linux/bpf.h"], "", &exprs);
        for (value, c_name, _) in t.rows.iter().filter(|r| u64::from(r.0) < limit) {
            assert_eq!(values[*c_name], u64::from(*value), "{} {c_name}", t.c_enum);
        }
        if let Some(m) = t.max {
            let mut known: Vec<u64> = t
                .rows
                .iter()
                .map(|r| u64::from(r.0))
                .filter(|v| *v < limit)
                .collect();
            known.sort();
            known.dedup();
            assert_eq!(
                known,
                (0..limit).collect::<Vec<_>>(),
                "{}: the table must hold every value below {m} = {limit}",
                t.c_enum
            );
        }
    }
}

#[test]
fn constants_match_linux_6_12_header() {
    let dir = c_header::uapi_612_dir();
    let modules: &[(&str, &[(&str, u64)])] = &[
        ("flags::map", flags::map::C_CONSTANTS),
        ("flags::update", flags::update::C_CONSTANTS),
        ("flags::prog", flags::prog::C_CONSTANTS),
        ("flags::attach", flags::attach::C_CONSTANTS),
        ("flags::test_run", flags::test_run::C_CONSTANTS),
        ("flags::pseudo", flags::pseudo::C_CONSTANTS),
        ("flags::sizes", flags::sizes::C_CONSTANTS),
        ("perf", perf::C_CONSTANTS),
    ];
    // A flag word bit of perf_event_attr: set the bitfield, read the word
    // that follows read_format.
    let prelude = "#define PERF_ATTR_BIT(f) ({ struct perf_event_attr a; unsigned long long w; \
                   memset(&a, 0, sizeof a); a.f = 1; \
                   memcpy(&w, (char *)&a + offsetof(struct perf_event_attr, read_format) + 8, 8); w; })\n";
    for (module, constants) in modules {
        let exprs: Vec<String> = constants.iter().map(|c| c.0.to_string()).collect();
        let values = c_header::eval(
            Some(&dir),
            &["linux/bpf.h", "linux/perf_event.h"],
            prelude,
            &exprs,
        );
        for (c, value) in *constants {
            assert_eq!(values[*c], *value, "{module}: {c}");
        }
    }
}

/// The printed names: helpers are `bpf_` and the C suffix; program, map,
/// attach and link types are what libbpf 1.1's `libbpf_bpf_*_str` return,
/// and, for values newer than libbpf 1.1, the C suffix in lower case (the
/// rule libbpf's tables follow).
#[test]
fn names_match_libbpf() {
    for t in tables() {
        for (_, c_name, name) in &t.rows {
            if t.c_enum == "enum bpf_func_id" {
                assert_eq!(*name, format!("bpf_{}", &c_name["BPF_FUNC_".len()..]));
            }
        }
    }
    let kinds = [
        ("prog_type", "BPF_PROG_TYPE_", table!(ProgType, None)),
        ("map_type", "BPF_MAP_TYPE_", table!(MapType, None)),
        ("attach_type", "BPF_", table!(AttachType, None)),
        ("link_type", "BPF_LINK_TYPE_", table!(LinkType, None)),
    ];
    let mut src = String::from("#include <stdio.h>\n#include <bpf/libbpf.h>\nint main(void) {\n");
    for (kind, _, t) in &kinds {
        for (value, _, _) in &t.rows {
            src.push_str(&format!(
                "    {{ const char *s = libbpf_bpf_{kind}_str({value}); printf(\"{kind} {value} %s\\n\", s ? s : \"-\"); }}\n"
            ));
        }
    }
    src.push_str("    return 0;\n}\n");
    let out = c_header::run_c(None, &src, &["-lbpf"]);
    let mut from_libbpf = 0;
    for line in out.lines() {
        let mut words = line.split(' ');
        let (kind, value, libbpf) = (
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
        );
        let (_, prefix, t) = kinds.iter().find(|k| k.0 == kind).unwrap();
        let value: u32 = value.parse().unwrap();
        let (_, c_name, name) = t.rows.iter().find(|r| r.0 == value).unwrap();
        if libbpf == "-" {
            assert_eq!(
                *name,
                c_name[prefix.len()..].to_lowercase(),
                "{kind} {value}"
            );
        } else {
            from_libbpf += 1;
            assert_eq!(*name, libbpf, "{kind} {value} ({c_name})");
        }
    }
    // libbpf 1.1 knows at least the types of Linux 6.1.
    assert!(from_libbpf > 100, "libbpf named only {from_libbpf} values");
}
