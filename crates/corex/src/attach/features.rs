//! What the running kernel can do for attaching, found out once per process
//! by trying (a perf link with a bad fd) or by reading sysfs (the dynamic
//! probe PMUs), never guessed from the version.

use corex_sys::{LinkFd, LinkTarget, PerfEventFd, ProgFd, ProgLoad};
use corex_uapi::ProgType;
use std::path::Path;
use std::sync::OnceLock;

/// A dynamic probe PMU (`/sys/bus/event_source/devices/{kprobe,uprobe}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProbePmu {
    /// The PMU's `type` for `perf_event_open`.
    pub(crate) pmu_type: u32,
    /// The `config` bit that makes a return probe.
    pub(crate) retprobe_bit: u32,
}

/// Which dynamic probe PMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    Kprobe,
    Uprobe,
}

impl ProbeKind {
    fn pmu_dir(self) -> &'static str {
        match self {
            ProbeKind::Kprobe => "/sys/bus/event_source/devices/kprobe",
            ProbeKind::Uprobe => "/sys/bus/event_source/devices/uprobe",
        }
    }
}

/// The PMU of `kind`, `None` when the kernel has none (before 4.17, or
/// without the probe events configured).
pub(crate) fn probe_pmu(kind: ProbeKind) -> Option<ProbePmu> {
    static KPROBE: OnceLock<Option<ProbePmu>> = OnceLock::new();
    static UPROBE: OnceLock<Option<ProbePmu>> = OnceLock::new();
    let cell = match kind {
        ProbeKind::Kprobe => &KPROBE,
        ProbeKind::Uprobe => &UPROBE,
    };
    *cell.get_or_init(|| read_pmu(Path::new(kind.pmu_dir())))
}

fn read_pmu(dir: &Path) -> Option<ProbePmu> {
    let pmu_type = std::fs::read_to_string(dir.join("type"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // `config:0`: the bit of `config` that selects a return probe.
    let retprobe_bit = std::fs::read_to_string(dir.join("format/retprobe"))
        .ok()
        .and_then(|t| parse_config_bit(&t))
        .unwrap_or(0);
    Some(ProbePmu {
        pmu_type,
        retprobe_bit,
    })
}

/// The bit of a PMU format file of the form `config:N`.
pub(crate) fn parse_config_bit(text: &str) -> Option<u32> {
    text.trim()
        .strip_prefix("config:")?
        .parse()
        .ok()
        .filter(|b| *b < 64)
}

/// Whether `BPF_LINK_CREATE` makes links for perf events (Linux 5.15+),
/// which carry BPF cookies and can be pinned. Tried as libbpf does: a link
/// to an fd that is not a perf event fails with EBADF only on kernels that
/// know perf links (older ones refuse the attach type with EINVAL).
pub(crate) fn perf_links() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(probe_perf_links)
}

fn probe_perf_links() -> bool {
    // r0 = 0; exit
    let insns = [
        0xb7, 0, 0, 0, 0, 0, 0, 0, //
        0x95, 0, 0, 0, 0, 0, 0, 0,
    ];
    let Ok(prog) = ProgFd::load(&mut ProgLoad::new(ProgType::TRACEPOINT, &insns, c"GPL")) else {
        return false;
    };
    let Ok(not_an_event) = std::fs::File::open("/dev/null") else {
        return false;
    };
    let not_an_event = PerfEventFd::from_owned(not_an_event.into());
    match LinkFd::create(
        &prog,
        LinkTarget::PerfEvent {
            event: &not_an_event,
            cookie: 0,
        },
    ) {
        Err(e) => e.errno() == Some(corex_sys::Errno::EBADF),
        // Cannot happen (/dev/null is no perf event); a link means support.
        Ok(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pmu_format_bits() {
        assert_eq!(parse_config_bit("config:0\n"), Some(0));
        assert_eq!(parse_config_bit("config:32-63"), None);
        assert_eq!(parse_config_bit("config:64"), None);
        assert_eq!(parse_config_bit("config1:0"), None);
    }
}
