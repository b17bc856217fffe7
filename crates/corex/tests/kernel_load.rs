//! Loading bpf/loader-tests objects into this kernel through the public
//! API, running their programs (BPF_PROG_TEST_RUN) and reading what they
//! saw; after each test the kernel's id lists prove that every map,
//! program and BTF object the load made is gone. Needs root.

mod common;

use common::sys::require_privileges;
use common::{loader_test, unload};
use corex::sys::{Mmap, Protection, TestRun};
use corex::uapi::{flags, MapType};
use corex::{GlobalValue, LoadedObject, MapOrigin, OpenObject};
use std::os::fd::AsFd;

/// Runs `program` of `loaded` once on CPU 0 with a raw tracepoint context
/// of two u64 arguments; its return value.
fn run(loaded: &LoadedObject, program: &str) -> u32 {
    let prog = loaded.program(program).expect("loaded");
    let ctx = [0u8; 16];
    let mut run = TestRun::default();
    run.ctx_in = &ctx;
    run.flags = flags::test_run::RUN_ON_CPU;
    run.cpu = 0;
    prog.test_run(&mut run).unwrap().retval
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap())
}

#[test]
fn every_map_type_is_created_filled_and_used() {
    require_privileges();
    let loaded = OpenObject::open(loader_test("maps.bpf.o"))
        .unwrap()
        .load()
        .unwrap();
    let map = |name: &str| loaded.map(name).unwrap_or_else(|| panic!("map {name}"));
    let types = [
        ("hash_map", MapType::HASH),
        ("array_map", MapType::ARRAY),
        ("percpu_hash_map", MapType::PERCPU_HASH),
        ("percpu_array_map", MapType::PERCPU_ARRAY),
        ("lru_hash_map", MapType::LRU_HASH),
        ("lru_percpu_hash_map", MapType::LRU_PERCPU_HASH),
        ("ringbuf_map", MapType::RINGBUF),
        ("perf_map", MapType::PERF_EVENT_ARRAY),
        ("stack_map", MapType::STACK_TRACE),
        ("prog_array", MapType::PROG_ARRAY),
        ("cgroup_map", MapType::CGROUP_ARRAY),
        ("inner_a", MapType::ARRAY),
        ("outer_array", MapType::ARRAY_OF_MAPS),
        ("outer_hash", MapType::HASH_OF_MAPS),
        ("outer_template", MapType::HASH_OF_MAPS),
    ];
    for (name, map_type) in types {
        assert_eq!(map(name).map_type(), map_type, "{name}");
        let info = map(name).fd().info().unwrap();
        assert_eq!((info.id, info.map_type), (map(name).id(), map_type));
    }
    // No max_entries in the object: one slot per possible CPU.
    let cpus = corex::Kernel::running().unwrap().possible_cpus().unwrap();
    assert_eq!(map("perf_map").max_entries(), cpus);
    // BTF key and value types reach the kernel.
    let info = map("hash_map").fd().info().unwrap();
    assert!(info.btf_id != 0 && info.btf_key_type_id != 0 && info.btf_value_type_id != 0);

    assert_eq!(
        run(&loaded, "exercise_maps"),
        0,
        "the tail call ends the run"
    );
    let key = 1u32.to_ne_bytes();
    let value = |name: &str| map(name).lookup(&key).unwrap().expect(name);
    assert_eq!(u64_at(&value("hash_map"), 0), 0x1111);
    assert_eq!(u64_at(&value("array_map"), 0), 0x2222);
    assert_eq!(u64_at(&value("lru_hash_map"), 0), 0x5555);
    // Per-CPU values: one 8-byte slot per possible CPU, CPU 0's written.
    for (name, want) in [
        ("percpu_hash_map", 0x3333),
        ("percpu_array_map", 0x4444),
        ("lru_percpu_hash_map", 0x6666),
    ] {
        let all = value(name);
        assert_eq!(all.len(), 8 * cpus as usize, "{name}");
        assert_eq!(u64_at(&all, 0), want, "{name}");
    }
    // Inner maps reached through their outer maps' initial values.
    let inner_of = |outer: &str, slot: u32| {
        let id = u32_at(&map(outer).lookup(&slot.to_ne_bytes()).unwrap().unwrap(), 0);
        corex::sys::MapFd::from_id(id).unwrap()
    };
    let mut v = [0u8; 8];
    assert!(inner_of("outer_array", 0)
        .lookup(&0u32.to_ne_bytes(), &mut v, 0)
        .unwrap());
    assert_eq!(u64::from_ne_bytes(v), 0x8888);
    assert!(inner_of("outer_array", 2)
        .lookup(&1u32.to_ne_bytes(), &mut v, 0)
        .unwrap());
    assert_eq!(u64::from_ne_bytes(v), 0x9999);
    assert!(inner_of("outer_hash", 5)
        .lookup(&7u32.to_ne_bytes(), &mut v, 0)
        .unwrap());
    assert_eq!(u64::from_ne_bytes(v), 0xbbbb);
    assert_eq!(
        inner_of("outer_array", 0).info().unwrap().id,
        map("inner_a").id()
    );
    // The ring buffer holds one record: producer position = header + 8.
    let page = corex::sys::page_size();
    let producer = Mmap::map(
        map("ringbuf_map").as_fd(),
        page,
        page as u64,
        Protection::Read,
    )
    .unwrap();
    assert_eq!(producer.load_acquire_u64(0), 16);
    drop(producer);

    let results = loaded.global("results").unwrap();
    let field = |i: usize| u64_at(&results, 8 * i) as i64;
    assert_eq!(field(0), -2, "perf output without a reader: -ENOENT");
    assert_eq!(field(2), -11, "empty cgroup array slot: -EAGAIN");
    assert_eq!(field(3), 0, "ring buffer output");
    assert_eq!(
        field(4),
        7,
        "inner maps found through slots 0, 2 and 5, not 1"
    );
    assert_eq!(
        field(5),
        0xaaaa,
        "tail call through the program array's initial value"
    );
    assert_eq!(field(6), 1, "one run");
    unload(loaded);
}

