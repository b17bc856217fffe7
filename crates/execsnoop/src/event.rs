//! The events the BPF side sends, decoded: a mirror of
//! `bpf/execsnoop/execsnoop.h` (`struct execsnoop_event`, its flags and
//! limits). `tests/layout.rs` checks every offset, size and constant here
//! against the header and against the objects' BTF, so the two cannot drift
//! apart.
//!
//! A record is `HEADER_SIZE` bytes of header, then `path_size` bytes of path
//! (NUL-terminated), then `args_size` bytes of arguments (`args_count`
//! NUL-terminated strings back to back). Decoding borrows from the record:
//! nothing is copied or allocated. A record that breaks the contract is an
//! error that says how, never a panic.

use std::fmt;

/// Length of a task's comm, NUL included (`EXECSNOOP_COMM_LEN`).
pub const COMM_LEN: usize = 16;
/// Most bytes of path sent, NUL included (`EXECSNOOP_PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Most bytes of arguments sent, every NUL included (`EXECSNOOP_ARGS_MAX`).
pub const ARGS_MAX: usize = 4096;
/// Most arguments the BPF side sends per exec (`EXECSNOOP_MAX_ARGS_LIMIT`).
pub const MAX_ARGS_LIMIT: u32 = 256;
/// Arguments sent when nothing else is asked (`EXECSNOOP_DEFAULT_MAX_ARGS`).
pub const DEFAULT_MAX_ARGS: u32 = 20;
/// Bytes before the path: `offsetof(struct execsnoop_event, data)`.
pub const HEADER_SIZE: usize = 56;

/// A field of `struct execsnoop_event`: its C name, offset and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The member's name in `execsnoop.h`.
    pub name: &'static str,
    /// Its byte offset.
    pub offset: usize,
    /// Its size in bytes (0 for the flexible `data` array).
    pub size: usize,
}

const fn field(name: &'static str, offset: usize, size: usize) -> Field {
    Field { name, offset, size }
}

/// The header's layout, in member order, as [`Event::parse`] reads it.
pub const LAYOUT: [Field; 13] = [
    field("ktime_ns", 0, 8),
    field("pid", 8, 4),
    field("tid", 12, 4),
    field("ppid", 16, 4),
    field("uid", 20, 4),
    field("retval", 24, 4),
    field("flags", 28, 4),
    field("args_count", 32, 2),
    field("args_size", 34, 2),
    field("path_size", 36, 2),
    field("reserved", 38, 2),
    field("comm", 40, COMM_LEN),
    field("data", HEADER_SIZE, 0),
];

/// `event.flags`: what was left out of an event, each set only when
/// something really was (`EXECSNOOP_*` in `execsnoop.h`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(u32);

impl Flags {
    /// More than `max_args` arguments: the first `max_args` were sent.
    pub const ARGS_TRUNCATED: Flags = Flags(1 << 0);
    /// The arguments did not fit in [`ARGS_MAX`] bytes: the last one sent is
    /// a prefix, or those after it were dropped.
    pub const ARGS_CUT: Flags = Flags(1 << 1);
    /// The path was longer than [`PATH_MAX`] - 1 bytes: a prefix.
    pub const PATH_CUT: Flags = Flags(1 << 2);
    /// Reading an argument faulted (failed execs only): the arguments are
    /// those read before.
    pub const ARGS_FAULT: Flags = Flags(1 << 3);
    /// Reading the path faulted: the path is empty.
    pub const PATH_FAULT: Flags = Flags(1 << 4);
    /// A failed execveat: the path is relative to its directory fd.
    pub const EXECVEAT: Flags = Flags(1 << 5);

    /// Every flag with its stable name (the `--json` `flags` strings), in
    /// bit order.
    pub const NAMED: [(Flags, &'static str); 6] = [
        (Flags::ARGS_TRUNCATED, "args_truncated"),
        (Flags::ARGS_CUT, "args_cut"),
        (Flags::PATH_CUT, "path_cut"),
        (Flags::ARGS_FAULT, "args_fault"),
        (Flags::PATH_FAULT, "path_fault"),
        (Flags::EXECVEAT, "execveat"),
    ];

    /// The flags of `bits` (bits this version does not know are kept).
    pub const fn from_bits(bits: u32) -> Flags {
        Flags(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The names of the known flags set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMED
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, name)| name)
    }

