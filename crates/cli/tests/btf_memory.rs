//! `corex btf dump` on inputs built to take memory out of proportion to
//! their size, each run in a child process whose address space is limited
//! (`RLIMIT_AS`): it must end with its output or a one-line error, within
//! the limit. Before the fixes these took 2.1 to 4.2 GB.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::OnceLock;

use corex_btf::write::{BtfBuilder, MemberDef, TypeDef};
use corex_btf::{Endian, TypeId, INT_SIGNED, MAX_DECOMPRESSED};
use corex_testkit::archive::xz;
use corex_testkit::with_address_space_limit;

const MIB: u64 = 1 << 20;

/// A file in this test binary's scratch directory.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("btf_memory_{name}"));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `corex btf dump ARGS` under a `limit`-byte address space, its output
/// thrown away.
fn dump_limited(limit: u64, args: &[&std::ffi::OsStr]) -> Output {
    with_address_space_limit(limit, env!("CARGO_BIN_EXE_corex"))
        .args(["btf", "dump"])
        .args(args)
        .stdout(Stdio::null())
        .output()
        .unwrap()
}

/// The run failed cleanly: exit status 2 and one line naming the problem,
/// not an allocation failure or a signal.
#[track_caller]
fn assert_clean_error(out: &Output, parts: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?}: {stderr}", out.status);
    assert!(
        stderr.starts_with("corex: ") && stderr.lines().count() == 1,
        "{stderr}"
    );
    for p in parts {
        assert!(stderr.contains(p), "{stderr:?} lacks {p:?}");
    }
}

/// `long` and 500,000 pointers to it (6 MB of BTF, nothing the C dump
/// writes), and the id of `long`.
fn fillers() -> (BtfBuilder, TypeId) {
    let mut b = BtfBuilder::new();
    let long = b.add(&TypeDef::int("long", 8, INT_SIGNED));
    for _ in 0..500_000 {
        b.add(&TypeDef::ptr(long));
    }
    (b, long)
}

/// 500,000 filler types (6 MB of BTF) and a struct whose members jump back
/// and forth across 2^31 bits: libbpf pads each gap with 33 million `long:
/// 64;` fields, so the header would be terabytes. The dump streams until its
/// work budget runs out, in a 128 MiB address space (it took 2.9 GB).
#[test]
fn c_dump_of_huge_padding_streams_within_128_mib() {
    let (mut b, long) = fillers();
    let members = (0..8)
        .map(|i| {
            MemberDef::new(
                format!("m{i}"),
                long,
                if i % 2 == 0 { 0 } else { 0x7fff_0000 },
            )
        })
        .collect();
    let gaps = b.add(&TypeDef::structure("gaps", 0x1000_0000, members));
    let bytes = b.to_bytes(Endian::Little).unwrap();
    assert!(bytes.len() > 5_900_000);
    let file = scratch("gaps.btf", &bytes);
    let out = dump_limited(
        128 * MIB,
        &["--format".as_ref(), "c".as_ref(), file.as_ref()],
    );
    assert_clean_error(
        &out,
        &[&format!("type [{gaps}]"), "more than 129049344 steps"],
    );
}

/// One gap of 2^31 bits in the same 6 MB: 33 million padding fields, a
/// 370 MB header, written in full within 128 MiB.
#[test]
fn c_dump_of_one_huge_gap_is_written_in_full_within_128_mib() {
    let (mut b, long) = fillers();
    let members = vec![
        MemberDef::new("first", long, 0),
        MemberDef::new("last", long, 0x7fff_0000),
    ];
    b.add(&TypeDef::structure("one_gap", 0x0fff_e008, members));
    let file = scratch("one_gap.btf", &b.to_bytes(Endian::Little).unwrap());
    let mut child = with_address_space_limit(128 * MIB, env!("CARGO_BIN_EXE_corex"))
        .args(["btf", "dump", "--format", "c"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (mut total, mut tail, mut buf) = (0u64, Vec::new(), vec![0u8; 1 << 16]);
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        tail.extend_from_slice(&buf[..n]);
        let keep = tail.len().saturating_sub(256);
        tail.drain(..keep);
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pads = (0x7fff_0000u64 - 64) / 64;
    assert!(
        total > pads * 10,
        "only {total} bytes for {pads} padding fields"
    );
    let tail = String::from_utf8_lossy(&tail);
    assert!(
        tail.contains("\tlong: 64;\n\tlong last;\n};\n")
            && tail.ends_with("#endif /* __VMLINUX_H__ */\n"),
        "{tail}"
    );
}

/// One xz stream of 64 MiB of zeros (about 10 KB): concatenated copies make
/// a valid `.xz` of any multiple of 64 MiB from a few hundred KB.
fn zeros_stream() -> &'static [u8] {
    static STREAM: OnceLock<Vec<u8>> = OnceLock::new();
    STREAM.get_or_init(|| xz(&vec![0u8; 64 << 20]))
}

/// An xz stream of `head`, then `streams` streams of 64 MiB of zeros.
fn xz_bomb(head: &[u8], streams: usize) -> Vec<u8> {
    let mut out = xz(head);
    for _ in 0..streams {
        out.extend_from_slice(zeros_stream());
    }
    out
}

/// A tar header for a file `name` of `size` bytes.
fn tar_header(name: &str, size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.set_path(name).unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// A 480 KB `.xz` that expands to 3 GB stops at the cap, having taken no
/// more than it (it took 2.1 GB).
#[test]
fn an_xz_bomb_stops_at_the_cap() {
    let bomb = xz_bomb(b"", 48);
    assert!(bomb.len() < 600_000);
    let file = scratch("bomb.btf.xz", &bomb);
    let out = dump_limited(MAX_DECOMPRESSED + 128 * MIB, &[file.as_ref()]);
    assert_clean_error(
        &out,
        &[
            &file.display().to_string(),
            "the xz stream decompresses to more than 256 MiB, the most corex reads from an archive",
        ],
    );
}

/// A `.btf.tar.xz` of 340 KB whose member is 2.1 GB is refused from the
/// member's header, before it is decompressed (it took 4.2 GB).
#[test]
fn a_huge_tar_member_is_refused_from_its_header() {
    let size = 2_100_000_000;
    let archive = xz_bomb(&tar_header("5.4.0-1.el8.x86_64.btf", size), 32);
    let file = scratch("huge.btf.tar.xz", &archive);
    let out = dump_limited(128 * MIB, &[file.as_ref()]);
    assert_clean_error(
        &out,
        &[&format!(
            "file 5.4.0-1.el8.x86_64.btf (header at byte 0) in the tar archive ({size} bytes by \
             its header) decompresses to more than 256 MiB"
        )],
    );
}

/// A member under the cap is read once, into a buffer of its size: no copy
/// of the whole archive first, no second copy of the member.
#[test]
fn a_tar_member_is_read_without_a_second_copy() {
    let size = 200_000_000;
    let archive = xz_bomb(&tar_header("zeros.btf", size), 4);
    let file = scratch("zeros.btf.tar.xz", &archive);
    let out = dump_limited(size + 128 * MIB, &[file.as_ref()]);
    assert_clean_error(
        &out,
        &["file zeros.btf in the tar.xz archive: not BTF: starts with bytes 00 00 00 00"],
    );
}
