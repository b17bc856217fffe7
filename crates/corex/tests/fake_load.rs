//! The loader's decisions with a fake kernel (corex-sys's fake bpf(2)), no
//! root needed: bad objects are refused, naming the file and what is
//! wrong, before any bpf(2) command; a failure part way releases
//! everything made before it (the fds the fake handed out are all closed,
//! the pins made removed); the verifier log buffer grows until the log
//! fits, and no further than libbpf's largest.

mod common;

use common::fake::{fake, still_open, FakeDir, Record};
use common::{compile_bpf, elf_section, loader_test};
use corex::sys::attr::{read_attr, write_attr, ProgLoadAttr};
use corex::sys::{with_fake_bpf, Errno};
use corex::uapi::BpfCmd;
use corex::{Features, Kernel, OpenObject, Outcome};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

/// A kernel with every feature, never probed.
fn kernel() -> Kernel {
    Kernel::new().unwrap().assume_features(Features::all())
}

/// Opens and loads the object at `path` with a fake that records the
/// commands and must see none; the error's text.
fn refused_before_the_kernel(path: &Path) -> String {
    let dir = FakeDir::new("refused");
    let record = Rc::new(RefCell::new(Record::default()));
    let kernel = kernel();
    let result = with_fake_bpf(fake(dir.dir.clone(), record.clone(), |_, _| None), || {
        OpenObject::open(path).and_then(|o| o.load_into(&kernel))
    });
    let err = result.expect_err("a bad object must not load");
    assert_eq!(record.borrow().cmds, [], "{}: {err}", path.display());
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "names the file: {text}"
    );
    text
}

#[test]
fn truncated_objects_are_refused_naming_the_file() {
    let dir = FakeDir::new("truncated");
    let data = std::fs::read(loader_test("maps.bpf.o")).unwrap();
    let maps = elf_section(&data, ".maps");
    for len in [10, 64, maps.start + 4, data.len() / 2, data.len() - 1] {
        let path = dir.dir.join(format!("maps_{len}.bpf.o"));
        std::fs::write(&path, &data[..len]).unwrap();
        let text = refused_before_the_kernel(&path);
        assert!(text.len() > path.display().to_string().len() + 10, "{text}");
    }
}

#[test]
fn bad_relocations_are_refused_naming_the_file() {
    let dir = FakeDir::new("reloc");
    let data = std::fs::read(loader_test("subprogs.bpf.o")).unwrap();
    let rel = elf_section(&data, ".relraw_tp");
    // A relocation naming a symbol that does not exist.
    let mut bad_symbol = data.clone();
    bad_symbol[rel.start + 12..rel.start + 16].copy_from_slice(&0xfff0u32.to_le_bytes());
    let path = dir.dir.join("bad_symbol.bpf.o");
    std::fs::write(&path, &bad_symbol).unwrap();
    let text = refused_before_the_kernel(&path);
    assert!(text.contains("symbol"), "{text}");
    // A relocation in the middle of an instruction.
    let mut bad_offset = data.clone();
    bad_offset[rel.start..rel.start + 8].copy_from_slice(&3u64.to_le_bytes());
    let path = dir.dir.join("bad_offset.bpf.o");
    std::fs::write(&path, &bad_offset).unwrap();
    refused_before_the_kernel(&path);
}

/// A one-map object: `map` declared in `.maps` as `NAME`, used by a raw
/// tracepoint program whose body is `body`.
fn one_map_object(dir: &Path, name: &str, map: &str, body: &str) -> std::path::PathBuf {
    let source = format!(
        "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\
         char LICENSE[] SEC(\"license\") = \"GPL\";\n\
         struct {{ {map} }} {name} SEC(\".maps\");\n\
         SEC(\"raw_tp\") int prog(void *ctx) {{ {body} }}\n"
    );
    compile_bpf(dir, name, &source)
}

#[test]
fn maps_with_impossible_sizes_are_refused_naming_the_file() {
    let dir = FakeDir::new("sizes");
    let conflicting = one_map_object(
        &dir.dir,
        "conflicting",
        "__uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __uint(key_size, 4); \
         __type(key, __u64); __type(value, __u64);",
        "__u64 k = 0; return bpf_map_lookup_elem(&conflicting, &k) != 0;",
    );
    let text = refused_before_the_kernel(&conflicting);
    assert!(
        text.contains("conflicting") && text.contains("key size 4 != 8"),
        "{text}"
    );
    let empty_ring = one_map_object(
        &dir.dir,
        "ring",
        "__uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 0);",
        "__u64 v = 0; return bpf_ringbuf_output(&ring, &v, 8, 0);",
    );
    let text = refused_before_the_kernel(&empty_ring);
    assert!(text.contains("'ring'"), "{text}");
}

#[test]
fn unresolvable_objects_are_refused_before_the_kernel() {
    let text = refused_before_the_kernel(&loader_test("extern_missing.bpf.o"));
    assert!(text.contains("corex_no_such_symbol"), "{text}");
    let text = refused_before_the_kernel(&loader_test("static_in_section.bpf.o"));
    assert!(
        text.contains("'twice'") && text.contains("raw_tp/sys_exit"),
        "{text}"
    );
}

