//! What every fuzz input goes through: parse it, and if it parses, use every
//! part of the result (lookups, size resolution, dumps, a write/re-parse round
//! trip). Nothing here may panic or hang, whatever the bytes.
//!
//! This file is also compiled into `crates/btf/tests/fuzz_props.rs` (by
//! `#[path]`), so it depends on nothing but `corex_btf`.

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

use corex_btf::dump::{self, Filter};
use corex_btf::write::BtfBuilder;
use corex_btf::{write, Btf, BtfExt, Endian, NameIndex, TypeId};

use crate::seeds;

/// The base that inputs are also parsed on as split BTF: [`seeds::all_kinds`].
pub fn split_base() -> Arc<Btf> {
    static BASE: OnceLock<Arc<Btf>> = OnceLock::new();
    BASE.get_or_init(|| {
        let bytes = seeds::build(&seeds::all_kinds(), Endian::Little);
        Arc::new(Btf::parse(&bytes).expect("the seed base BTF parses"))
    })
    .clone()
}

/// Raw BTF, parsed both standalone and split on [`split_base`].
pub fn btf_parse(data: &[u8]) {
    if let Ok(btf) = Btf::parse(data) {
        btf_everything(&btf);
    }
    if let Ok(btf) = Btf::parse_split(data, split_base()) {
        btf_everything(&btf);
    }
}

/// Any container `corex_btf::load` recognises. A plain tar (which `load`
/// does not take) is also compressed and loaded as a BTFHub `.tar.xz`: random
/// edits of a `.tar.xz` hardly ever get past the xz checksums to the tar
/// reader. It is compressed twice, as one xz stream and as two with stream
/// padding between them, and both must load alike.
pub fn btf_load(data: &[u8]) {
    load_everything(data);
    if data.get(257..262) == Some(b"ustar") {
        let (head, tail) = data.split_at(data.len() / 2);
        let one_stream = load_everything(&xz(&[data]));
        let two_streams = load_everything(&xz(&[head, tail]));
        assert_eq!(
            one_stream, two_streams,
            "a tar read from one xz stream and from two"
        );
    }
}

/// Each part compressed as its own xz stream, each followed by four bytes of
/// stream padding.
fn xz(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let mut xz = xz2::write::XzEncoder::new(Vec::new(), 0);
        xz.write_all(part)
            .expect("compressing into memory cannot fail");
        out.extend(xz.finish().expect("compressing into memory cannot fail"));
        out.extend([0; 4]);
    }
    out
}

/// Loads `data` and uses everything; returns the raw dump of what loaded.
fn load_everything(data: &[u8]) -> Option<Vec<u8>> {
    let loaded = corex_btf::load(data, None).ok()?;
    btf_everything(&loaded.btf);
    if let Some(ext) = &loaded.ext {
        ext_everything(&loaded.btf, ext);
        let _ = ext.validate_against(&loaded.btf);
    }
    Some(raw_dump_with_bases(&loaded.btf))
}

/// A `.BTF.ext` section on its own, its records looked up in [`split_base`].
pub fn btf_ext(data: &[u8]) {
    if let Ok(ext) = BtfExt::parse(data) {
        ext_everything(&split_base(), &ext);
    }
}

/// Uses every record of `ext`, resolving its type ids and strings in `btf`.
pub fn ext_everything(btf: &Btf, ext: &BtfExt) {
    for s in &ext.func_info {
        let _ = btf.str_at(s.sec_name_off);
        for r in &s.records {
            let _ = btf.type_by_id(r.type_id).map(|t| t.name());
        }
    }
    for s in &ext.line_info {
        for r in &s.records {
            let _ = (btf.str_at(r.file_name_off), btf.str_at(r.line_off));
            let _ = (r.line(), r.column());
        }
    }
    for s in &ext.core_relos {
        for r in &s.records {
            let _ = btf.str_at(r.access_str_off);
            let _ = btf.type_by_id(r.type_id).map(|t| btf.resolve_size(t.id()));
        }
    }
}