    /// Bits set that no known flag has (a newer BPF side).
    pub fn unknown_bits(self) -> u32 {
        let known = Flags::NAMED.iter().fold(0, |all, (f, _)| all | f.0);
        self.0 & !known
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entries(self.names());
        if self.unknown_bits() != 0 {
            list.entry(&format_args!("{:#x}", self.unknown_bits()));
        }
        list.finish()
    }
}

/// The arguments of an event, argv\[0\] first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Args<'a> {
    /// As a record holds them (and `/proc/PID/cmdline` shows them): `count`
    /// NUL-terminated strings back to back.
    Packed {
        /// The strings, each with its NUL.
        bytes: &'a [u8],
        /// How many.
        count: u16,
    },
    /// One slice per argument, without NULs (an event made to be encoded).
    List(&'a [&'a [u8]]),
}

/// An iterator over [`Args`].
#[derive(Clone, Debug)]
pub struct ArgsIter<'a>(ArgsIterInner<'a>);

#[derive(Clone, Debug)]
enum ArgsIterInner<'a> {
    /// The packed strings not yet returned, and how many of them are left.
    Packed {
        rest: &'a [u8],
        left: u16,
    },
    List(std::slice::Iter<'a, &'a [u8]>),
}

impl<'a> Iterator for ArgsIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        match &mut self.0 {
            ArgsIterInner::Packed { rest, left } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
                let arg = &rest[..end];
                *rest = rest.get(end + 1..).unwrap_or_default();
                Some(arg)
            }
            ArgsIterInner::List(list) => list.next().copied(),
        }
    }
}

impl<'a> Args<'a> {
    /// Each argument, without its NUL (a cut last argument is its prefix:
    /// see [`Flags::ARGS_CUT`]).
    pub fn iter(&self) -> ArgsIter<'a> {
        match *self {
            Args::Packed { bytes, count } => ArgsIter(ArgsIterInner::Packed {
                rest: bytes,
                left: count,
            }),
            Args::List(list) => ArgsIter(ArgsIterInner::List(list.iter())),
        }
    }

    /// How many arguments.
    pub fn len(&self) -> usize {
        match self {
            Args::Packed { count, .. } => *count as usize,
            Args::List(list) => list.len(),
        }
    }

    /// Whether there are none (an exec with an empty argv).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Args<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|a| corex_btf::printable(a).to_string()))
            .finish()
    }
}

/// One exec: decoded from a record (borrowing it), or made to be encoded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// `bpf_ktime_get_ns()` at capture: CLOCK_MONOTONIC, nanoseconds.
    pub ktime_ns: u64,
    /// Thread-group id (after a non-leader thread's exec: the leader's).
    pub pid: u32,
    /// Thread id (equal to `pid` after a successful exec).
    pub tid: u32,
    /// The real parent's thread-group id.
    pub ppid: u32,
    /// Real uid (the new credentials' after a successful exec).
    pub uid: u32,
    /// 0, or the failed exec's -errno.
    pub retval: i32,
    /// What was left out.
    pub flags: Flags,
    /// The task's comm, without its NUL (the new program's name after a
    /// successful exec, the caller's for a failed one).
    pub comm: &'a [u8],
    /// The executed path, without its NUL: the kernel's name for a
    /// successful exec (`/dev/fd/N/NAME` for execveat on a descriptor), the
    /// caller's string for a failed one.
    pub path: &'a [u8],
    /// The arguments.
    pub args: Args<'a>,
}

/// Why a record is not an event the BPF side could have sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Shorter than the header.
    #[error("a {len}-byte record is shorter than the {HEADER_SIZE}-byte event header")]
    Short {
        /// The record's length.
        len: usize,
    },
    /// The header's sizes do not match the record's length (a perf buffer
    /// record may carry up to 7 bytes of padding, no more).
    #[error(
        "the header says {path_size} bytes of path and {args_size} of arguments, \
         {} bytes in all, but the record has {len}",
        HEADER_SIZE + *path_size as usize + *args_size as usize
    )]
    Sizes {
        /// The record's length.
        len: usize,
        /// `path_size`.
        path_size: u16,
        /// `args_size`.
        args_size: u16,
    },
    /// The path is empty or does not end with its NUL.
    #[error("the path ({path_size} bytes) does not end with a NUL")]
    Path {
        /// `path_size`.
        path_size: u16,
    },
    /// The arguments are not `args_count` NUL-terminated strings.
    #[error("{args_size} bytes of arguments are not {args_count} NUL-terminated strings")]
    Args {
        /// `args_count`.
        args_count: u16,
        /// `args_size`.
        args_size: u16,
    },
}

