//! Objects, configurations and kernels the plan refuses: each error names
//! the object and says what is wrong, before anything reaches a kernel.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use corex_btf::Btf;
use corex_object::load::{
    plan, Feature, Features, GlobalValue, Kallsyms, KernelBtf, KernelInputs, Lazy, LoadConfig,
};
use corex_object::Object;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn load(name: &str) -> (Object, LoadConfig) {
    let path = data(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let obj = Object::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    (obj, LoadConfig::for_file(name))
}

fn vmlinux() -> Arc<KernelBtf> {
    let path = corex_testkit::kernel_file("debian-6.12", "vmlinux.btf");
    let btf = Btf::parse(&std::fs::read(path).unwrap()).unwrap();
    Arc::new(KernelBtf::new("vmlinux", Arc::new(btf)))
}

fn kernel() -> KernelInputs<'static> {
    let mut k = KernelInputs::new(Features::all(), 0x060c00);
    k.vmlinux = Lazy::ready(vmlinux());
    k.kconfig = Lazy::ready("CONFIG_BPF_SYSCALL=y\n".to_owned());
    k.kallsyms = Lazy::ready(Arc::new(Kallsyms::default()));
    k
}

fn error(obj: &Object, config: &LoadConfig, kernel: &KernelInputs<'_>) -> String {
    match plan(obj, config, kernel) {
        Ok(_) => panic!("{}: planned", config.source()),
        Err(e) => e.to_string(),
    }
}

fn bad(n: u32) -> String {
    let name = format!("load/bad_{n}.bpf.o");
    let (obj, config) = load(&name);
    error(&obj, &config, &kernel())
}

/// Each mistake of bad.bpf.c, in its own object: the plan names the object
/// and the mistake. libbpf refuses every one too (cases 7 to 9 only when
/// the kernel refuses the map).
#[test]
fn bad_objects_are_refused_with_the_reason() {
    let expect = [
        (1, "load/bad_1.bpf.o: extern 'in_odd_section': it is in section '.odd'; externs must be __kconfig or __ksym"),
        (2, "load/bad_2.bpf.o: extern 'CONFIG_STRUCTURED': its type (4 bytes) is not bool, char, an integer of 1/2/4/8 bytes, enum libbpf_tristate or a char array"),
        (3, "load/bad_3.bpf.o: extern 'LINUX_MADE_UP': unknown LINUX_ extern (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and LINUX_HAS_SYSCALL_WRAPPER exist); mark it __weak to default it to 0"),
        (4, "load/bad_4.bpf.o: extern 'corex_no_such_ksym': not found in the kernel's BTF; mark it __weak if the program copes without it"),
        (5, "load/bad_5.bpf.o: extern 'bpf_prog_active': declared as struct rq, but the kernel's is int"),
        (6, "load/bad_6.bpf.o: extern 'corex_no_such_kfunc': not found in the kernel's or modules' BTF; mark it __weak if the program copes without it"),
        (7, "load/bad_7.bpf.o: map 'wide_keys': key_size is 8, but arrays and stack trace maps take 4-byte keys"),
        (8, "load/bad_8.bpf.o: map 'odd_stacks': value_size is 12, but stack trace values are a multiple of 8 bytes, at least 8"),
        (9, "load/bad_9.bpf.o: map 'no_size': ring buffer of size 0; max_entries must be a power-of-two multiple of the page size"),
        (11, "load/bad_11.bpf.o: program 'hidden_prog' in section 'tp/sched/sched_switch' is static; BPF programs must be global functions"),
        (12, "load/bad_12.bpf.o: program 'unknown_section': section 'corex_unknown/thing' names no program type libbpf knows"),
        (13, "load/bad_13.bpf.o: program 'missing_target': the kernel has no func 'corex_no_such_function' to attach to (looked in vmlinux and module BTF)"),
        (14, "load/bad_14.bpf.o: program 'missing_tracepoint': the kernel has no typedef 'btf_trace_corex_no_such_tracepoint' to attach to (looked in vmlinux and module BTF)"),
    ];
    for (n, message) in expect {
        assert_eq!(bad(n), message, "case {n}");
    }
    // A kernel without module BTF (before 5.11): vmlinux alone was searched.
    let (obj, config) = load("load/bad_13.bpf.o");
    let mut k = kernel();
    k.features = k.features.without(Feature::ModuleBtf);
    assert!(error(&obj, &config, &k).ends_with(
        "the kernel has no func 'corex_no_such_function' to attach to (looked in vmlinux BTF; this kernel has no module BTF)"
    ));
    // libbpf refuses an unknown map field at open; so does the parser.
    let e = Object::parse(&std::fs::read(data("load/bad_10.bpf.o")).unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "map 'strange': unknown field 'colour'");
}