/// Everything a parsed BTF offers: every lookup on every id, raw, JSON and C
/// dumps, and a write/re-parse round trip that must give the same raw dump.
pub fn btf_everything(btf: &Btf) {
    for id in btf.all_ids() {
        let t = btf.get(id).expect("every id below type_count exists");
        let _ = (t.name(), t.kind(), t.vlen(), t.kflag(), t.int(), t.array());
        let _ = (t.linkage(), t.component_idx(), t.to_def());
        let _ = (t.members().count(), t.enum_values().count());
        let _ = (t.params().count(), t.datasec_vars().count());
        for r in t.referenced_ids() {
            assert!(
                btf.type_by_id(r).is_some(),
                "[{id}] refers to {r}, which parsing let through"
            );
        }
        let _ = btf.resolve_size(id);
        let _ = btf.skip_mods_and_typedefs(id);
        let _ = btf.skip_mods(id);
    }
    let _ = btf.type_by_id(TypeId(btf.type_count()));
    check_name_lookups(btf);
    if let Some(last) = btf.all_ids().last() {
        check_subset(btf, last);
    }

    let all = Filter::default();
    dump::json::dump(btf, &all, &mut io::sink()).expect("dumping to a sink cannot fail");
    // Errors are fine here (a cycle C cannot express); panics and hangs are not.
    let _ = dump::c::dump(btf, &mut io::sink());
    let before = raw_dump_with_bases(btf);
    for endian in [Endian::Little, Endian::Big] {
        let written = write::write(btf, endian)
            .unwrap_or_else(|e| panic!("parsed BTF cannot be written back: {e}"));
        let again = Btf::parse(&written)
            .unwrap_or_else(|e| panic!("BTF written from parsed BTF does not parse: {e}"));
        assert_eq!(
            raw_dump_with_bases(&again),
            before,
            "write/parse round trip changed the BTF"
        );
    }
}

/// Every named type is found by its name and kind, as the first of that name
/// and kind in id order, and by its essential name in the full index.
fn check_name_lookups(btf: &Btf) {
    let index = NameIndex::new(btf);
    let mut first = std::collections::HashMap::new();
    for t in btf.types().filter(|t| !t.name().is_empty()) {
        let first = *first.entry((t.kind(), t.name())).or_insert(t.id());
        let found = btf.find_by_name_kind(t.name(), t.kind());
        assert_eq!(found, Some(first), "lookup of {} {:?}", t.kind(), t.name());
        let essential = corex_btf::essential_name(t.name());
        assert!(
            essential.is_empty() || index.get(btf, essential).contains(&t.id()),
            "[{}] is missing from the index under {essential:?}",
            t.id()
        );
    }
}

/// What `root` needs (every type it reaches), kept and renumbered by
/// `BtfBuilder::retain` with only the strings it names: every kept type is
/// the original with its references remapped, and the written subset
/// parses. Returns the subset.
pub fn check_subset(btf: &Btf, root: TypeId) -> Btf {
    let mut keep = HashSet::from([root]);
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        for r in btf.ty(id).referenced_ids() {
            if r != TypeId::VOID && keep.insert(r) {
                todo.push(r);
            }
        }
    }
    let mut b = BtfBuilder::from_btf(btf);
    let map = b
        .retain(|id, _| keep.contains(&id))
        .unwrap_or_else(|e| panic!("a closed subset cannot be kept: {e}"));
    b.drop_unused_strings();
    let subset = b
        .to_btf()
        .unwrap_or_else(|e| panic!("the kept subset does not parse: {e}"));
    assert_eq!(subset.type_count() as usize, keep.len() + 1);
    let mut last = TypeId::VOID;
    for old in btf.all_ids().filter(|id| keep.contains(id)) {
        let new = map.get(old).expect("kept");
        assert!(new > last, "kept types stay in id order");
        last = new;
        let mut expected = btf.ty(old).to_def();
        for r in expected.refs_mut() {
            *r = map.get(*r).expect("kept");
        }
        assert_eq!(subset.ty(new).to_def(), expected, "[{old}] kept as [{new}]");
    }
    subset
}

/// Raw dump of `btf` preceded by its bases' (what `write` flattens into one).
fn raw_dump_with_bases(btf: &Btf) -> Vec<u8> {
    let mut out = match btf.base() {
        Some(base) => raw_dump_with_bases(base),
        None => Vec::new(),
    };
    dump::raw::dump(btf, &Filter::default(), &mut out).expect("dumping to memory cannot fail");
    out
}
