//! `corex inspect` and `corex reloc` on hostile objects (issue 6): names
//! that hold terminal escapes or invalid UTF-8 are shown escaped (exact
//! bytes), every cause of an error is said once, messages read well, and
//! 2,000 functions overlapping one 100,000-instruction `.text` fit in an
//! address space libbpf's per-program copies would not.

#[allow(dead_code)] // shared with the fuzz targets; not every helper is used here
#[path = "../../../fuzz/src/hostile.rs"]
mod hostile;
#[allow(dead_code)]
#[path = "../../../fuzz/src/objgen.rs"]
mod objgen;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A directory of its own for one test, emptied first, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(test: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("corex-hostile-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

impl Scratch {
    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }
}

fn corex(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corex"))
        .args(args)
        .output()
        .unwrap()
}

fn run(cmd: &str, file: &Path, more: &[&str]) -> Output {
    let mut args = vec![std::ffi::OsStr::new(cmd), file.as_os_str()];
    args.extend(more.iter().map(std::ffi::OsStr::new));
    corex(&args)
}

/// Stderr of a run that failed with status 2: one line.
#[track_caller]
fn failure(out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8");
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    stderr
}

/// Everything shown is printable: no control character but newline, no
/// bidi override, no invalid UTF-8.
#[track_caller]
fn assert_printable(bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).expect("output is UTF-8");
    for c in text.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{c:?} reached the output:\n{text}"
        );
    }
}

/// A name that recolours the terminal and reverses the text after it.
const EVIL: &str = "\x1b[31m\u{202e}x";
/// How corex shows it.
const SHOWN: &str = "\\x1b[31m\\u{202e}x";

#[test]
fn inspect_escapes_every_name() {
    let dir = scratch("inspect");
    let obj = dir.write("evil.o", &hostile::named(EVIL));
    let out = run("inspect", &obj, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_printable(&out.stdout);
    let text = String::from_utf8(out.stdout).unwrap();
    let path = obj.display();
    let expected = [
        format!("object: {path}"),
        format!("  prog{SHOWN} xdp/{SHOWN}                type unknown        attach -              target -                            8 insns"),
        format!("      insn #1     map{SHOWN} -> map 'map{SHOWN}'"),
        format!("      insn #3     var{SHOWN} -> .data.{SHOWN} + 0"),
        format!("      insn #5     ext{SHOWN} -> extern 'ext{SHOWN}' (kconfig)"),
        format!("  map{SHOWN} hash             key 4    value 4      max_entries 1024     flags 0x0  (.maps)"),
        format!("  .data.{SHOWN} data     4 bytes"),
        format!("      var{SHOWN} (offset 0, 4 bytes)"),
        format!("      ext{SHOWN} (offset 0, 4 bytes)"),
        format!("  ext{SHOWN}     kconfig"),
        format!("  prog 'prog{SHOWN}' (xdp/{SHOWN}):"),
        format!("    relo #0   insn #0     [61 10 00 00 00 00 00 00]  <byte_off> [2] struct st{SHOWN}.f{SHOWN} (0:0 @ offset 0)"),
    ];
    for line in expected {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in:\n{text}"
        );
    }
}

#[test]
fn reloc_escapes_every_name() {
    let dir = scratch("reloc");
    let obj = dir.write("evil.o", &hostile::named(EVIL));
    // Against itself: found; against the kernel: not found, in words.
    for (btf, expected) in [
        (
            obj.clone(),
            vec![
                format!("prog 'prog{SHOWN}' (xdp/{SHOWN}):"),
                format!("  relo #0 insn #0: <byte_off> [2] struct st{SHOWN}.f{SHOWN} (0:0 @ offset 0)"),
                format!("      target (candidate #0): [2] struct st{SHOWN}.f{SHOWN} (0:0 @ offset 0)"),
            ],
        ),
        (
            PathBuf::from("/sys/kernel/btf/vmlinux"),
            vec![format!("      poisoned (call 0xbad2310; fails only if reached): struct st{SHOWN} does not exist on this kernel")],
        ),
    ] {
        let out = run("reloc", &obj, &["--btf", btf.to_str().unwrap()]);
        assert_printable(&out.stdout);
        let text = String::from_utf8(out.stdout).unwrap();
        for line in expected {
            assert!(text.lines().any(|l| l == line), "no line {line:?} in:\n{text}");
        }
    }
}