#[test]
fn global_data_set_before_load_and_read_and_written_after() {
    require_privileges();
    let mut obj = OpenObject::open(loader_test("globals.bpf.o")).unwrap();
    obj.set_global("ro_u8", GlobalValue::Int(0xa5)).unwrap();
    obj.set_global("ro_s16", GlobalValue::Int(-1234)).unwrap();
    obj.set_global("ro_u32", GlobalValue::Int(0xdead_beef))
        .unwrap();
    obj.set_global("ro_bool", GlobalValue::Bool(true)).unwrap();
    obj.set_global("ro_str", GlobalValue::Str("corex")).unwrap();
    obj.set_global("ro_mode", GlobalValue::Int(2)).unwrap();
    obj.set_global("ro_other", GlobalValue::Int(0x1234))
        .unwrap();
    obj.set_global("data_u64", GlobalValue::Int(1000)).unwrap();
    let err = obj.set_global("ro_u8", GlobalValue::Int(256)).unwrap_err();
    assert!(err.to_string().contains("ro_u8"), "{err}");
    let loaded = obj.load().unwrap();
    for (name, read_only) in [(".rodata", true), (".data", false), (".bss", false)] {
        let map = loaded
            .maps()
            .find(
                |m| matches!(m.origin(), MapOrigin::GlobalData { section, .. } if section == name),
            )
            .unwrap();
        assert!(
            map.flags() & flags::map::MMAPABLE != 0,
            "{name} is mmap-able"
        );
        assert_eq!(
            map.origin(),
            &MapOrigin::GlobalData {
                section: name.into(),
                read_only
            }
        );
    }
    assert_eq!(run(&loaded, "snapshot"), 0);
    // Written from user space between runs, through the mapped memory.
    loaded
        .set_global("data_custom", &500u64.to_ne_bytes())
        .unwrap();
    assert_eq!(run(&loaded, "snapshot"), 0);

    let out = loaded
        .map("out")
        .unwrap()
        .lookup(&0u32.to_ne_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        u64_at(&out, 0),
        0x4444_4444_4444_4444,
        "ro_u64 kept its initial value"
    );
    assert_eq!(u32_at(&out, 16), 0xdead_beef, "ro_u32");
    assert_eq!(u32_at(&out, 24), 2, "ro_mode");
    assert_eq!(i16::from_ne_bytes([out[32], out[33]]), -1234, "ro_s16");
    assert_eq!((out[34], out[35]), (0xa5, 1), "ro_u8, ro_bool");
    assert_eq!(&out[36..42], b"corex\0", "ro_str");
    assert_eq!(u64_at(&out, 48), 0xc0de, "ro_custom");
    assert_eq!(u32_at(&out, 56), 7, "ro_custom_arr[0]");
    assert_eq!(u16::from_ne_bytes([out[68], out[69]]), 0x1234, "ro_other");
    assert_eq!(
        u64_at(&out, 72),
        1001,
        "data_u64: the value set, + 1 by the first run"
    );
    assert_eq!(u64_at(&out, 104), 500, "data_custom as written after load");
    assert_eq!(u64_at(&out, 128), 1, "bss_runs seen by the second run");
    // Read back after the runs.
    assert_eq!(loaded.global("bss_runs").unwrap(), 2u64.to_ne_bytes());
    assert_eq!(loaded.global("data_u64").unwrap(), 1002u64.to_ne_bytes());
    assert_eq!(loaded.global("data_custom").unwrap(), 501u64.to_ne_bytes());
    assert_eq!(
        loaded.global("ro_u32").unwrap(),
        0xdead_beefu32.to_ne_bytes()
    );
    let squares: Vec<u32> = loaded
        .global("bss_squares")
        .unwrap()
        .chunks(4)
        .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49]);
    // .rodata is frozen: user space cannot write it after load.
    let err = loaded.set_global("ro_u32", &[0; 4]).unwrap_err();
    assert!(err.to_string().contains("read-only once loaded"), "{err}");
    let err = loaded.set_global("bss_runs", &[0; 4]).unwrap_err();
    assert!(
        err.to_string().contains("has 8 bytes, the value 4"),
        "{err}"
    );
    assert!(loaded.global("no_such_global").is_err());
    unload(loaded);
}