fn u16_at(record: &[u8], offset: usize) -> u16 {
    u16::from_ne_bytes([record[offset], record[offset + 1]])
}

fn u32_at(record: &[u8], offset: usize) -> u32 {
    let b = &record[offset..offset + 4];
    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
}

fn u64_at(record: &[u8], offset: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&record[offset..offset + 8]);
    u64::from_ne_bytes(b)
}

/// Most padding a perf buffer adds after a sample.
const PERF_PADDING: usize = 7;

impl<'a> Event<'a> {
    /// Decodes one ring or perf buffer record.
    pub fn parse(record: &'a [u8]) -> Result<Event<'a>, DecodeError> {
        let len = record.len();
        if len < HEADER_SIZE {
            return Err(DecodeError::Short { len });
        }
        let args_count = u16_at(record, 32);
        let args_size = u16_at(record, 34);
        let path_size = u16_at(record, 36);
        let end = HEADER_SIZE + path_size as usize + args_size as usize;
        if end > len || len - end > PERF_PADDING {
            return Err(DecodeError::Sizes {
                len,
                path_size,
                args_size,
            });
        }
        let path_end = HEADER_SIZE + path_size as usize;
        let path = match record[HEADER_SIZE..path_end].split_last() {
            Some((0, path)) => path,
            _ => return Err(DecodeError::Path { path_size }),
        };
        let args = &record[path_end..end];
        let terminated = args.last().is_none_or(|b| *b == 0);
        let strings = args.iter().filter(|b| **b == 0).count();
        if !terminated || strings != args_count as usize {
            return Err(DecodeError::Args {
                args_count,
                args_size,
            });
        }
        let comm = &record[40..40 + COMM_LEN];
        let comm = comm.split(|b| *b == 0).next().unwrap_or(comm);
        Ok(Event {
            ktime_ns: u64_at(record, 0),
            pid: u32_at(record, 8),
            tid: u32_at(record, 12),
            ppid: u32_at(record, 16),
            uid: u32_at(record, 20),
            retval: u32_at(record, 24) as i32,
            flags: Flags(u32_at(record, 28)),
            comm,
            path,
            args: Args::Packed {
                bytes: args,
                count: args_count,
            },
        })
    }

    /// The record the BPF side would send for this event, laid out as
    /// `execsnoop.h` says (for tests and replays; sizes saturate at
    /// `u16::MAX`, making a record decoding refuses, and comm keeps at most
    /// [`COMM_LEN`] bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut r = vec![0u8; HEADER_SIZE];
        let mut put = |offset: usize, bytes: &[u8]| {
            r[offset..offset + bytes.len()].copy_from_slice(bytes);
        };
        put(0, &self.ktime_ns.to_ne_bytes());
        put(8, &self.pid.to_ne_bytes());
        put(12, &self.tid.to_ne_bytes());
        put(16, &self.ppid.to_ne_bytes());
        put(20, &self.uid.to_ne_bytes());
        put(24, &self.retval.to_ne_bytes());
        put(28, &self.flags.bits().to_ne_bytes());
        let args_size: usize = self.args.iter().map(|a| a.len() + 1).sum();
        let size = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).to_ne_bytes();
        put(32, &size(self.args.len()));
        put(34, &size(args_size));
        put(36, &size(self.path.len() + 1));
        put(40, &self.comm[..self.comm.len().min(COMM_LEN)]);
        r.extend_from_slice(self.path);
        r.push(0);
        for arg in self.args.iter() {
            r.extend_from_slice(arg);
            r.push(0);
        }
        r
    }

    /// Whether the exec failed (only reported with failed execs enabled).
    pub fn failed(&self) -> bool {
        self.retval < 0
    }
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |b: &[u8]| corex_btf::printable(b).to_string();
        f.debug_struct("Event")
            .field("ktime_ns", &self.ktime_ns)
            .field("pid", &self.pid)
            .field("tid", &self.tid)
            .field("ppid", &self.ppid)
            .field("uid", &self.uid)
            .field("retval", &self.retval)
            .field("flags", &self.flags)
            .field("comm", &text(self.comm))
            .field("path", &text(self.path))
            .field("args", &self.args)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(header: &[(usize, u64)], comm: &[u8], path: &[u8], args: &[&[u8]]) -> Vec<u8> {
        let mut event = Event {
            ktime_ns: 0,
            pid: 0,
            tid: 0,
            ppid: 0,
            uid: 0,
            retval: 0,
            flags: Flags::default(),
            comm,
            path,
            args: Args::List(args),
        };
        for &(offset, value) in header {
            match offset {
                0 => event.ktime_ns = value,
                8 => event.pid = value as u32,
                12 => event.tid = value as u32,
                16 => event.ppid = value as u32,
                20 => event.uid = value as u32,
                24 => event.retval = value as u32 as i32,
                28 => event.flags = Flags::from_bits(value as u32),
                _ => unreachable!(),
            }
        }
        event.encode()
    }

    #[test]
    fn decodes_every_field() {
        let r = record(
            &[
                (0, 123_456),
                (8, 10),
                (12, 11),
                (16, 1),
                (20, 1000),
                (24, (-2i32) as u32 as u64),
                (28, 0x21),
            ],
            b"bash",
            b"/bin/ls",
            &[b"ls", b"", b"-l\xff"],
        );
        let e = Event::parse(&r).unwrap();
        assert_eq!(e.ktime_ns, 123_456);
        assert_eq!((e.pid, e.tid, e.ppid, e.uid), (10, 11, 1, 1000));
        assert_eq!(e.retval, -2);
        assert!(e.failed());
        assert_eq!(e.flags, Flags::ARGS_TRUNCATED | Flags::EXECVEAT);
        assert_eq!(
            e.flags.names().collect::<Vec<_>>(),
            ["args_truncated", "execveat"]
        );
        assert_eq!(e.comm, b"bash");
        assert_eq!(e.path, b"/bin/ls");
        assert_eq!(
            e.args.iter().collect::<Vec<_>>(),
            [&b"ls"[..], b"", b"-l\xff"]
        );
        assert_eq!(
            e.args,
            Args::Packed {
                bytes: b"ls\0\0-l\xff\0",
                count: 3
            }
        );
    }

    #[test]
    fn a_full_comm_and_no_arguments() {
        let r = record(&[], b"0123456789abcdef", b"", &[]);
        let e = Event::parse(&r).unwrap();
        assert_eq!(e.comm, b"0123456789abcdef");
        assert_eq!(e.path, b"");
        assert!(e.args.is_empty());
        // A perf buffer's padding is allowed, up to 7 bytes.
        let mut padded = r.clone();
        padded.extend_from_slice(&[0; 7]);
        assert!(Event::parse(&padded).is_ok());
        padded.push(0);
        assert!(matches!(
            Event::parse(&padded),
            Err(DecodeError::Sizes { .. })
        ));
    }

    #[test]
    fn broken_records_say_what_is_wrong() {
        assert_eq!(
            Event::parse(&[0; 10]).unwrap_err().to_string(),
            "a 10-byte record is shorter than the 56-byte event header"
        );
        let good = record(&[], b"x", b"/p", &[b"a", b"b"]);
        let mut long_path = good.clone();
        long_path[36] = 200;
        assert_eq!(
            Event::parse(&long_path).unwrap_err().to_string(),
            "the header says 200 bytes of path and 4 of arguments, 260 bytes in all, but the record has 63"
        );
        let mut unterminated = good.clone();
        unterminated[HEADER_SIZE + 2] = b'x';
        assert_eq!(
            Event::parse(&unterminated).unwrap_err(),
            DecodeError::Path { path_size: 3 }
        );
        let mut miscounted = good.clone();
        miscounted[32] = 3;
        assert_eq!(
            Event::parse(&miscounted).unwrap_err().to_string(),
            "4 bytes of arguments are not 3 NUL-terminated strings"
        );
        let mut open_ended = good;
        let last = open_ended.len() - 1;
        open_ended[last] = b'c';
        open_ended[32] = 1;
        assert!(matches!(
            Event::parse(&open_ended),
            Err(DecodeError::Args { .. })
        ));
    }

    #[test]
    fn any_bytes_decode_or_fail_without_panicking() {
        // Every truncation and every single-byte change of a valid record.
        let good = record(&[(8, 5)], b"sh", b"/bin/sh", &[b"sh", b"-c", b"echo hi"]);
        for len in 0..good.len() {
            let _ = Event::parse(&good[..len]);
        }
        for i in 0..good.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut r = good.clone();
                r[i] = v;
                if let Ok(e) = Event::parse(&r) {
                    assert_eq!(e.args.iter().count(), e.args.len());
                }
            }
        }
    }

    #[test]
    fn unknown_flags_are_kept() {
        let f = Flags::from_bits(0x100 | 1);
        assert_eq!(f.unknown_bits(), 0x100);
        assert_eq!(format!("{f:?}"), "[\"args_truncated\", 0x100]");
    }
}