#[test]
fn third_map_failing_releases_the_first_two() {
    let dir = FakeDir::new("third");
    let record = Rc::new(RefCell::new(Record::default()));
    let kernel = kernel();
    let obj = OpenObject::open(loader_test("maps.bpf.o")).unwrap();
    let err = with_fake_bpf(
        fake(dir.dir.clone(), record.clone(), |call, seen| {
            // The fake takes the first two maps with their BTF types at the
            // first try; the third (and its retry without BTF) fails.
            let creates = seen
                .cmds
                .iter()
                .filter(|c| **c == BpfCmd::MAP_CREATE)
                .count();
            (call.cmd == BpfCmd::MAP_CREATE && creates > 2).then_some(Err(Errno::ENOMEM))
        }),
        || obj.load_into(&kernel),
    )
    .unwrap_err();
    let record = record.borrow();
    assert!(err.to_string().contains("ENOMEM"), "{err}");
    assert_eq!(
        record
            .cmds
            .iter()
            .filter(|c| **c == BpfCmd::PROG_LOAD)
            .count(),
        0
    );
    let report = err.load_report().unwrap();
    let made: Vec<&Outcome> = report.maps.iter().map(|m| &m.outcome).collect();
    assert_eq!(
        made.iter()
            .filter(|o| matches!(o, Outcome::Released { .. }))
            .count(),
        2,
        "{made:?}"
    );
    assert_eq!(
        made.iter().filter(|o| **o == &Outcome::Failed).count(),
        1,
        "{made:?}"
    );
    assert!(report
        .programs
        .iter()
        .all(|p| p.outcome == Outcome::NotReached));
    assert!(
        record.files.len() >= 3,
        "BTF and two maps: {:?}",
        record.files
    );
    assert_eq!(still_open(&record), Vec::<std::path::PathBuf>::new());
}

#[test]
fn failed_program_releases_everything_and_removes_the_pins_it_made() {
    let dir = FakeDir::new("unpin");
    let pins = dir.dir.join("pins");
    let pin = pins.join("corex_pinned");
    let record = Rc::new(RefCell::new(Record::default()));
    let kernel = kernel();
    let mut obj = OpenObject::open(loader_test("pinned.bpf.o")).unwrap();
    obj.set_pin_root(&pins);
    let pin_file = pin.clone();
    let err = with_fake_bpf(
        fake(dir.dir.clone(), record.clone(), move |call, _| {
            match call.cmd {
                BpfCmd::OBJ_PIN => {
                    std::fs::write(&pin_file, b"").unwrap();
                    Some(Ok(0))
                }
                BpfCmd::PROG_LOAD => Some(Err(Errno::EACCES)),
                _ => None,
            }
        }),
        || obj.load_into(&kernel),
    )
    .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EACCES));
    assert!(record.borrow().cmds.contains(&BpfCmd::OBJ_PIN));
    assert!(!pin.exists(), "the pin this load made is removed");
    assert_eq!(
        still_open(&record.borrow()),
        Vec::<std::path::PathBuf>::new()
    );
}

#[test]
fn verifier_log_grows_until_it_fits_and_no_further() {
    for (needed, expected) in [
        (3 << 20, vec![0, 1 << 20, 3 << 20]),
        (u32::MAX, vec![0, 1 << 20, 4 << 20, u32::MAX >> 8]),
    ] {
        let dir = FakeDir::new("log");
        let record = Rc::new(RefCell::new(Record::default()));
        let kernel = kernel();
        let obj = OpenObject::open(loader_test("subprogs.bpf.o")).unwrap();
        let err = with_fake_bpf(
            fake(dir.dir.clone(), record.clone(), move |call, _| {
                if call.cmd != BpfCmd::PROG_LOAD {
                    return None;
                }
                let mut attr = read_attr::<ProgLoadAttr>(call.attr);
                if attr.log_size == 0 {
                    return Some(Err(Errno::EACCES));
                }
                if attr.log_size < needed {
                    // Linux 6.4+ says how large the log is.
                    attr.log_true_size = if needed == u32::MAX { 0 } else { needed };
                    write_attr(call.attr, &attr);
                    return Some(Err(Errno::ENOSPC));
                }
                Some(Err(Errno::EACCES))
            }),
            || obj.load_into(&kernel),
        )
        .unwrap_err();
        let record = record.borrow();
        let expected_errno = if needed == u32::MAX {
            Errno::ENOSPC
        } else {
            Errno::EACCES
        };
        assert_eq!(err.errno(), Some(expected_errno), "{err}");
        assert_eq!(record.log_sizes, expected, "log buffer sizes");
        assert_eq!(still_open(&record), Vec::<std::path::PathBuf>::new());
    }
}

#[test]
fn memlock_is_raised_only_where_bpf_memory_is_charged_to_it() {
    use corex::sys::{Capabilities, Capability, Limit};
    // Limits this process may always set (lowering needs no privilege),
    // with a soft limit below the hard one: something to raise even
    // without CAP_SYS_RESOURCE.
    let (soft, hard) = (Limit::Bytes(4 << 20), Limit::Bytes(8 << 20));
    corex::sys::set_memlock_limit(soft, hard).unwrap();
    let load = |kernel: Kernel| {
        let dir = FakeDir::new("memlock");
        let record = Rc::new(RefCell::new(Record::default()));
        let obj = OpenObject::open(loader_test("subprogs.bpf.o")).unwrap();
        with_fake_bpf(fake(dir.dir.clone(), record, |_, _| None), || {
            obj.load_into(&kernel)
        })
        .unwrap();
    };
    // memcg accounting (5.11+): libbpf leaves the limit alone, so does corex.
    load(kernel());
    assert_eq!(corex::sys::memlock_limit().unwrap(), (soft, hard));
    // Without it, BPF memory counts against RLIMIT_MEMLOCK: raised to
    // infinity, or without CAP_SYS_RESOURCE the soft limit to the hard one.
    load(kernel().assume_features(Features::all().without(corex::Feature::MemcgAccount)));
    let raised = if Capabilities::current()
        .unwrap()
        .has(Capability::SysResource)
    {
        (Limit::Infinity, Limit::Infinity)
    } else {
        (hard, hard)
    };
    assert_eq!(corex::sys::memlock_limit().unwrap(), raised);
}
