//! `uprobe/BINARY:FUNC[+OFFSET]`, `uretprobe/BINARY:FUNC`: a uprobe perf
//! event at a file offset of a binary or shared library (PMU, or a tracefs
//! `uprobe_events` line removed on detach). The binary is found like the
//! dynamic linker would; the function through the ELF symbol tables.

use super::binary::resolve_binary;
use super::elf_symbols::{function_file_offset, SymbolError};
use super::error::{AttachError, Missing, NoTarget, Result};
use super::features::ProbeKind;
use super::link::Link;
use super::perf_event::attach_to_event;
use super::probe::{open_probe, ProbeFailure, ProbeMethod, ProbeRequest};
use corex_object::AttachKind;
use corex_sys::ProgFd;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

/// How to attach a uprobe or uretprobe program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UprobeOptions {
    /// The function to probe; `None`: `offset` is a file offset.
    pub function: Option<String>,
    /// Bytes into the function (or into the file without a function).
    pub offset: u64,
    /// A return probe.
    pub retprobe: bool,
    /// Only this process (`None`: every process that runs the code).
    pub pid: Option<u32>,
    /// The value `bpf_get_attach_cookie()` returns in the program.
    pub cookie: u64,
    /// PMU or tracefs.
    pub method: ProbeMethod,
}

impl UprobeOptions {
    /// A probe on `function`'s entry.
    pub fn function(function: &str) -> UprobeOptions {
        UprobeOptions {
            function: Some(function.to_owned()),
            ..UprobeOptions::default()
        }
    }
}

/// Attaches `prog` (a kprobe-type program) to `binary` (a path, a shared
/// library's name such as `libc.so.6`, or an executable's name on `PATH`) at
/// `options.function` + `options.offset`.
pub fn attach_uprobe(prog: &ProgFd, binary: &str, options: &UprobeOptions) -> Result<Link> {
    let kind = if options.retprobe {
        AttachKind::Uretprobe
    } else {
        AttachKind::Uprobe
    };
    let target = match (&options.function, options.offset) {
        (Some(f), 0) => format!("{binary}:{f}"),
        (Some(f), off) => format!("{binary}:{f}+{off:#x}"),
        (None, off) => format!("{binary}:{off:#x}"),
    };
    let bad = |why: &str| AttachError::BadTarget {
        kind,
        target: target.clone(),
        why: why.into(),
    };
    if options.retprobe && options.function.is_some() && options.offset != 0 {
        return Err(bad("a return probe takes no offset into the function"));
    }
    let found = resolve_binary(binary).ok_or_else(|| AttachError::NoTarget {
        kind,
        target: NoTarget::Binary {
            name: binary.to_owned(),
        },
    })?;
    let path = std::fs::canonicalize(&found).map_err(|source| AttachError::File {
        kind,
        path: found.clone(),
        source,
    })?;
    let function_offset = match &options.function {
        None => 0,
        Some(function) => {
            let data = std::fs::read(&path).map_err(|source| AttachError::File {
                kind,
                path: path.clone(),
                source,
            })?;
            function_file_offset(&data, function).map_err(|e| match e {
                SymbolError::NotFound => AttachError::NoTarget {
                    kind,
                    target: NoTarget::Symbol {
                        binary: path.clone(),
                        symbol: function.clone(),
                    },
                },
                SymbolError::NotElf(why) => AttachError::Elf {
                    kind,
                    path: path.clone(),
                    why,
                },
                SymbolError::Ambiguous { addresses } => AttachError::Elf {
                    kind,
                    path: path.clone(),
                    why: format!(
                        "{} global function symbols are named {} (at {})",
                        addresses.len(),
                        corex_btf::printable(function),
                        addresses
                            .iter()
                            .map(|a| format!("{a:#x}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                SymbolError::NotInFile { address } => AttachError::Elf {
                    kind,
                    path: path.clone(),
                    why: format!(
                        "the function {} at {address:#x} has no bytes in the file",
                        corex_btf::printable(function)
                    ),
                },
            })?
        }
    };
    let offset = function_offset
        .checked_add(options.offset)
        .ok_or_else(|| bad("the offset overflows"))?;
    let path_bytes = path.as_os_str().as_bytes();
    let c_path = CString::new(path_bytes).map_err(|_| bad("the path has a NUL byte"))?;
    let path_text = String::from_utf8_lossy(path_bytes).into_owned();
    if options.method == ProbeMethod::Tracefs && path_text.contains(char::is_whitespace) {
        return Err(bad(
            "tracefs uprobe_events cannot name a path with white space",
        ));
    }
    let pid = match options.pid {
        None => -1,
        Some(pid) => i32::try_from(pid).map_err(|_| bad("the pid is out of range"))?,
    };
    let label = options
        .function
        .clone()
        .unwrap_or_else(|| format!("{offset:x}"));
    let request = ProbeRequest {
        kind: ProbeKind::Uprobe,
        retprobe: options.retprobe,
        pmu_target: &c_path,
        offset,
        tracefs_definition: format!("{path_text}:{offset:#x}"),
        label: &label,
        pid,
        method: options.method,
    };
    let (event, probe) = open_probe(&request).map_err(|failure| match failure {
        ProbeFailure::NoMechanism { no_tracefs } => AttachError::Unsupported {
            kind,
            missing: if no_tracefs {
                Missing::ProbePmuAndTracefs
            } else {
                Missing::Uprobes
            },
            source: None,
        },
        ProbeFailure::Open(source) => AttachError::Kernel {
            kind,
            target: target.clone(),
            source,
        },
        ProbeFailure::Tracefs { path, error } => AttachError::File {
            kind,
            path,
            source: error,
        },
    })?;
    attach_to_event(prog, kind, &target, event, probe, options.cookie)
}
