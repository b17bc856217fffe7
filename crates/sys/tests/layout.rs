//! Every attribute layout of corex-sys against Linux 6.12's C headers: each
//! field's offset and size as the C compiler computes them (`offsetof`,
//! `sizeof`), and each struct no larger than its C type.

#[path = "../../uapi/tests/support/c_header.rs"]
mod c_header;

use corex_sys::attr::LAYOUTS;

#[test]
fn layouts_match_linux_6_12_headers() {
    let dir = c_header::uapi_612_dir();
    let mut exprs = Vec::new();
    for layout in LAYOUTS {
        exprs.push(format!("sizeof({})", layout.c_type));
        for f in layout.fields.iter().filter(|f| !f.c.is_empty()) {
            exprs.push(format!("offsetof({}, {})", layout.c_type, f.c));
            exprs.push(format!("sizeof((({} *)0)->{})", layout.c_type, f.c));
        }
    }
    let values = c_header::eval(
        Some(&dir),
        &["linux/bpf.h", "linux/perf_event.h"],
        "",
        &exprs,
    );
    let mut checked = 0;
    for layout in LAYOUTS {
        let c_size = values[&format!("sizeof({})", layout.c_type)];
        assert!(
            layout.size as u64 <= c_size,
            "{} is {} bytes, {} only {c_size}",
            layout.rust_type,
            layout.size,
            layout.c_type
        );
        for f in layout.fields.iter().filter(|f| !f.c.is_empty()) {
            let offset = values[&format!("offsetof({}, {})", layout.c_type, f.c)];
            let size = values[&format!("sizeof((({} *)0)->{})", layout.c_type, f.c)];
            assert_eq!(
                (f.offset as u64, f.size as u64),
                (offset, size),
                "{}.{} vs {}.{} (offset, size)",
                layout.rust_type,
                f.rust,
                layout.c_type,
                f.c
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} fields checked");
}

/// The info structs cover their C types entirely (corex reads every field
/// the 6.12 kernel writes), and fields without a C name are padding or
/// bit-field words between checked neighbours.
#[test]
fn info_structs_are_complete() {
    let dir = c_header::uapi_612_dir();
    let types = [
        ("ProgInfoAttr", "struct bpf_prog_info"),
        ("MapInfoAttr", "struct bpf_map_info"),
        ("BtfInfoAttr", "struct bpf_btf_info"),
        ("LinkInfoAttr", "struct bpf_link_info"),
    ];
    let exprs: Vec<String> = types.iter().map(|t| format!("sizeof({})", t.1)).collect();
    let values = c_header::eval(Some(&dir), &["linux/bpf.h"], "", &exprs);
    for (rust, c) in types {
        let layout = LAYOUTS.iter().find(|l| l.rust_type == rust).unwrap();
        assert_eq!(
            layout.size as u64,
            values[&format!("sizeof({c})")],
            "{rust} vs {c}"
        );
    }
    for layout in LAYOUTS {
        for (i, f) in layout
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.c.is_empty())
        {
            assert!(
                i > 0 && !layout.fields[i - 1].c.is_empty(),
                "{}.{}: an unchecked field must follow a checked one",
                layout.rust_type,
                f.rust
            );
        }
    }
}
