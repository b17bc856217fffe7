//! Writes kernel BTF variants for `scripts/bench-check.sh`: for each input
//! kernel, copies edited the way kernels differ (a member renamed away,
//! task_struct's later members moved, an older UAPI without the newest
//! helpers), and one large BTF whose types are not deduplicated (every
//! type written `--copies` times, as a kernel whose per-compilation-unit
//! copies were never merged, like BTFHub's 44 MB RHEL 8.1 files).
//!
//!     cargo run --release --example btf_variants -- OUT_DIR COUNT KERNEL.btf...

use std::path::PathBuf;

use corex_btf::write::{Body, BtfBuilder, TypeDef};
use corex_btf::{Btf, Endian, Kind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, count, kernels @ ..] = args.as_slice() else {
        eprintln!("usage: btf_variants OUT_DIR COUNT KERNEL.btf...");
        std::process::exit(2);
    };
    let out = PathBuf::from(out);
    let count: usize = count.parse().expect("COUNT is a number");
    std::fs::create_dir_all(&out).expect("create OUT_DIR");
    let bases: Vec<Vec<TypeDef>> = kernels
        .iter()
        .map(|k| {
            let data = std::fs::read(k).unwrap_or_else(|e| panic!("{k}: {e}"));
            let btf = Btf::parse(&data).unwrap_or_else(|e| panic!("{k}: {e}"));
            btf.types().map(|t| t.to_def()).collect()
        })
        .collect();
    for i in 0..count {
        let mut defs = bases[i % bases.len()].clone();
        edit(&mut defs, i);
        let path = out.join(format!("variant-{i:03}.btf"));
        std::fs::write(&path, write_defs(defs)).expect("write variant");
    }
    // Not deduplicated: the first kernel's types eighteen times over (about 45 MB, like BTFHub's RHEL 8.1 files).
    let base = &bases[0];
    let n = base.len() as u32;
    let copies = (0..18u32).flat_map(|c| {
        base.iter().cloned().map(move |mut d| {
            for r in d.refs_mut() {
                if r.0 != 0 {
                    r.0 += c * n;
                }
            }
            d
        })
    });
    std::fs::write(out.join("not-deduplicated.btf"), write_defs(copies)).expect("write");
}

/// Little-endian raw BTF of `defs` as ids 1, 2, ...
fn write_defs(defs: impl IntoIterator<Item = TypeDef>) -> Vec<u8> {
    let builder: BtfBuilder = defs.into_iter().collect();
    builder.to_bytes(Endian::Little).expect("variants fit BTF")
}

/// Variant `i`'s edit of a kernel's types.
fn edit(defs: &mut [TypeDef], i: usize) {
    let find = |defs: &[TypeDef], kind: Kind, name: &str| {
        defs.iter().position(|d| d.kind() == kind && d.name == name)
    };
    match i % 4 {
        0 => {}
        1 => {
            // A member renamed away (as `state` became `__state`).
            if let Some(t) = find(defs, Kind::Struct, "task_struct") {
                if let Body::Composite { members, .. } = &mut defs[t].body {
                    let m = i / 4 % members.len().max(1);
                    if let Some(m) = members.get_mut(m) {
                        m.name = format!("{}___gone", m.name);
                    }
                }
            }
        }
        2 => {
            // Later members moved by 8 bytes.
            if let Some(t) = find(defs, Kind::Struct, "task_struct") {
                if let Body::Composite { members, size, .. } = &mut defs[t].body {
                    let from = members.len() / 2;
                    for m in &mut members[from..] {
                        m.bit_offset += 64;
                    }
                    *size += 8;
                }
            }
        }
        _ => {
            // An older UAPI: the newest helpers are not there.
            if let Some(e) = find(defs, Kind::Enum, "bpf_func_id") {
                if let Body::Enum { values, .. } = &mut defs[e].body {
                    values.retain(|(_, v)| *v < 100);
                }
            }
        }
    }
}
