//! The Rust mirror of `bpf/execsnoop/execsnoop.h` is the header: a probe
//! source that includes the header is compiled by clang for the BPF target
//! (as the BPF side is), and its BTF gives every member's offset and size,
//! the drop keys and, through an enum, every `#define`; each must equal the
//! Rust side's. The committed objects use the same header (their freshness
//! is `crates/testkit/tests/bpf_objects_fresh.rs`'s business), and the
//! programs' own global settings are checked by name and size too.

use std::path::Path;
use std::process::Command;

use corex_btf::{Btf, Kind};
use corex_execsnoop::event::{self, LAYOUT};
use corex_execsnoop::{DROP_OUTPUT, DROP_REASONS, DROP_STAGE};

/// Includes the header and makes every part of it reach BTF.
const PROBE: &str = r#"
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
#include "execsnoop.h"

struct execsnoop_event probe_event;
enum execsnoop_drop probe_drop;
enum probe_defines {
	PROBE_COMM_LEN = EXECSNOOP_COMM_LEN,
	PROBE_PATH_MAX = EXECSNOOP_PATH_MAX,
	PROBE_ARGS_MAX = EXECSNOOP_ARGS_MAX,
	PROBE_MAX_ARGS_LIMIT = EXECSNOOP_MAX_ARGS_LIMIT,
	PROBE_DEFAULT_MAX_ARGS = EXECSNOOP_DEFAULT_MAX_ARGS,
	PROBE_ARGS_TRUNCATED = EXECSNOOP_ARGS_TRUNCATED,
	PROBE_ARGS_CUT = EXECSNOOP_ARGS_CUT,
	PROBE_PATH_CUT = EXECSNOOP_PATH_CUT,
	PROBE_ARGS_FAULT = EXECSNOOP_ARGS_FAULT,
	PROBE_PATH_FAULT = EXECSNOOP_PATH_FAULT,
	PROBE_EXECVEAT = EXECSNOOP_EXECVEAT,
	PROBE_HEADER_SIZE = __builtin_offsetof(struct execsnoop_event, data),
};
enum probe_defines probe_defines;
"#;

/// The probe's BTF, compiled with clang for `bpfel`.
fn probe_btf() -> Btf {
    let header_dir = corex_testkit::repo_root().join("bpf/execsnoop");
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "corex-execsnoop-layout-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("probe.c");
    let object = dir.join("probe.o");
    std::fs::write(&source, PROBE).unwrap();
    let out = Command::new("clang")
        .args(["-target", "bpfel", "-g", "-O2", "-c"])
        .arg("-I")
        .arg(&header_dir)
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .output()
        .unwrap_or_else(|e| panic!("clang (Debian's clang 14; scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "clang failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&object).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    corex_btf::load(&bytes, None).unwrap().btf
}

fn named<'b>(btf: &'b Btf, kind: Kind, name: &str) -> corex_btf::Type<'b> {
    btf.types()
        .find(|t| t.kind() == kind && t.name() == name)
        .unwrap_or_else(|| panic!("no {kind:?} {name} in the probe's BTF"))
}

fn enum_value(btf: &Btf, enum_name: &str, value_name: &str) -> i64 {
    named(btf, Kind::Enum, enum_name)
        .enum_values()
        .find(|v| v.name == value_name)
        .unwrap_or_else(|| panic!("no {value_name} in enum {enum_name}"))
        .value
}

#[test]
fn the_event_layout_is_the_headers() {
    let btf = probe_btf();
    let event = named(&btf, Kind::Struct, "execsnoop_event");
    let members: Vec<_> = event.members().collect();
    assert_eq!(
        members.iter().map(|m| m.name).collect::<Vec<_>>(),
        LAYOUT.iter().map(|f| f.name).collect::<Vec<_>>(),
        "member names and order"
    );
    for (m, field) in members.iter().zip(LAYOUT) {
        assert_eq!(m.bitfield_size, 0, "{} is not a bitfield", m.name);
        assert_eq!(
            m.bit_offset as usize,
            field.offset * 8,
            "offset of {}",
            m.name
        );
        let size = btf.resolve_size(m.ty).unwrap() as usize;
        assert_eq!(size, field.size, "size of {}", m.name);
    }
    assert_eq!(
        event.size() as usize,
        event::HEADER_SIZE,
        "sizeof the header"
    );
}

