//! tracefs: where it is mounted, tracepoint ids, and the legacy probe
//! interface (`kprobe_events`, `uprobe_events`) with probes that are removed
//! when dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Where tracefs is mounted: the `tracefs` entry of `/proc/self/mounts`, else
/// `tracing/` under a mounted debugfs; `None` when neither is mounted.
pub(crate) fn root() -> Option<&'static Path> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
        find_root(&mounts, |p| p.join("events").is_dir())
    })
    .as_deref()
}

/// The tracefs directory named by mount table `mounts` (the text of
/// `/proc/self/mounts`); `usable` says whether a candidate holds tracefs.
pub(crate) fn find_root(mounts: &str, usable: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let entries: Vec<(PathBuf, &str)> = mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _device = fields.next()?;
            let mount_point = unescape_mount_field(fields.next()?);
            let fs_type = fields.next()?;
            Some((PathBuf::from(mount_point), fs_type))
        })
        .collect();
    let tracefs = entries
        .iter()
        .filter(|(_, t)| *t == "tracefs")
        .map(|(p, _)| p.clone());
    let debugfs = entries
        .iter()
        .filter(|(_, t)| *t == "debugfs")
        .map(|(p, _)| p.join("tracing"));
    tracefs.chain(debugfs).find(|p| usable(p))
}

/// `/proc/mounts` writes space, tab, newline and backslash in paths as
/// `\040`-style octal escapes.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|_| bytes[i] == b'\\');
        let value = octal.and_then(|o| u8::from_str_radix(std::str::from_utf8(o).ok()?, 8).ok());
        match value {
            Some(v) => {
                out.push(v);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The id of tracepoint `category/name` (`events/CATEGORY/NAME/id`), `None`
/// when it does not exist; an error when tracefs is not mounted or the file
/// cannot be read.
pub(crate) fn event_id(root: &Path, category: &str, name: &str) -> std::io::Result<Option<u64>> {
    let path = root.join("events").join(category).join(name).join("id");
    match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().parse().map(Some).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: not an event id: {:?}", path.display(), text.trim()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether a tracefs path component is safe to use (no separators, no
/// `..`): tracepoint categories and names come from section names.
pub(crate) fn is_plain_component(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && !s.contains('\0')
}

/// Which legacy probe file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeFile {
    /// `kprobe_events`.
    Kprobe,
    /// `uprobe_events`.
    Uprobe,
}

impl ProbeFile {
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            ProbeFile::Kprobe => "kprobe_events",
            ProbeFile::Uprobe => "uprobe_events",
        }
    }
}

/// The group corex's legacy probes live in (`events/corex_probes/...`).
pub const PROBE_GROUP: &str = "corex_probes";

/// The longest event name tracefs takes (`MAX_EVENT_NAME_LEN` is 64 with
/// its NUL).
const MAX_EVENT_NAME: usize = 63;

/// A unique event name for a probe of `target`: `corex_PID_N_TARGET`, the
/// target's characters other than `[A-Za-z0-9_]` as `_`, cut to fit.
pub(crate) fn unique_event_name(target: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!("corex_{}_{n}_", std::process::id());
    let room = MAX_EVENT_NAME.saturating_sub(name.len());
    name.extend(
        target
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(room),
    );
    name
}

/// A probe corex added to `kprobe_events` or `uprobe_events`, removed from
/// it on drop (after the perf event that uses it is closed).
#[derive(Debug)]
pub(crate) struct TracefsProbe {
    events_file: PathBuf,
    name: String,
    removed: bool,
}

impl TracefsProbe {
    /// Adds probe `name` with `definition` (what follows the event name in
    /// the probe line: `FUNC+OFF`, `/path:0xOFF`) and returns it with its
    /// tracepoint id.
    pub(crate) fn create(
        root: &Path,
        file: ProbeFile,
        retprobe: bool,
        name: &str,
        definition: &str,
    ) -> std::io::Result<(TracefsProbe, u64)> {
        let events_file = root.join(file.file_name());
        let kind = if retprobe { 'r' } else { 'p' };
        let line = format!("{kind}:{PROBE_GROUP}/{name} {definition}\n");
        append(&events_file, &line)?;
        let probe = TracefsProbe {
            events_file,
            name: name.to_owned(),
            removed: false,
        };
        match event_id(root, PROBE_GROUP, name)? {
            Some(id) => Ok((probe, id)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the probe {PROBE_GROUP}/{name} was added but has no event id"),
            )),
        }
    }

    /// The probe's event name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The control file the probe was added to.
    pub(crate) fn events_file(&self) -> &Path {
        &self.events_file
    }

    /// Removes the probe now, saying why if the kernel refuses (EBUSY: a
    /// perf event still uses it).
    pub(crate) fn remove(mut self) -> std::io::Result<()> {
        self.removed = true;
        self.remove_line()
    }

    fn remove_line(&self) -> std::io::Result<()> {
        append(
            &self.events_file,
            &format!("-:{PROBE_GROUP}/{}\n", self.name),
        )
    }
}

impl Drop for TracefsProbe {
    fn drop(&mut self) {
        if !self.removed {
            // Best effort: a probe still used elsewhere (EBUSY) stays, as
            // the kernel wants.
            let _ = self.remove_line();
        }
    }
}

/// Appends one line to a tracefs control file in a single write, as the
/// kernel parses each write on its own.
fn append(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(line.as_bytes())
}

/// The lines of `events_file` (`kprobe_events`, `uprobe_events`) that name a
/// probe of corex's group: for tests and tools that check nothing is left.
pub fn corex_probes(events_file: &Path) -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string(events_file)?;
    Ok(text
        .lines()
        .filter(|l| l.contains(&format!(":{PROBE_GROUP}/")))
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracefs_is_found_in_the_mount_table() {
        let mounts = "sysfs /sys sysfs rw 0 0\n\
                      nodev /sys/kernel/tracing tracefs rw,relatime 0 0\n\
                      debugfs /sys/kernel/debug debugfs rw 0 0\n";
        assert_eq!(
            find_root(mounts, |_| true),
            Some(PathBuf::from("/sys/kernel/tracing"))
        );
        let debug_only = "debugfs /sys/kernel/debug debugfs rw 0 0\n";
        assert_eq!(
            find_root(debug_only, |_| true),
            Some(PathBuf::from("/sys/kernel/debug/tracing"))
        );
        assert_eq!(find_root(debug_only, |_| false), None);
        assert_eq!(find_root("", |_| true), None);
        let escaped = "nodev /mnt/my\\040trace tracefs rw 0 0\n";
        assert_eq!(
            find_root(escaped, |_| true),
            Some(PathBuf::from("/mnt/my trace"))
        );
    }

    #[test]
    fn event_names_are_unique_and_fit() {
        let a = unique_event_name("do_sys_open+0x10");
        let b = unique_event_name("do_sys_open+0x10");
        assert_ne!(a, b);
        assert!(a.ends_with("do_sys_open_0x10"), "{a}");
        let long = unique_event_name(&"x".repeat(200));
        assert_eq!(long.len(), MAX_EVENT_NAME);
        assert!(long.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn path_components_are_checked() {
        assert!(is_plain_component("syscalls"));
        assert!(!is_plain_component(".."));
        assert!(!is_plain_component("a/b"));
        assert!(!is_plain_component(""));
    }
}
