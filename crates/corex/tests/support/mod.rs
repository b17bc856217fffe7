//! Shared by corex's kernel tests: the privilege check, a small BPF
//! assembler and the programs the tests attach, a unique exec to trigger
//! them, offsets read from the running kernel's BTF, and checks through the
//! kernel that nothing a test made is left.
#![allow(dead_code)]

pub mod asm;

use asm::Asm;
use corex_btf::{Btf, Kind};
use corex_sys::{Capabilities, ObjectKind, ProgFd, ProgLoad};
use corex_uapi::{AttachType, HelperId, ProgType};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Fails the test, saying why, unless this process may load and attach
/// tracing programs.
pub fn require_privileges() {
    let caps = Capabilities::current().expect("capget works");
    assert!(
        caps.can_trace(),
        "this test needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)"
    );
}

/// Loads a program; a verifier rejection panics with the log (loaded again
/// with one, as the log of a long loop does not fit a small buffer).
pub fn load(
    prog_type: ProgType,
    insns: &[u8],
    attach_type: Option<AttachType>,
    attach_btf_id: u32,
) -> Result<ProgFd, corex_sys::Error> {
    let attrs = |log| {
        let mut attrs = ProgLoad::new(prog_type, insns, c"GPL");
        attrs.expected_attach_type = attach_type;
        attrs.attach_btf_id = attach_btf_id;
        attrs.log = log;
        attrs
    };
    let result = ProgFd::load(&mut attrs(None));
    if let Err(e) = &result {
        if e.errno() == Some(corex_sys::Errno::EACCES) {
            let mut buf = vec![0u8; 64 << 20];
            let mut with_log = attrs(Some(corex_sys::VerifierLog::new(&mut buf, 1)));
            let again = ProgFd::load(&mut with_log);
            panic!("{e} ({again:?})\n{}", with_log.log.unwrap().text());
        }
    }
    result
}

/// The running kernel's BTF.
pub fn kernel_btf() -> &'static Btf {
    static BTF: OnceLock<Btf> = OnceLock::new();
    BTF.get_or_init(|| {
        Btf::from_vec(std::fs::read("/sys/kernel/btf/vmlinux").unwrap(), None).unwrap()
    })
}

/// The id of the kernel's BTF type `name` of `kind`.
pub fn btf_id(kind: Kind, name: &str) -> u32 {
    kernel_btf()
        .types()
        .find(|t| t.kind() == kind && t.name() == name)
        .unwrap_or_else(|| panic!("no {kind:?} {name} in the kernel's BTF"))
        .id()
        .0
}

/// The byte offset of `member` in the kernel's `struct name` (CO-RE done
/// by hand: the test programs are assembled here, not compiled).
pub fn member_offset(name: &str, member: &str) -> i16 {
    let btf = kernel_btf();
    let ty = btf
        .types()
        .find(|t| t.kind() == Kind::Struct && t.name() == name)
        .unwrap_or_else(|| panic!("no struct {name}"));
    let m = ty
        .members()
        .find(|m| m.name == member)
        .unwrap_or_else(|| panic!("no {name}.{member}"));
    (m.bit_offset / 8) as i16
}

/// The offset of field `field` in tracepoint `category/name`'s record, from
/// its tracefs format file.
pub fn tracepoint_field_offset(category: &str, name: &str, field: &str) -> i16 {
    let path = format!("/sys/kernel/tracing/events/{category}/{name}/format");
    let text = std::fs::read_to_string(&path).unwrap();
    for line in text.lines() {
        let Some(decl) = line.trim().strip_prefix("field:") else {
            continue;
        };
        let (decl, rest) = decl.split_once(';').unwrap();
        if decl.split_whitespace().last() == Some(field) {
            let offset = rest.trim().strip_prefix("offset:").unwrap();
            return offset.split(';').next().unwrap().parse().unwrap();
        }
    }
    panic!("{path} has no field {field}");
}

/// Where the exec'd file's name is, for [`exec_printer`].
#[derive(Clone, Copy, Debug)]
pub enum FilenameAt {
    /// A user pointer at this offset of the context (a syscall tracepoint).
    UserPointer(i16),
    /// `struct linux_binprm *` in context word `arg`, its `filename` at
    /// `offset` (sched_process_exec as a raw or BTF tracepoint).
    Bprm { arg: i16, offset: i16 },
}

