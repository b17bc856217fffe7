//! Shared by corex-sys's kernel tests: the privilege check, hand-assembled
//! instructions, a private bpffs mount, and the proof that ids are gone.
#![allow(dead_code)]

use corex_sys::{Capabilities, MapCreate, MapFd, ObjectKind};
use corex_uapi::MapType;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fails the test, saying why, unless this process may load and attach
/// tracing programs. Without the capabilities it first checks that corex's
/// error names the missing capability.
pub fn require_privileges() {
    let caps = Capabilities::current().expect("capget works");
    if caps.can_trace() {
        return;
    }
    let err = MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 4, 1)).unwrap_err();
    assert!(err.to_string().contains("needs CAP_BPF"), "{err}");
    panic!(
        "this test needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); without them the kernel says: {err}"
    );
}

/// One instruction: opcode, registers, offset, immediate.
pub fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0] = code;
    b[1] = (src << 4) | (dst & 0xf);
    b[2..4].copy_from_slice(&off.to_ne_bytes());
    b[4..8].copy_from_slice(&imm.to_ne_bytes());
    b
}

/// `dst = imm` (64-bit).
pub fn mov64_imm(dst: u8, imm: i32) -> Vec<[u8; 8]> {
    vec![insn(0xb7, dst, 0, 0, imm)]
}

/// `dst = src` (64-bit).
pub fn mov64_reg(dst: u8, src: u8) -> Vec<[u8; 8]> {
    vec![insn(0xbf, dst, src, 0, 0)]
}

/// `dst += imm` (64-bit).
pub fn add64_imm(dst: u8, imm: i32) -> Vec<[u8; 8]> {
    vec![insn(0x07, dst, 0, 0, imm)]
}

/// `dst >>= imm` (64-bit, logical).
pub fn rsh64_imm(dst: u8, imm: i32) -> Vec<[u8; 8]> {
    vec![insn(0x77, dst, 0, 0, imm)]
}

/// `*(u32 *)(dst + off) = imm`.
pub fn st32(dst: u8, off: i16, imm: i32) -> Vec<[u8; 8]> {
    vec![insn(0x62, dst, 0, off, imm)]
}

/// `*(u64 *)(dst + off) = src`.
pub fn stx64(dst: u8, off: i16, src: u8) -> Vec<[u8; 8]> {
    vec![insn(0x7b, dst, src, off, 0)]
}

/// `lock *(u64 *)(dst + off) += src`.
pub fn atomic_add64(dst: u8, off: i16, src: u8) -> Vec<[u8; 8]> {
    vec![insn(0xdb, dst, src, off, 0)]
}

/// `dst = map` (the map's fd, `BPF_PSEUDO_MAP_FD`): two slots.
pub fn ld_map_fd(dst: u8, fd: i32) -> Vec<[u8; 8]> {
    vec![insn(0x18, dst, 1, 0, fd), insn(0, 0, 0, 0, 0)]
}

/// `call helper`.
pub fn call(helper: u32) -> Vec<[u8; 8]> {
    vec![insn(0x85, 0, 0, 0, helper as i32)]
}

/// `if dst != imm goto +off`.
pub fn jne_imm(dst: u8, imm: i32, off: i16) -> Vec<[u8; 8]> {
    vec![insn(0x55, dst, 0, off, imm)]
}

/// `if dst == imm goto +off`.
pub fn jeq_imm(dst: u8, imm: i32, off: i16) -> Vec<[u8; 8]> {
    vec![insn(0x15, dst, 0, off, imm)]
}

/// `exit`.
pub fn exit() -> Vec<[u8; 8]> {
    vec![insn(0x95, 0, 0, 0, 0)]
}

/// The bytes of a program.
pub fn program(parts: &[Vec<[u8; 8]>]) -> Vec<u8> {
    parts.iter().flatten().flatten().copied().collect()
}

/// `r0 = value; exit`.
pub fn return_imm(value: i32) -> Vec<u8> {
    program(&[mov64_imm(0, value), exit()])
}

/// Program that, when the current process is `pid`, adds 1 to the `u64` at
/// key 0 of array `map` (index 0) and returns 0.
pub fn count_calls_of(pid: u32, map: i32) -> Vec<u8> {
    program(&[
        call(corex_uapi::HelperId::GET_CURRENT_PID_TGID.0),
        rsh64_imm(0, 32),
        jne_imm(0, pid as i32, 9),
        st32(10, -4, 0),
        mov64_reg(2, 10),
        add64_imm(2, -4),
        ld_map_fd(1, map),
        call(corex_uapi::HelperId::MAP_LOOKUP_ELEM.0),
        jeq_imm(0, 0, 2),
        mov64_imm(1, 1),
        atomic_add64(0, 0, 1),
        mov64_imm(0, 0),
        exit(),
    ])
}

/// A private BPF file system mounted on a new directory, unmounted and
/// removed on drop.
pub struct Bpffs {
    pub dir: PathBuf,
}

impl Bpffs {
    pub fn mount(name: &str) -> Bpffs {
        let dir = std::env::temp_dir().join(format!("corex-sys-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "bpf", "bpf"])
            .arg(&dir)
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mount -t bpf bpf {} failed",
            dir.display()
        );
        Bpffs { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Bpffs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Whether the kernel's list of `kind` ids holds `id`, and whether
/// `GET_FD_BY_ID` still finds it.
fn still_there(kind: ObjectKind, id: u32) -> (bool, bool) {
    let listed = corex_sys::ids(kind).any(|i| i.unwrap() == id);
    let result = match kind {
        ObjectKind::Prog => corex_sys::ProgFd::from_id(id).map(drop),
        ObjectKind::Map => MapFd::from_id(id).map(drop),
        ObjectKind::Btf => corex_sys::BtfFd::from_id(id).map(drop),
        ObjectKind::Link => corex_sys::LinkFd::from_id(id).map(drop),
    };
    let found = match result {
        Ok(()) => true,
        Err(e) if e.is_not_found() => false,
        Err(e) => panic!("{e}"),
    };
    (listed, found)
}

/// Asserts that the kernel freed object `id` of `kind`: not in the id list,
/// ENOENT from `GET_FD_BY_ID`. Objects a program held are freed after an
/// RCU grace period, so this waits for that (up to 30 s), checking every
/// 10 ms.
pub fn assert_gone(kind: ObjectKind, id: u32) {
    for _ in 0..3000 {
        if still_there(kind, id) == (false, false) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!(
        "{kind:?} id {id} is still in the kernel: {:?}",
        still_there(kind, id)
    );
}

/// Asserts that `kind` id `id` exists now, in the id list and by id.
pub fn assert_present(kind: ObjectKind, id: u32) {
    assert_eq!(still_there(kind, id), (true, true), "{kind:?} id {id}");
}

/// The tracefs id of tracepoint `category/name`.
pub fn tracepoint_id(category: &str, name: &str) -> u64 {
    let path = Path::new("/sys/kernel/tracing/events")
        .join(category)
        .join(name)
        .join("id");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (is tracefs mounted?)", path.display()))
        .trim()
        .parse()
        .unwrap()
}

/// Makes a getpid system call (glibc does not cache the pid): the event
/// the tracepoint tests watch.
pub fn call_getpid() {
    std::hint::black_box(std::process::id());
}