#[test]
fn objects_libbpf_1_refuses() {
    let (obj, config) = load("legacy_maps.bpf.o");
    assert_eq!(
        error(&obj, &config, &kernel()),
        "legacy_maps.bpf.o: maps are defined in the legacy 'maps' section, which libbpf 1.0 and later refuse; declare them in '.maps' with __uint/__type"
    );
    let (obj, config) = load("core_basic.bpfeb.o");
    let mut k = kernel();
    k.endian = corex_btf::Endian::Little;
    assert_eq!(
        error(&obj, &config, &k),
        "core_basic.bpfeb.o: the object is Big-endian but the kernel is Little-endian"
    );
}

#[test]
fn configuration_mistakes_name_what_is_wrong() {
    let (obj, mut config) = load("load/maps.bpf.o");
    let e = config.set_autoload(&obj, "nope", true).unwrap_err();
    assert_eq!(e.to_string(), "the object has no program called 'nope'");
    let e = config.set_max_entries(&obj, "nope", 1).unwrap_err();
    assert_eq!(e.to_string(), "the object has no map called 'nope'");
    config.set_max_entries(&obj, "hash", 0).unwrap();
    assert_eq!(
        error(&obj, &config, &kernel()),
        "load/maps.bpf.o: map 'hash': max_entries is 0, but the kernel needs at least one entry"
    );
    let (obj, mut config) = load("load/maps.bpf.o");
    config.set_autocreate(&obj, "inner_b", false).unwrap();
    assert_eq!(
        error(&obj, &config, &kernel()),
        "load/maps.bpf.o: map 'outer_array': slot 2 of its initial value holds map 'inner_b', which is not created"
    );
    let (obj, mut config) = load("load/maps.bpf.o");
    config.set_autoload(&obj, "tail_b", false).unwrap();
    assert_eq!(
        error(&obj, &config, &kernel()),
        "load/maps.bpf.o: map 'jumps': slot 3 of its initial value holds program 'tail_b', which is not loaded"
    );
    let (obj, mut config) = load("load/calls.bpf.o");
    let e = config.set_autoload(&obj, "leaf", true).unwrap_err();
    assert_eq!(
        e.to_string(),
        "'leaf' is a .text function called by programs, not a program"
    );
}

#[test]
fn global_variables_are_checked_against_their_type() {
    let (obj, mut config) = load("load/globals.bpf.o");
    let mut set = |name: &str, v: GlobalValue<'_>| {
        config
            .set_global(&obj, name, v)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert_eq!(set("min_pid", GlobalValue::Int(7)), Ok(()));
    assert_eq!(
        set("min_pid", GlobalValue::Int(1 << 32)),
        Err("variable 'min_pid': 4294967296 does not fit its 4-byte unsigned type".into())
    );
    assert_eq!(
        set("delta", GlobalValue::Int(-40000)),
        Err("variable 'delta': -40000 does not fit its 2-byte signed type".into())
    );
    assert_eq!(
        set("min_pid", GlobalValue::Bytes(&[1, 2])),
        Err("variable 'min_pid': it is 4 bytes, the value is 2 bytes".into())
    );
    assert_eq!(
        set("min_pid", GlobalValue::Str("x")),
        Err("variable 'min_pid': it is const volatile __u32, not a char array".into())
    );
    assert_eq!(
        set("comm", GlobalValue::Str("eight!!!")),
        Err("variable 'comm': the string needs 9 bytes with its NUL, the array holds 8".into())
    );
    assert_eq!(
        set("verbose", GlobalValue::Int(1)),
        Err("variable 'verbose': it is const volatile _Bool, not an integer or enum".into())
    );
    assert_eq!(set("verbose", GlobalValue::Bool(true)), Ok(()));
    assert_eq!(set("mode", GlobalValue::Int(5)), Ok(()));
    assert_eq!(
        set("hidden_only", GlobalValue::Int(1)),
        Err("variable 'hidden_only': no such global variable in .data, .rodata or .bss (static and hidden variables cannot be set)".into())
    );
    assert_eq!(
        set("static_hits", GlobalValue::Int(1)),
        Err("variable 'static_hits': no such global variable in .data, .rodata or .bss (static and hidden variables cannot be set)".into())
    );
}

