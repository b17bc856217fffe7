//! BTF as a kernel hands it out (a BTF object's data, `/sys/kernel/btf/*`,
//! which the loader reads) goes through the same checks as BTF from
//! anywhere else: a kernel's BTF mutated is refused with an error naming
//! the record, the field and the value, or it parses and every consumer
//! (the C, raw and JSON dumps, lookups) reads it without a panic.

use std::io;

use corex_btf::dump::{self, Filter};
use corex_btf::{Btf, Kind, Type, TypeId};
use corex_testkit::kernel_file;

fn read(kernel: &str, file: &str) -> Vec<u8> {
    std::fs::read(kernel_file(kernel, file)).expect("a fetched kernel file reads")
}

/// Debian 6.1's vmlinux BTF, exactly as that kernel hands it out.
fn vmlinux() -> Vec<u8> {
    read("debian-6.1", "vmlinux.btf")
}

/// Byte offset in the input of each type's record (index: id - first id).
fn record_offsets(data: &[u8], btf: &Btf) -> Vec<usize> {
    let header = btf.header();
    let mut at = (header.hdr_len + header.type_off) as usize;
    let mut out = Vec::new();
    for t in btf.types().filter(|t| t.id().0 >= btf.first_id()) {
        out.push(at);
        at += record_len(t);
    }
    assert_eq!(
        at,
        (header.hdr_len + header.type_off + header.type_len) as usize
    );
    assert!(at <= data.len());
    out
}

/// Bytes of a type's record: the 12-byte header and its kind's extra data.
fn record_len(t: Type<'_>) -> usize {
    12 + match t.kind() {
        Kind::Int | Kind::Var | Kind::DeclTag => 4,
        Kind::Array => 12,
        Kind::Struct | Kind::Union | Kind::Enum64 | Kind::Datasec => 12 * t.vlen(),
        Kind::Enum | Kind::FuncProto => 8 * t.vlen(),
        _ => 0,
    }
}

