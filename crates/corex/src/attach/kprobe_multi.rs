//! `kprobe.multi/PATTERN`, `kretprobe.multi/PATTERN`: one link on many
//! kernel functions through the kernel's fprobe mechanism (Linux 5.18+,
//! CONFIG_FPROBE), with a BPF cookie per function. Glob patterns are
//! resolved against tracefs `available_filter_functions`, the functions
//! fprobe can attach to.

use super::error::{AttachError, Missing, NoTarget, Result};
use super::link::Link;
use super::tracefs;
use corex_object::AttachKind;
use corex_sys::{Errno, LinkFd, LinkTarget, ProgFd};
use std::ffi::CString;

/// Which functions a kprobe.multi link probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KprobeMultiTarget<'a> {
    /// A glob pattern (`*` any run of characters, `?` one), or a plain name.
    Pattern(&'a str),
    /// These functions, by name.
    Symbols(&'a [&'a str]),
}

/// How to attach a kprobe.multi program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KprobeMultiOptions {
    /// Probe the functions' returns.
    pub retprobe: bool,
    /// `bpf_get_attach_cookie()` per function: one per symbol of
    /// [`KprobeMultiTarget::Symbols`], or one for every function a pattern
    /// matches; empty for none.
    pub cookies: Vec<u64>,
}

/// Whether `name` matches glob `pattern` (`*`, `?`; everything else
/// literal), as libbpf's `glob_match`.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    // Where the last `*` was and what it had swallowed, to backtrack.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if *c == b'?' || *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// The functions of `available_filter_functions` text (`name` or
/// `name [module]` a line) that match `pattern`, each once, sorted.
pub fn matching_functions(available: &str, pattern: &str) -> Vec<String> {
    let mut names: Vec<String> = available
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| glob_match(pattern, name))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// What the kernel lacks for kprobe.multi, by kallsyms (which `symbol`
/// answers, `None` when unreadable): the link type itself (no
/// `bpf_kprobe_multi_link_attach`), or fprobe behind it (no
/// `register_fprobe_ips`); `None` if it has both or cannot tell.
pub(crate) fn kprobe_multi_missing(symbol: &dyn Fn(&str) -> Option<bool>) -> Option<Missing> {
    if !symbol("bpf_kprobe_multi_link_attach")? {
        Some(Missing::KprobeMultiLink)
    } else if !symbol("register_fprobe_ips")? && !symbol("register_fprobe")? {
        Some(Missing::Fprobe)
    } else {
        None
    }
}