/// A program that prints `TAG filename` with `bpf_trace_printk` for each
/// exec it sees.
pub fn exec_printer(tag: &str, at: FilenameAt) -> Vec<u8> {
    const BUF: i16 = -256;
    const FMT: i16 = -296;
    const TMP: i16 = -304;
    let mut a = Asm::new();
    a.mov64_reg(6, 1);
    match at {
        FilenameAt::UserPointer(offset) => {
            a.ldx64(3, 6, offset);
            a.mov64_reg(1, 10)
                .add64_imm(1, BUF.into())
                .mov64_imm(2, 256);
            a.call(HelperId::PROBE_READ_USER_STR);
        }
        FilenameAt::Bprm { arg, offset } => {
            a.ldx64(3, 6, arg * 8).add64_imm(3, offset.into());
            a.mov64_reg(1, 10).add64_imm(1, TMP.into()).mov64_imm(2, 8);
            a.call(HelperId::PROBE_READ_KERNEL);
            a.ldx64(3, 10, TMP);
            a.mov64_reg(1, 10)
                .add64_imm(1, BUF.into())
                .mov64_imm(2, 256);
            a.call(HelperId::PROBE_READ_KERNEL_STR);
        }
    }
    let fmt = format!("{tag} %s");
    let len = a.store_string(FMT, &fmt, 40);
    a.mov64_reg(1, 10)
        .add64_imm(1, FMT.into())
        .mov64_imm(2, len);
    a.mov64_reg(3, 10).add64_imm(3, BUF.into());
    a.call(HelperId::TRACE_PRINTK);
    a.mov64_imm(0, 0).exit();
    a.bytes()
}

/// A program that adds 1 to the u64 at key 0 of array `map` each time the
/// current process is `pid`.
pub fn count_calls_of(pid: u32, map: &corex_sys::MapFd) -> Vec<u8> {
    let mut a = Asm::new();
    a.call(HelperId::GET_CURRENT_PID_TGID).rsh64_imm(0, 32);
    a.jne_imm(0, pid as i32, 9);
    a.st32(10, -4, 0).mov64_reg(2, 10).add64_imm(2, -4);
    a.ld_map_fd(1, map.as_raw_fd());
    a.call(HelperId::MAP_LOOKUP_ELEM);
    a.jeq_imm(0, 0, 2);
    a.mov64_imm(1, 1).atomic_add64(0, 0, 1);
    a.mov64_imm(0, 0).exit();
    a.bytes()
}

/// A kprobe-type program counting calls made by this process, and its
/// counter (see [`count_calls_of`]).
pub fn call_counter() -> (corex_sys::MapFd, ProgFd) {
    let map = counter();
    let insns = count_calls_of(std::process::id(), &map);
    (map, load(ProgType::KPROBE, &insns, None, 0).unwrap())
}

/// A ring buffer reader of `ring` delivering into `sink`.
pub fn ring_reader(ring: &corex_sys::MapFd, sink: &Sink) -> corex::events::RingBuffer<'static> {
    corex::events::RingBuffer::builder()
        .add(ring, sink.ring())
        .unwrap()
        .build()
        .unwrap()
}

/// An array of one u64, and a reader of it.
pub fn counter() -> corex_sys::MapFd {
    corex_sys::MapFd::create(&corex_sys::MapCreate::new(
        corex_uapi::MapType::ARRAY,
        4,
        8,
        1,
    ))
    .unwrap()
}

/// The u64 at key 0 of `map`.
pub fn read_counter(map: &corex_sys::MapFd) -> u64 {
    let mut v = [0u8; 8];
    assert!(map.lookup(&0u32.to_ne_bytes(), &mut v, 0).unwrap());
    u64::from_ne_bytes(v)
}

/// Held for reading while a test forks and execs, for writing by a test
/// closing a descriptor that must be gone from the kernel at once: a child
/// forked by another test thread holds a copy of every descriptor until its
/// exec closes them (O_CLOEXEC), keeping a closed perf event attached.
static FORKS: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Starts `cmd`; returns once the child has exec'd (std waits for that), so
/// it holds none of this process's close-on-exec descriptors any more.
pub fn spawn(cmd: &mut Command) -> std::process::Child {
    let _forking = FORKS.read().unwrap_or_else(|e| e.into_inner());
    cmd.spawn().unwrap()
}

/// Runs `f` (say, dropping a link) while no child of this process holds
/// copies of its descriptors.
pub fn without_forks<T>(f: impl FnOnce() -> T) -> T {
    let _alone = FORKS.write().unwrap_or_else(|e| e.into_inner());
    f()
}

