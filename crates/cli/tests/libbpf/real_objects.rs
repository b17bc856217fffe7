//! The BPF objects embedded in Debian's libbpf-tools binaries: real CO-RE
//! objects nobody on this project wrote. Each tool embeds its `.bpf.o` as
//! a bpftool skeleton, the ELF file byte for byte; its extent comes from
//! its own ELF header (the section header table and every section's data).

use std::path::{Path, PathBuf};
use std::process::Command;

const EM_BPF: u16 = 247;
const ET_REL: u16 = 1;
const SHT_NOBITS: u32 = 8;

/// `(offset, length)` of every ELF64 `EM_BPF` relocatable file in `data`.
fn embedded_objects(data: &[u8]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = data[from..].windows(4).position(|w| w == b"\x7fELF") {
        let at = from + pos;
        from = at + 1;
        let Some(hdr) = data.get(at..at + 64) else {
            break;
        };
        if hdr[4] != 2 || !(1..=2).contains(&hdr[5]) {
            continue;
        }
        let little = hdr[5] == 1;
        let u16_at = |b: &[u8], o: usize| {
            let v = [b[o], b[o + 1]];
            if little {
                u16::from_le_bytes(v)
            } else {
                u16::from_be_bytes(v)
            }
        };
        let u32_at = |b: &[u8], o: usize| {
            let v: [u8; 4] = b[o..o + 4].try_into().unwrap();
            if little {
                u32::from_le_bytes(v)
            } else {
                u32::from_be_bytes(v)
            }
        };
        let u64_at = |b: &[u8], o: usize| {
            let v: [u8; 8] = b[o..o + 8].try_into().unwrap();
            if little {
                u64::from_le_bytes(v)
            } else {
                u64::from_be_bytes(v)
            }
        };
        if u16_at(hdr, 16) != ET_REL || u16_at(hdr, 18) != EM_BPF || u16_at(hdr, 58) != 64 {
            continue;
        }
        let shoff = u64_at(hdr, 40) as usize;
        let shnum = u16_at(hdr, 60) as usize;
        let mut end = shoff + shnum * 64;
        let Some(table) = data.get(at + shoff..at + end) else {
            continue;
        };
        for sh in table.chunks(64) {
            if u32_at(sh, 4) != SHT_NOBITS {
                end = end.max((u64_at(sh, 24) + u64_at(sh, 32)) as usize);
            }
        }
        if at + end <= data.len() {
            found.push((at, end));
            from = at + end;
        }
    }
    found
}

/// Extracts every object of the installed libbpf-tools into `dir`
/// (`TOOL.bpf.o`, `TOOL.N.bpf.o` when a binary embeds several); their
/// paths, sorted.
pub fn extract(dir: &Path) -> Vec<PathBuf> {
    let listing = Command::new("dpkg").args(["-L", "libbpf-tools"]).output();
    let listing = match listing {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => panic!(
            "Debian's libbpf-tools is not installed: apt-get install libbpf-tools \
             (scripts/test.sh does)"
        ),
    };
    std::fs::create_dir_all(dir).unwrap();
    let mut objects = Vec::new();
    for line in listing.lines().filter(|l| l.starts_with("/usr/sbin/")) {
        let path = Path::new(line);
        let is_file = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
        if !is_file {
            continue;
        }
        let data = std::fs::read(path).unwrap();
        let tool = path.file_name().unwrap().to_string_lossy().into_owned();
        let found = embedded_objects(&data);
        for (n, (at, len)) in found.iter().enumerate() {
            let name = if found.len() == 1 {
                format!("{tool}.bpf.o")
            } else {
                format!("{tool}.{n}.bpf.o")
            };
            let out = dir.join(name);
            std::fs::write(&out, &data[*at..at + len]).unwrap();
            objects.push(out);
        }
    }
    objects.sort();
    objects
}