/// Attaches `prog` (a kprobe program loaded with expected attach type
/// `TRACE_KPROBE_MULTI`) to every function of `target`.
pub fn attach_kprobe_multi(
    prog: &ProgFd,
    target: KprobeMultiTarget<'_>,
    options: &KprobeMultiOptions,
) -> Result<Link> {
    let kind = if options.retprobe {
        AttachKind::KretprobeMulti
    } else {
        AttachKind::KprobeMulti
    };
    let label = match target {
        KprobeMultiTarget::Pattern(p) => p.to_owned(),
        KprobeMultiTarget::Symbols(s) => s.join(","),
    };
    let bad = |why: String| AttachError::BadTarget {
        kind,
        target: label.clone(),
        why,
    };
    let unsupported = |missing, source| AttachError::Unsupported {
        kind,
        missing,
        source,
    };
    let names: Vec<String> = match target {
        KprobeMultiTarget::Pattern(p) if is_glob(p) => {
            let Some(root) = tracefs::root() else {
                return Err(kprobe_multi_missing(&super::kernel_symbol)
                    .map_or(unsupported(Missing::Tracefs, None), |m| {
                        unsupported(m, None)
                    }));
            };
            let path = root.join("available_filter_functions");
            let available = std::fs::read_to_string(&path).map_err(|source| {
                // Reading fails on kernels that lock tracefs down; if the
                // kernel lacks kprobe.multi anyway, that is the news.
                match kprobe_multi_missing(&super::kernel_symbol) {
                    Some(m) => unsupported(m, None),
                    None => AttachError::File { kind, path, source },
                }
            })?;
            let names = matching_functions(&available, p);
            if names.is_empty() {
                return Err(AttachError::NoTarget {
                    kind,
                    target: NoTarget::Pattern {
                        pattern: p.to_owned(),
                    },
                });
            }
            names
        }
        KprobeMultiTarget::Pattern(p) => vec![p.to_owned()],
        KprobeMultiTarget::Symbols(s) => s.iter().map(|s| (*s).to_owned()).collect(),
    };
    let cookies: Vec<u64> = match (target, options.cookies.as_slice()) {
        (_, []) => Vec::new(),
        (KprobeMultiTarget::Pattern(_), [one]) => vec![*one; names.len()],
        (KprobeMultiTarget::Symbols(s), all) if all.len() == s.len() => all.to_vec(),
        (_, all) => {
            return Err(bad(format!(
                "{} cookies for {} functions (give one per symbol, or one for a pattern)",
                all.len(),
                names.len()
            )))
        }
    };
    let c_names = names
        .iter()
        .map(|n| CString::new(n.as_str()).map_err(|_| bad("a name has a NUL byte".into())))
        .collect::<Result<Vec<_>>>()?;
    let symbols: Vec<&std::ffi::CStr> = c_names.iter().map(|c| c.as_c_str()).collect();
    let created = LinkFd::create(
        prog,
        LinkTarget::KprobeMulti {
            symbols: &symbols,
            addresses: &[],
            cookies: &cookies,
            retprobe: options.retprobe,
        },
    );
    let link = created.map_err(|source| {
        let errno = source.errno();
        let missing = kprobe_multi_missing(&super::kernel_symbol);
        match (errno, missing) {
            (_, Some(m)) if source.is_not_supported() || errno == Some(Errno::EINVAL) => {
                unsupported(m, Some(source))
            }
            // Without kallsyms to tell: EOPNOTSUPP is what the kernel
            // returns when it was built without fprobe.
            (Some(Errno::EOPNOTSUPP | Errno::ENOTSUPP), None)
                if super::kernel_symbol("register_fprobe_ips").is_none() =>
            {
                unsupported(Missing::Fprobe, Some(source))
            }
            (Some(Errno::ESRCH | Errno::ENOENT), _) => AttachError::NoTarget {
                kind,
                target: match target {
                    KprobeMultiTarget::Pattern(p) => NoTarget::Pattern {
                        pattern: p.to_owned(),
                    },
                    KprobeMultiTarget::Symbols(_) => NoTarget::KernelFunction {
                        name: label.clone(),
                    },
                },
            },
            _ => AttachError::Kernel {
                kind,
                target: label.clone(),
                source,
            },
        }
    })?;
    Ok(Link::bpf(kind, &label, link))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_libbpf_does() {
        assert!(glob_match("tcp_*", "tcp_v4_connect"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*connect", "tcp_v4_connect"));
        assert!(glob_match("tcp_v?_connect", "tcp_v6_connect"));
        assert!(glob_match("*_v*_*t", "tcp_v4_connect"));
        assert!(!glob_match("tcp_*", "udp_sendmsg"));
        assert!(!glob_match("tcp_v?_connect", "tcp_v10_connect"));
        assert!(!glob_match("a", "ab"));
        assert!(glob_match("a**b", "ab"));
    }

    #[test]
    fn patterns_resolve_against_available_filter_functions() {
        let available = "do_sys_open\nvfs_read\nvfs_write\nvfs_read\nnf_vfs_x [nf_tables]\n";
        assert_eq!(
            matching_functions(available, "vfs_*"),
            vec!["vfs_read", "vfs_write"]
        );
        assert_eq!(matching_functions(available, "*vfs_x"), vec!["nf_vfs_x"]);
        assert!(matching_functions(available, "tcp_*").is_empty());
    }

    #[test]
    fn what_is_missing_is_decided_from_kallsyms() {
        let old = |_: &str| Some(false);
        let no_fprobe = |name: &str| Some(name == "bpf_kprobe_multi_link_attach");
        let full = |name: &str| Some(name != "register_fprobe");
        let unreadable = |_: &str| None;
        assert_eq!(kprobe_multi_missing(&old), Some(Missing::KprobeMultiLink));
        assert_eq!(kprobe_multi_missing(&no_fprobe), Some(Missing::Fprobe));
        assert_eq!(kprobe_multi_missing(&full), None);
        assert_eq!(kprobe_multi_missing(&unreadable), None);
        assert_eq!(
            Missing::Fprobe.to_string(),
            "this kernel has no fprobe (CONFIG_FPROBE is off)"
        );
    }
}