/// Execs `/bin/true` through a symlink with a name no other exec has, and
/// returns that name (the filename an exec probe sees) and the process id.
pub fn exec_unique(tag: &str) -> (String, u32) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("corex-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link: PathBuf = dir.join(format!("{tag}-{n}"));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/bin/true", &link).unwrap();
    let mut child = spawn(&mut Command::new(&link));
    let pid = child.id();
    assert!(child.wait().unwrap().success());
    std::fs::remove_file(&link).unwrap();
    (link.to_str().unwrap().to_owned(), pid)
}

/// Asserts that the kernel freed `kind` id `id`: its id list no longer
/// holds it (waiting out the RCU grace period, up to 30 s).
pub fn assert_gone(kind: ObjectKind, id: u32) {
    for _ in 0..3000 {
        if !corex_sys::ids(kind).any(|i| i.unwrap() == id) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{kind:?} id {id} is still in the kernel");
}

/// The perf events this process holds open that run program `prog_id`, as
/// the kernel reports them for each fd (`BPF_TASK_FD_QUERY`, which
/// `bpftool perf` uses).
pub fn perf_events_running(prog_id: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if target.to_str() != Some("anon_inode:[perf_event]") {
            continue;
        }
        let Ok(fd) = entry.file_name().to_str().unwrap().parse::<u32>() else {
            continue;
        };
        if let Ok(info) = corex_sys::task_fd_query(std::process::id(), fd) {
            if info.prog_id == prog_id {
                found.push(info.name);
            }
        }
    }
    found
}

/// Which buffer a [`producer`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// `bpf_ringbuf_output` into a ring buffer.
    Ring,
    /// `bpf_perf_event_output` on the current CPU.
    Perf,
}

/// The producer's state, an array of one value: the next sequence number,
/// the outputs that failed, and how many records each run writes.
pub fn producer_state() -> corex_sys::MapFd {
    corex_sys::MapFd::create(&corex_sys::MapCreate::new(
        corex_uapi::MapType::ARRAY,
        4,
        24,
        1,
    ))
    .unwrap()
}

/// `(next_seq, failed, batch)` of a producer's state.
pub fn read_state(state: &corex_sys::MapFd) -> (u64, u64, u64) {
    let mut v = [0u8; 24];
    assert!(state.lookup(&0u32.to_ne_bytes(), &mut v, 0).unwrap());
    let word = |i: usize| u64::from_ne_bytes(v[i * 8..i * 8 + 8].try_into().unwrap());
    (word(0), word(1), word(2))
}

/// Sets how many records each run of the producer writes (at most 1024).
pub fn set_batch(state: &corex_sys::MapFd, batch: u64) {
    let (seq, failed, _) = read_state(state);
    let mut v = Vec::new();
    for w in [seq, failed, batch] {
        v.extend_from_slice(&w.to_ne_bytes());
    }
    state.update(&0u32.to_ne_bytes(), &v, 0).unwrap();
}

/// A raw tracepoint program (run with `BPF_PROG_TEST_RUN`) that writes
/// `batch` records numbered on from `next_seq` as fast as it can, counting
/// the outputs that fail. Record: `seq: u64, payload_len: u32, cpu: u32`,
/// then `payload_len / 8` words equal to `seq`, `payload_len = 8 * (seq %
/// 16)`: 16 to 136 bytes, so a torn or misplaced record shows.
pub fn producer(output: Output, state: &corex_sys::MapFd, buffer: &corex_sys::MapFd) -> Vec<u8> {
    const REC: i16 = -136;
    let mut a = Asm::new();
    a.mov64_reg(6, 1);
    a.st32(10, -4, 0).mov64_reg(2, 10).add64_imm(2, -4);
    a.ld_map_fd(1, state.as_raw_fd())
        .call(HelperId::MAP_LOOKUP_ELEM);
    let no_state = a.len();
    a.jeq_imm(0, 0, 0);
    a.mov64_reg(7, 0).mov64_imm(8, 0);
    let top = a.len();
    a.ldx64(1, 7, 16);
    let end1 = a.len();
    a.jge_reg(8, 1, 0);
    let end2 = a.len();
    a.jge_imm(8, 1024, 0);
    a.ldx64(9, 7, 0);
    a.stx64(10, REC, 9);
    a.mov64_reg(1, 9)
        .and64_imm(1, 15)
        .lsh64_imm(1, 3)
        .stx32(10, REC + 8, 1);
    a.call(HelperId::GET_SMP_PROCESSOR_ID)
        .stx32(10, REC + 12, 0);
    for w in 0..15 {
        a.stx64(10, REC + 16 + 8 * w, 9);
    }
    a.mov64_reg(5, 9)
        .and64_imm(5, 15)
        .lsh64_imm(5, 3)
        .add64_imm(5, 16);
    match output {
        Output::Ring => {
            a.ld_map_fd(1, buffer.as_raw_fd());
            a.mov64_reg(2, 10).add64_imm(2, REC.into());
            a.mov64_reg(3, 5).mov64_imm(4, 0);
            a.call(HelperId::RINGBUF_OUTPUT);
        }
        Output::Perf => {
            a.mov64_reg(1, 6);
            a.ld_map_fd(2, buffer.as_raw_fd());
            a.ld_imm64(3, 0xffff_ffff);
            a.mov64_reg(4, 10).add64_imm(4, REC.into());
            a.call(HelperId::PERF_EVENT_OUTPUT);
        }
    }
    a.jeq_imm(0, 0, 2);
    a.mov64_imm(1, 1).atomic_add64(7, 8, 1);
    a.add64_imm(9, 1).stx64(7, 0, 9);
    a.add64_imm(8, 1).ja_back(top);
    a.land(no_state).land(end1).land(end2);
    a.mov64_imm(0, 0).exit();
    a.bytes()
}