#[test]
fn the_constants_are_the_headers() {
    let btf = probe_btf();
    let define = |name: &str| enum_value(&btf, "probe_defines", name);
    assert_eq!(define("PROBE_COMM_LEN"), event::COMM_LEN as i64);
    assert_eq!(define("PROBE_PATH_MAX"), event::PATH_MAX as i64);
    assert_eq!(define("PROBE_ARGS_MAX"), event::ARGS_MAX as i64);
    assert_eq!(define("PROBE_MAX_ARGS_LIMIT"), event::MAX_ARGS_LIMIT as i64);
    assert_eq!(
        define("PROBE_DEFAULT_MAX_ARGS"),
        event::DEFAULT_MAX_ARGS as i64
    );
    assert_eq!(define("PROBE_HEADER_SIZE"), event::HEADER_SIZE as i64);
    let flag = |name: &str| {
        event::Flags::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .unwrap()
            .0
            .bits() as i64
    };
    assert_eq!(define("PROBE_ARGS_TRUNCATED"), flag("args_truncated"));
    assert_eq!(define("PROBE_ARGS_CUT"), flag("args_cut"));
    assert_eq!(define("PROBE_PATH_CUT"), flag("path_cut"));
    assert_eq!(define("PROBE_ARGS_FAULT"), flag("args_fault"));
    assert_eq!(define("PROBE_PATH_FAULT"), flag("path_fault"));
    assert_eq!(define("PROBE_EXECVEAT"), flag("execveat"));
    // Every flag the header defines has a name here, and no more.
    let header =
        std::fs::read_to_string(corex_testkit::repo_root().join("bpf/execsnoop/execsnoop.h"))
            .unwrap();
    let flags_defined = header
        .lines()
        .filter(|l| l.starts_with("#define EXECSNOOP_") && l.contains("(1u <<"))
        .count();
    assert_eq!(flags_defined, event::Flags::NAMED.len());
    let drop = |name: &str| enum_value(&btf, "execsnoop_drop", name);
    assert_eq!(drop("EXECSNOOP_DROP_OUTPUT"), DROP_OUTPUT as i64);
    assert_eq!(drop("EXECSNOOP_DROP_STAGE"), DROP_STAGE as i64);
    assert_eq!(drop("EXECSNOOP_DROP_REASONS"), DROP_REASONS as i64);
}

/// The settings the tracer writes exist in both objects with the size it
/// writes, and the maps it reads have the shapes it reads them with.
#[test]
fn the_objects_have_what_the_tracer_uses() {
    for (name, bytes) in [
        ("execsnoop.bpf.o", corex_execsnoop::RING_OBJECT),
        ("execsnoop_perf.bpf.o", corex_execsnoop::PERF_OBJECT),
    ] {
        let committed = std::fs::read(
            corex_testkit::repo_root()
                .join("bpf/execsnoop")
                .join(Path::new(name)),
        )
        .unwrap();
        assert!(
            committed == bytes,
            "{name}: the embedded object is the committed one"
        );
        let btf = corex_btf::load(bytes, None).unwrap().btf;
        for (global, size) in [
            ("max_args", 4),
            ("filter_uid", 1),
            ("target_uid", 4),
            ("filter_cgroup", 1),
            ("report_success", 1),
            ("wakeup_bytes", 4),
            ("stage_failed", 1),
        ] {
            let var = named(&btf, Kind::Var, global);
            assert_eq!(
                btf.resolve_size(var.type_id()),
                Some(size),
                "{name}: size of {global}"
            );
        }
        let drops = corex::OpenObject::from_bytes(name, bytes).unwrap();
        let object = drops.object();
        let map = |n: &str| {
            object
                .maps
                .iter()
                .find(|m| m.name == n)
                .unwrap_or_else(|| panic!("{name}: no map {n}"))
        };
        assert_eq!(map("drops").def.max_entries, DROP_REASONS);
        assert_eq!(map("drops").def.value_size, 8);
        assert_eq!(map("cgroup_filter").def.max_entries, 1);
        // exit_execve is attached to both syscall exits
        // (SYSCALL_ATTACHMENTS): it must be exit_execveat's code exactly,
        // for a context of the same type.
        let program = |n: &str| {
            object
                .programs
                .iter()
                .find(|p| p.name == n)
                .unwrap_or_else(|| panic!("{name}: no program {n}"))
        };
        let (execve, execveat) = (program("exit_execve"), program("exit_execveat"));
        assert_eq!(execve.insns(), execveat.insns(), "{name}");
        assert_eq!(execve.relocations, execveat.relocations, "{name}");
        assert_eq!(execve.section, "tracepoint/syscalls/sys_exit_execve");
        assert_eq!(execveat.section, "tracepoint/syscalls/sys_exit_execveat");
        for (program, _) in corex_execsnoop::SYSCALL_ATTACHMENTS {
            assert!(
                corex_execsnoop::SYSCALL_PROGRAMS.contains(&program),
                "{program} is attached but not loaded"
            );
        }
        for program in corex_execsnoop::AttachMode::AUTO_ORDER
            .iter()
            .map(|m| m.program())
            .chain(corex_execsnoop::SYSCALL_PROGRAMS)
        {
            assert!(
                drops.programs().any(|p| p.name == program),
                "{name}: no program {program}"
            );
        }
    }
}