#[test]
fn kconfig_externs_match_the_kernel_configuration() {
    require_privileges();
    let kernel = corex::Kernel::running().unwrap();
    let config = kernel.kconfig().unwrap().to_owned();
    let option = |name: &str| {
        config
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    let loaded = OpenObject::open(loader_test("kconfig.bpf.o"))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(run(&loaded, "read_kconfig"), 0);
    let seen = loaded.global("kconfig_seen").unwrap();
    let parse = |text: String| -> u64 {
        match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
            None => text.parse().unwrap(),
        }
    };
    assert_eq!(
        u64_at(&seen, 0),
        parse(option("CONFIG_PHYSICAL_START").unwrap())
    );
    assert_eq!(
        u64_at(&seen, 8),
        parse(option("CONFIG_ILLEGAL_POINTER_VALUE").unwrap())
    );
    assert_eq!(u32_at(&seen, 16), kernel.version_code());
    assert_eq!(
        u64::from(u32_at(&seen, 20)),
        parse(option("CONFIG_HZ").unwrap())
    );
    let tristate = match option("CONFIG_BLK_DEV_LOOP").as_deref() {
        Some("y") => 1,
        Some("m") => 2,
        _ => 0,
    };
    assert_eq!(u32_at(&seen, 24), tristate, "CONFIG_BLK_DEV_LOOP");
    assert_eq!(
        (u32_at(&seen, 28), u32_at(&seen, 32)),
        (0, 0),
        "weak absent"
    );
    let features = kernel.features();
    assert_eq!(seen[36], u8::from(features.has(corex::Feature::BpfCookie)));
    assert_eq!(seen[37], 1, "x86_64 enters system calls through wrappers");
    assert_eq!(
        (seen[38], seen[39]),
        (1, b'y'),
        "CONFIG_BPF_SYSCALL, CONFIG_CGROUPS"
    );
    assert_eq!(
        u64::from(seen[40]),
        parse(option("CONFIG_LOG_BUF_SHIFT").unwrap())
    );
    assert_eq!(seen[41], 0, "weak absent bool");
    let hostname = option("CONFIG_DEFAULT_HOSTNAME").unwrap();
    let hostname = hostname.trim_matches('"');
    assert_eq!(&seen[42..42 + hostname.len()], hostname.as_bytes());
    unload(loaded);
}