/// Runs a producer once, on `cpu` if given.
pub fn run_producer(prog: &ProgFd, cpu: Option<u32>) {
    let mut run = corex_sys::TestRun::default();
    if let Some(cpu) = cpu {
        run.flags = corex_uapi::flags::test_run::RUN_ON_CPU;
        run.cpu = cpu;
    }
    prog.test_run(&mut run).unwrap();
}

/// A record a producer wrote, checked: its payload words all equal its
/// sequence number and its length fits `payload_len`.
pub fn check_record(data: &[u8]) -> (u64, u32) {
    let seq = u64::from_ne_bytes(data[0..8].try_into().unwrap());
    let len = u32::from_ne_bytes(data[8..12].try_into().unwrap());
    let cpu = u32::from_ne_bytes(data[12..16].try_into().unwrap());
    assert_eq!(len as u64, 8 * (seq % 16), "record {seq}: payload length");
    assert!(data.len() >= 16 + len as usize, "record {seq}: short");
    for w in 0..len as usize / 8 {
        let word = u64::from_ne_bytes(data[16 + 8 * w..24 + 8 * w].try_into().unwrap());
        assert_eq!(word, seq, "record {seq}: payload word {w}");
    }
    (seq, cpu)
}

/// Collects the sequence numbers a reader delivers, checking each record.
#[derive(Clone, Default)]
pub struct Sink {
    /// `(cpu, seq)` in delivery order.
    pub records: std::sync::Arc<std::sync::Mutex<Vec<(u32, u64)>>>,
    /// How many so far.
    pub delivered: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Sink {
    /// Takes one record (from `cpu`, if a perf buffer said).
    pub fn take(&self, cpu: Option<u32>, data: &[u8]) {
        let (seq, record_cpu) = check_record(data);
        if let Some(cpu) = cpu {
            assert_eq!(cpu, record_cpu, "record {seq} delivered from another CPU");
        }
        self.records.lock().unwrap().push((record_cpu, seq));
        self.delivered
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// A ring buffer callback.
    pub fn ring(&self) -> impl FnMut(&[u8]) + Send + 'static {
        let sink = self.clone();
        move |data| sink.take(None, data)
    }

    /// A perf buffer sample callback.
    pub fn perf(&self) -> impl FnMut(u32, &[u8]) + Send + 'static {
        let sink = self.clone();
        move |cpu, data| sink.take(Some(cpu), data)
    }

    /// The sequence numbers delivered, in order (of `cpu` only, if given).
    pub fn seqs(&self, cpu: Option<u32>) -> Vec<u64> {
        self.records
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| cpu.is_none_or(|want| *c == want))
            .map(|(_, s)| *s)
            .collect()
    }

    /// Forgets what was delivered.
    pub fn clear(&self) {
        self.records.lock().unwrap().clear();
    }

    /// Waits until `target` records were delivered (by a reader in another
    /// thread); a guard of a minute against a hang, not a measure.
    pub fn wait_for(&self, target: u64) {
        use std::sync::atomic::Ordering;
        for _ in 0..60_000 {
            if self.delivered.load(Ordering::Acquire) >= target {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!(
            "the reader delivered {} of {target}",
            self.delivered.load(Ordering::Acquire)
        );
    }
}