fn set_word(data: &mut [u8], at: usize, value: u32) {
    data[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Every type of `btf` read and each dump written (to a sink). The C dump
/// may refuse a type graph C cannot express; nothing may panic.
fn read_everything(btf: &Btf) {
    for t in btf.types() {
        let _ = (t.name(), t.members().count(), t.enum_values().count());
        let _ = (t.params().count(), btf.resolve_size(t.id()));
        let _ = btf.find_by_name_kind(t.name(), t.kind());
    }
    let all = Filter::default();
    dump::raw::dump(btf, &all, &mut io::sink()).expect("a sink takes the raw dump");
    dump::json::dump(btf, &all, &mut io::sink()).expect("a sink takes the JSON dump");
    let _ = dump::c::dump(btf, &mut io::sink());
}

/// The `n`-th type (spread over the whole id range) that `pick` accepts.
fn nth<'b>(btf: &'b Btf, n: u32, pick: impl Fn(&Type<'_>) -> bool) -> Type<'b> {
    let types: Vec<Type<'b>> = btf
        .types()
        .filter(|t| t.id().0 >= btf.first_id() && pick(t))
        .collect();
    assert!(!types.is_empty(), "the kernel has such a type");
    types[(n as usize * 7919) % types.len()]
}

#[test]
fn mutated_references_are_refused_naming_the_record() {
    let data = vmlinux();
    let btf = Btf::from_vec(data.clone(), None).expect("Debian 6.1's BTF parses");
    let offsets = record_offsets(&data, &btf);
    let last = btf.type_count() - 1;
    let strings = btf.strings_len();
    let at = |t: &Type<'_>| offsets[(t.id().0 - btf.first_id()) as usize];
    for n in 0..8 {
        let ptr = nth(&btf, n, |t| t.kind() == Kind::Ptr);
        let s = nth(&btf, n, |t| t.kind() == Kind::Struct && t.vlen() > 2);
        let named = nth(&btf, n, |t| t.name_off() != 0);
        let enumeration = nth(&btf, n, |t| t.kind() == Kind::Enum);
        let cases: [(Type<'_>, usize, u32, String); 5] = [
            (
                ptr,
                8,
                last + 1,
                format!(
                    "type_id refers to type id {}, but the last type id is {last}",
                    last + 1
                ),
            ),
            (
                s,
                12 + 12 * 2 + 4,
                u32::MAX,
                format!("a member refers to type id {}, but the last", u32::MAX),
            ),
            (
                named,
                0,
                strings,
                format!("name string offset {strings} is past the string table ({strings} bytes)"),
            ),
            (
                s,
                12 + 12,
                strings + 1,
                format!("member name string offset {} is past", strings + 1),
            ),
            (
                enumeration,
                8,
                3,
                "ENUM of size 3 (must be 1, 2, 4 or 8)".to_owned(),
            ),
        ];
        for (t, word, value, why) in cases {
            let mut bad = data.clone();
            set_word(&mut bad, at(&t) + word, value);
            let e = Btf::from_vec(bad, None)
                .expect_err("a reference out of range is refused")
                .to_string();
            let record = format!("type [{}] at byte offset {}: ", t.id(), at(&t));
            assert!(
                e.starts_with(&record) && e.contains(&why),
                "{e}\nwanted {record}{why}"
            );
        }
    }
}

/// A small deterministic generator (xorshift), so every run makes the same
/// mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_kernel_btf_is_refused_or_read_without_a_panic() {
    let data = vmlinux();
    let btf = Btf::from_vec(data.clone(), None).expect("Debian 6.1's BTF parses");
    let header = *btf.header();
    let start = (header.hdr_len + header.type_off) as usize;
    let words = header.type_len as usize / 4;
    let count = btf.type_count();
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let (mut refused, mut parsed) = (0, 0);
    for _ in 0..40 {
        let mut bad = data.clone();
        // Values that matter: small ids and offsets, ids near the end,
        // random words.
        let r = rng.next();
        let value = match r % 4 {
            0 => (r >> 8) as u32 % 64,
            1 => count - 2 + (r >> 8) as u32 % 4,
            2 => (r >> 8) as u32 % count,
            _ => (r >> 16) as u32,
        };
        let at = start + 4 * (rng.next() as usize % words);
        set_word(&mut bad, at, value);
        match Btf::from_vec(bad, None) {
            Ok(btf) => {
                parsed += 1;
                read_everything(&btf);
            }
            Err(e) => {
                refused += 1;
                let e = e.to_string();
                assert!(e.starts_with("type ["), "{e}");
            }
        }
    }
    assert!(
        refused > 0 && parsed > 0,
        "{refused} refused, {parsed} parsed"
    );
}

#[test]
fn mutated_module_btf_on_its_base() {
    let base = std::sync::Arc::new(Btf::from_vec(vmlinux(), None).unwrap());
    let module = corex_btf::load(&read("debian-6.1", "modules/veth.ko"), Some(base.clone()))
        .expect("veth.ko's BTF loads on its base");
    let data = corex_btf::write::write(&module.btf, corex_btf::Endian::Little).unwrap();
    let split = Btf::from_vec(data.clone(), Some(base.clone())).unwrap();
    read_everything(&split);
    let offsets = record_offsets(&data, &split);
    let ptr = nth(&split, 0, |t| t.kind() == Kind::Ptr);
    let at = offsets[(ptr.id().0 - split.first_id()) as usize];
    let mut bad = data.clone();
    set_word(&mut bad, at + 8, split.type_count());
    let e = Btf::from_vec(bad, Some(base.clone()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("type [{}] at byte offset {at}", ptr.id())),
        "{e}"
    );
    // Into the base's types and strings: still valid.
    let mut into_base = data;
    set_word(&mut into_base, at + 8, 1);
    set_word(&mut into_base, at, 1);
    let btf = Btf::from_vec(into_base, Some(base)).unwrap();
    assert_eq!(btf.ty(ptr.id()).type_id(), TypeId(1));
    read_everything(&btf);
}