#[test]
fn ksyms_resolve_and_a_missing_typed_ksym_address_is_reported() {
    require_privileges();
    let loaded = OpenObject::open(loader_test("ksyms.bpf.o"))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(run(&loaded, "read_ksyms"), 0);
    let seen = loaded.global("ksyms_seen").unwrap();
    let kallsyms = corex::Kernel::running().unwrap().kallsyms().unwrap();
    assert!(kallsyms.addresses("schedule").contains(&u64_at(&seen, 0)));
    assert_eq!(u64_at(&seen, 8), 0, "weak absent typeless ksym");
    assert_eq!(u64_at(&seen, 16), 0, "weak absent typed ksym");
    assert_eq!(u64_at(&seen, 24) as i64, -1, "its guarded use never ran");
    unload(loaded);

    // This kernel lists no variables in kallsyms (no CONFIG_KALLSYMS_ALL):
    // the kernel cannot place the typed ksym, and says so.
    let err = OpenObject::open(loader_test("ksyms_typed.bpf.o"))
        .unwrap()
        .load()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("program 'read_typed_ksym'")
            && text.contains("ENOENT")
            && text.contains("failed to find the address for kernel symbol 'process_counts'"),
        "{text}"
    );
    common::assert_all_gone(&common::released_ids(&err));
}

#[test]
fn kfunc_program_loads_and_runs_on_fork() {
    require_privileges();
    let mut obj = OpenObject::open(loader_test("kfunc.bpf.o")).unwrap();
    obj.set_global(
        "parent_tgid",
        GlobalValue::Int(i128::from(std::process::id())),
    )
    .unwrap();
    let loaded = obj.load().unwrap();
    let prog = loaded.program("task_newtask").unwrap();
    let btf = prog.attach_btf().expect("tp_btf has an attach BTF target");
    assert_eq!(btf.module, None);
    assert!(btf.name.contains("task_newtask"), "{btf:?}");
    let link = corex::sys::LinkFd::raw_tracepoint(prog.fd(), None).unwrap();
    let child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    let mut child = child;
    child.wait().unwrap();
    drop(link);
    let seen = loaded.global("kfunc_seen").unwrap();
    assert!(u64_at(&seen, 0) >= 1, "acquired through the kfunc");
    assert_eq!(
        u32_at(&seen, 8),
        pid,
        "the child's pid, read through the kfunc's reference"
    );
    unload(loaded);
}

#[test]
fn subprograms_are_linked_into_each_program() {
    require_privileges();
    let loaded = OpenObject::open(loader_test("subprogs.bpf.o"))
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(run(&loaded, "sum_squares"), 17);
    assert_eq!(run(&loaded, "sum_again"), 53);
    for prog in loaded.programs() {
        let info = prog.fd().info().unwrap();
        assert!(
            info.nr_jited_func_lens > 1,
            "{} has its callees",
            prog.name()
        );
        assert!(info.btf_id != 0, "{} carries func info", prog.name());
    }
    unload(loaded);
}

#[test]
fn buffers_object_loads_with_cpu_sized_perf_array() {
    require_privileges();
    let loaded = OpenObject::open(loader_test("buffers.bpf.o"))
        .unwrap()
        .load()
        .unwrap();
    let cpus = corex::Kernel::running().unwrap().possible_cpus().unwrap();
    assert_eq!(loaded.map("perf").unwrap().max_entries(), cpus);
    assert_eq!(loaded.map("ring").unwrap().max_entries(), 256 * 1024);
    unload(loaded);
}