#[test]
fn kernel_inputs_that_are_missing_or_wrong() {
    let (obj, config) = load("load/calls.bpf.o");
    let mut k = kernel();
    k.vmlinux = Lazy::unavailable("cannot read /sys/kernel/btf/vmlinux: no such file");
    assert_eq!(
        error(&obj, &config, &k),
        "load/calls.bpf.o: vmlinux BTF is not available: cannot read /sys/kernel/btf/vmlinux: no such file"
    );
    let (obj, config) = load("load/externs.bpf.o");
    let mut k = kernel();
    k.kconfig = Lazy::ready("CONFIG_BPF_SYSCALL\n".to_owned());
    assert_eq!(
        error(&obj, &config, &k),
        "load/externs.bpf.o: kernel config line 1 'CONFIG_BPF_SYSCALL': no '=' separator"
    );
    let mut k = kernel();
    k.kconfig = Lazy::ready("CONFIG_HZ=y\n".to_owned());
    assert_eq!(
        error(&obj, &config, &k),
        "load/externs.bpf.o: extern 'CONFIG_HZ': the kernel config sets it to 'y', which implies a bool, tristate or char, but it is declared as integer"
    );
    let mut k = kernel();
    k.kconfig = Lazy::unavailable("neither /boot/config-6.12.0 nor /proc/config.gz exists");
    assert_eq!(
        error(&obj, &config, &k),
        "load/externs.bpf.o: the kernel configuration is not available: neither /boot/config-6.12.0 nor /proc/config.gz exists"
    );
    let mut k = kernel();
    k.kconfig = Lazy::ready(
        "CONFIG_BPF_SYSCALL=y\nCONFIG_NF_CONNTRACK=m\nCONFIG_HZ=100\nCONFIG_PHYSICAL_START=0\nCONFIG_DEFAULT_HOSTNAME=\"x\"\n".to_owned(),
    );
    k.kallsyms = Lazy::ready(Arc::new(
        Kallsyms::parse(
            "ffffffff81000000 D fake_typeless_symbol\nffffffff81000100 d fake_typeless_symbol\n",
        )
        .unwrap(),
    ));
    assert_eq!(
        error(&obj, &config, &k),
        "load/externs.bpf.o: extern 'fake_typeless_symbol': kallsyms gives it two addresses, 0xffffffff81000000 and 0xffffffff81000100"
    );
    k.kallsyms = Lazy::ready(Arc::new(Kallsyms::default()));
    assert_eq!(
        error(&obj, &config, &k),
        "load/externs.bpf.o: extern 'fake_typeless_symbol': not found in /proc/kallsyms; mark it __weak if the program copes without it"
    );
    let mut k = kernel();
    k.kernel_version = 0;
    k.features = Features::all().without(Feature::BpfCookie);
    assert_eq!(
        error(&obj, &config, &k),
        "load/externs.bpf.o: the kernel version is not available: it is 0 (unknown)"
    );
}

#[test]
fn a_failed_co_re_relocation_stops_the_plan() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bpf/core-tests/err_parse.bpf.o");
    let obj = Object::parse(&std::fs::read(&path).unwrap()).unwrap();
    let e = error(&obj, &LoadConfig::for_file("err_parse.bpf.o"), &kernel());
    assert!(
        e.starts_with("err_parse.bpf.o: program '") && e.contains(": CO-RE relocation #"),
        "{e}"
    );
}