/// An object with one program (`exit`), called `symbol`, in section
/// `section`, and the license `license`.
fn one_program(section: &[u8], symbol: &[u8], license: &[u8]) -> Vec<u8> {
    let le = corex_btf::Endian::Little;
    let mut elf = objgen::ElfWriter::new(le);
    let exit = objgen::insn(le, objgen::OP_EXIT, 0, 0, 0, 0).to_vec();
    let sec = elf.code(section, exit);
    elf.section(
        b"license",
        objgen::SHT_PROGBITS,
        objgen::SHF_ALLOC,
        license.to_vec(),
    );
    elf.symbol(objgen::Symbol::global(symbol, objgen::STT_FUNC, sec, 0, 8));
    elf.finish()
}

#[test]
fn names_that_are_not_utf8_are_shown_byte_by_byte() {
    let dir = scratch("utf8");
    let path = dir.write("sec.o", &one_program(b"xdp/\xff\x1b", b"p", b"GPL"));
    let err = failure(&run("inspect", &path, &[]));
    assert_eq!(
        err,
        format!(
            "corex: {}: section #1: the name 'xdp/\\xff\\x1b' is not valid UTF-8\n",
            path.display()
        )
    );
    let path = dir.write("sym.o", &one_program(b"xdp", b"caf\xe9", b"GPL"));
    let err = failure(&run("reloc", &path, &[]));
    assert_eq!(
        err,
        format!(
            "corex: {}: symbol #1: the name 'caf\\xe9' is not valid UTF-8\n",
            path.display()
        )
    );
    let path = dir.write("lic.o", &one_program(b"xdp", b"p", b"GPL\xff\x1b\0"));
    let err = failure(&run("inspect", &path, &[]));
    assert_eq!(
        err,
        format!(
            "corex: {}: section #2: the license 'GPL\\xff\\x1b' is not valid UTF-8\n",
            path.display()
        )
    );
    // Valid UTF-8 with escapes: shown escaped.
    let path = dir.write("lic2.o", &one_program(b"xdp", b"p", b"GPL\x1b[2J\0"));
    let out = run("inspect", &path, &[]);
    assert_printable(&out.stdout);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l == "license: GPL\\x1b[2J"), "{text}");
}

#[test]
fn errors_escape_names_and_paths() {
    let dir = scratch("errors");
    // A legacy map whose symbol lies past its section, in a file whose
    // name holds an escape too.
    let mut elf = objgen::ElfWriter::new(corex_btf::Endian::Little);
    let maps = elf.section(
        b"maps",
        objgen::SHT_PROGBITS,
        objgen::SHF_ALLOC,
        vec![0; 20],
    );
    let owned = b"\x1b]0;owned\x07";
    elf.symbol(objgen::Symbol::global(
        owned,
        objgen::STT_OBJECT,
        maps,
        u64::MAX - 3,
        20,
    ));
    let path = dir.write("m\x1bap.o", &elf.finish());
    let err = failure(&run("inspect", &path, &[]));
    let shown_dir = dir.0.display();
    assert_eq!(
        err,
        format!(
            "corex: {shown_dir}/m\\x1bap.o: symbol #1 '\\x1b]0;owned\\x07': map definition at offset {} is not one of the 20-byte slots of section 'maps' (20 bytes)\n",
            u64::MAX - 3
        )
    );
}

#[test]
fn btf_errors_say_each_cause_once() {
    let dir = scratch("once");
    let mut obj = hostile::named("n");
    // Break the .BTF magic.
    let at = obj
        .windows(4)
        .position(|w| w == [0x9f, 0xeb, 1, 0])
        .unwrap();
    obj[at] = 0;
    let path = dir.write("badbtf.o", &obj);
    obj[at] = 0x9f;
    // And the .BTF.ext magic (the second one in the file).
    let ext = at
        + 1
        + obj[at + 1..]
            .windows(4)
            .position(|w| w == [0x9f, 0xeb, 1, 0])
            .unwrap();
    obj[ext] = 0;
    let ext_path = dir.write("badext.o", &obj);
    // Each names the section once (.BTF.ext's error named it twice).
    for (path, what) in [
        (path, ".BTF: bad magic 0xeb00 at byte offset 0"),
        (ext_path, ".BTF.ext at byte offset 0: bad magic 0xeb00"),
    ] {
        for cmd in ["inspect", "reloc"] {
            let err = failure(&run(cmd, &path, &[]));
            assert_eq!(
                err,
                format!("corex: {}: {what} (expected 0xeb9f)\n", path.display()),
                "{cmd}"
            );
        }
    }
}

#[test]
fn raw_btf_is_named_with_the_command_that_reads_it() {
    let out = run("inspect", Path::new("/sys/kernel/btf/vmlinux"), &[]);
    assert_eq!(
        failure(&out),
        "corex: /sys/kernel/btf/vmlinux is raw BTF, not an ELF object; `corex btf dump /sys/kernel/btf/vmlinux` reads it\n"
    );
}

