//! Kernel inputs read from files: vmlinux BTF, the kernel configuration,
//! kallsyms. Errors are the reason in words, naming the file.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use corex_object::load::{Kallsyms, KernelBtf};

use super::{display_path, release_path};

/// Where libbpf looks for vmlinux BTF after `/sys/kernel/btf/vmlinux`
/// (`{}` is the release).
const VMLINUX_PATHS: [&str; 7] = [
    "/boot/vmlinux-{}",
    "/lib/modules/{}/vmlinux-{}",
    "/lib/modules/{}/build/vmlinux",
    "/usr/lib/modules/{}/kernel/vmlinux",
    "/usr/lib/debug/boot/vmlinux-{}",
    "/usr/lib/debug/boot/vmlinux-{}.debug",
    "/usr/lib/debug/lib/modules/{}/vmlinux",
];

/// Reads BTF from `path` (raw, ELF, xz or BTFHub's tar.xz), naming the
/// file in the error.
pub(crate) fn read_btf(path: &Path) -> Result<Arc<corex_btf::Btf>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", display_path(path)))?;
    corex_btf::load_vec(data, None)
        .map(|loaded| Arc::new(loaded.btf))
        .map_err(|e| format!("{}: {e}", display_path(path)))
}

/// vmlinux BTF as the kernel's BTF object holds it: one copy of the whole
/// data, where `/sys/kernel/btf/vmlinux` gives a page per read. The first
/// kernel BTF the kernel lists is vmlinux's (registered at boot, before
/// any module's); `None` without the privilege to open it, or anything
/// unexpected.
fn vmlinux_from_kernel_object() -> Option<corex_btf::Btf> {
    let mut last = 0;
    for id in corex_sys::ids(corex_sys::ObjectKind::Btf).take(16) {
        let id = id.ok()?;
        if id <= last {
            return None;
        }
        last = id;
        let fd = corex_sys::BtfFd::from_id(id).ok()?;
        let info = fd.info().ok()?;
        if info.kernel_btf {
            let data = (info.name == "vmlinux").then(|| fd.data().ok())??;
            return corex_btf::Btf::from_vec(data, None).ok();
        }
    }
    None
}

/// The running kernel's BTF: its BTF object's data, else sysfs, else a
/// vmlinux image.
pub(super) fn vmlinux_btf(release: &str) -> Result<KernelBtf, String> {
    let sysfs = Path::new("/sys/kernel/btf/vmlinux");
    if sysfs.exists() {
        if let Some(btf) = vmlinux_from_kernel_object() {
            return Ok(KernelBtf::new("vmlinux", Arc::new(btf)));
        }
        return read_btf(sysfs).map(|btf| KernelBtf::new("vmlinux", btf));
    }
    for template in VMLINUX_PATHS {
        let path = release_path(template, release);
        if path.exists() {
            return read_btf(&path).map(|btf| KernelBtf::new("vmlinux", btf));
        }
    }
    Err(format!(
        "this kernel has no BTF: /sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF is \
         off) and no vmlinux image with BTF was found (/boot/vmlinux-{release} and the other \
         places libbpf looks). CO-RE relocations can use another kernel's BTF (--btf), but \
         tp_btf, fentry/fexit and lsm programs, kfuncs and typed ksyms need the kernel's own"
    ))
}

/// `/boot/config-RELEASE` or, failing that, `/proc/config.gz`.
pub(super) fn kconfig(release: &str) -> Result<String, String> {
    let boot = release_path("/boot/config-{}", release);
    match std::fs::read(&boot) {
        Ok(bytes) => return maybe_gunzip(&boot, bytes),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("{}: {e}", display_path(&boot)))
        }
        Err(_) => {}
    }
    let proc = Path::new("/proc/config.gz");
    match std::fs::read(proc) {
        Ok(bytes) => maybe_gunzip(proc, bytes),
        Err(e) => Err(format!(
            "neither {} nor /proc/config.gz can be read ({e}; CONFIG_IKCONFIG_PROC is off?)",
            display_path(&boot)
        )),
    }
}

/// The text of `bytes`, decompressed if gzip'd (libbpf opens both with
/// `gzopen`, which reads plain files too).
fn maybe_gunzip(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: not valid gzip data: {e}", display_path(path)))?;
        out
    } else {
        bytes
    };
    String::from_utf8(text).map_err(|e| {
        format!(
            "{}: not text (invalid UTF-8 at byte {})",
            display_path(path),
            e.utf8_error().valid_up_to()
        )
    })
}

/// `/proc/kallsyms`, parsed.
pub(super) fn kallsyms() -> Result<Kallsyms, String> {
    let text =
        std::fs::read_to_string("/proc/kallsyms").map_err(|e| format!("/proc/kallsyms: {e}"))?;
    Kallsyms::parse(&text).map_err(|e| e.to_string())
}