/// A little-endian ELF64 of machine `machine` and type `elf_type` with
/// the sections `names` (a `.BTF` one holds a valid BTF).
fn foreign_elf(machine: u16, elf_type: u16, names: &[&str]) -> Vec<u8> {
    let mut elf = objgen::ElfWriter::new(corex_btf::Endian::Little);
    for name in names {
        let data = if *name == ".BTF" {
            let mut b = corex_btf::write::BtfBuilder::new();
            b.add(&objgen::int_def("int"));
            b.to_bytes(corex_btf::Endian::Little).unwrap()
        } else {
            b"license=GPL\0".to_vec()
        };
        elf.section(name.as_bytes(), 1, 0, data); // SHT_PROGBITS
    }
    let mut bytes = elf.finish();
    bytes[16..18].copy_from_slice(&elf_type.to_le_bytes());
    bytes[18..20].copy_from_slice(&machine.to_le_bytes());
    bytes
}

#[test]
fn foreign_elf_says_what_it_is_and_which_command_reads_its_btf() {
    let dir = scratch("foreign");
    for (name, machine, elf_type, sections, what) in [
        (
            "vmlinux",
            62,
            2,
            &[".text", ".BTF"][..],
            "is an x86-64 ELF executable (e_machine 62, not EM_BPF 247), not a BPF object; \
             its .BTF section is read by `corex btf dump PATH`",
        ),
        (
            "mod.ko",
            62,
            1,
            &[".text", ".modinfo", ".BTF"][..],
            "is an x86-64 ELF kernel module (e_machine 62, not EM_BPF 247), not a BPF object; \
             its .BTF section is read by `corex btf dump --base /sys/kernel/btf/vmlinux PATH`",
        ),
        (
            "prog",
            183,
            3,
            &[".text"][..],
            "is an AArch64 ELF shared object (e_machine 183, not EM_BPF 247), not a BPF object",
        ),
        (
            "odd.o",
            9999,
            1,
            &[".text"][..],
            "is a machine 9999 ELF relocatable object (e_machine 9999, not EM_BPF 247), not a BPF object",
        ),
    ] {
        let path = dir.write(name, &foreign_elf(machine, elf_type, sections));
        let shown = path.display().to_string();
        let expected = format!("corex: {shown} {}\n", what.replace("PATH", &shown));
        for cmd in ["inspect", "reloc"] {
            assert_eq!(failure(&run(cmd, &path, &[])), expected, "{cmd} {name}");
        }
    }
}

#[test]
fn files_that_are_not_elf_say_so() {
    let dir = scratch("notelf");
    for (name, data, why) in [
        ("empty.o", &b""[..], "the file is empty"),
        (
            "text.o",
            &b"root:x:0:0\n"[..],
            "it does not start with the ELF magic bytes 7f 45 4c 46",
        ),
    ] {
        let path = dir.write(name, data);
        for cmd in ["inspect", "reloc"] {
            assert_eq!(
                failure(&run(cmd, &path, &[])),
                format!(
                    "corex: {}: not a readable ELF file: {why}\n",
                    path.display()
                ),
                "{cmd} {name}"
            );
        }
    }
}

#[test]
fn map_definition_errors_use_articles() {
    let dir = scratch("articles");
    let mut obj = hostile::named("n");
    // Point the .maps variable at `int` (type 1) instead of its struct.
    let at = obj
        .windows(12)
        .position(|w| w[4..8] == [0, 0, 0, 0x0e] && w[8..12] == [8, 0, 0, 0])
        .expect("the VAR of the map");
    obj[at + 8] = 1;
    let path = dir.write("intmap.o", &obj);
    let err = failure(&run("inspect", &path, &[]));
    assert_eq!(
        err,
        format!(
            "corex: {}: map 'mapn': definition is an int, not a struct\n",
            path.display()
        )
    );
}

/// Address space of the child that parses and relocates: far below the
/// 1.6 GB libbpf's per-program copies take for this object (and the
/// 2.35 GB corex took before instructions were shared).
const ADDRESS_SPACE_KB: u64 = 300 * 1024;

#[test]
fn overlapping_functions_fit_in_a_small_address_space() {
    let dir = scratch("memory");
    let obj = dir.write("overlap.o", &hostile::overlapping_text(2_000, 100_000));
    for args in [
        vec!["inspect"],
        vec!["reloc", "--btf", "/sys/kernel/btf/vmlinux"],
    ] {
        // setrlimit(RLIMIT_AS) in the child, by the shell's ulimit.
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {ADDRESS_SPACE_KB} && exec \"$0\" \"$@\""
            ))
            .arg(env!("CARGO_BIN_EXE_corex"))
            .arg(args[0])
            .arg(&obj)
            .args(&args[1..])
            .stdout(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "corex {} under ulimit -v {ADDRESS_SPACE_KB}: {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
