//! Finding the file a uprobe names: a path as given; a shared library by
//! name the way the dynamic linker finds it (`LD_LIBRARY_PATH`, then
//! `/etc/ld.so.cache`, then the standard directories), keeping only files
//! built for this machine; any other name on `PATH`.

use std::path::{Path, PathBuf};

/// `/etc/ld.so.cache`'s new format (glibc 2.32+ writes only this one).
const CACHE_MAGIC_NEW: &[u8] = b"glibc-ld.so.cache1.1";
/// The old format, which older glibc writes before the new one.
const CACHE_MAGIC_OLD: &[u8] = b"ld.so-1.7.0";
/// The standard library directories, searched last.
const STANDARD_DIRS: &[&str] = &["/lib64", "/usr/lib64", "/lib", "/usr/lib"];

fn u32_at(data: &[u8], offset: usize) -> Option<u32> {
    let bytes = data.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

fn c_string_at(data: &[u8], offset: usize) -> Option<&[u8]> {
    let rest = data.get(offset..)?;
    let end = rest.iter().position(|b| *b == 0)?;
    Some(&rest[..end])
}

/// The (name, path) entries of an `ld.so.cache` file, in its order (which
/// is the linker's preference); empty for a file in neither format.
pub fn parse_ld_cache(data: &[u8]) -> Vec<(String, PathBuf)> {
    // The new format starts the file, or follows the old one (its header
    // of 16 bytes and 12-byte entries), aligned to 8.
    let start = if data.starts_with(CACHE_MAGIC_NEW) {
        0
    } else if data.starts_with(CACHE_MAGIC_OLD) {
        let Some(count) = u32_at(data, 12) else {
            return Vec::new();
        };
        let end = 16usize.saturating_add((count as usize).saturating_mul(12));
        (end + 7) & !7
    } else {
        return Vec::new();
    };
    let Some(new) = data.get(start..).filter(|d| d.starts_with(CACHE_MAGIC_NEW)) else {
        return Vec::new();
    };
    // Header: magic and version (20), nlibs, len_strings, flags and
    // padding, extension offset, 3 unused words: 48 bytes. Entries: flags,
    // key, value, osversion (4 each), hwcap (8): 24 bytes. String offsets
    // count from the new format's start.
    const HEADER: usize = 48;
    const ENTRY: usize = 24;
    let Some(count) = u32_at(new, 20) else {
        return Vec::new();
    };
    (0..count as usize)
        .map_while(|i| {
            let entry = HEADER.checked_add(i.checked_mul(ENTRY)?)?;
            let key = c_string_at(new, u32_at(new, entry + 4)? as usize)?;
            let value = c_string_at(new, u32_at(new, entry + 8)? as usize)?;
            Some((
                String::from_utf8_lossy(key).into_owned(),
                PathBuf::from(String::from_utf8_lossy(value).into_owned()),
            ))
        })
        .collect()
}

/// `(EI_CLASS, e_machine)` of an ELF file's header, `None` for other files.
fn elf_machine(path: &Path) -> Option<(u8, u16)> {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    if &header[..4] != b"\x7fELF" {
        return None;
    }
    let machine = match header[5] {
        1 => u16::from_le_bytes([header[18], header[19]]),
        2 => u16::from_be_bytes([header[18], header[19]]),
        _ => return None,
    };
    Some((header[4], machine))
}

/// Whether `path` is an ELF file for the machine this process runs on (the
/// cache and the directories may hold other architectures' libraries).
fn is_native_elf(path: &Path) -> bool {
    static NATIVE: std::sync::OnceLock<Option<(u8, u16)>> = std::sync::OnceLock::new();
    let native = NATIVE.get_or_init(|| elf_machine(Path::new("/proc/self/exe")));
    match native {
        Some(native) => elf_machine(path).as_ref() == Some(native),
        None => path.is_file(),
    }
}

/// Whether `name` names a shared library (`libc.so.6`, `libssl.so`).
fn is_library_name(name: &str) -> bool {
    name.ends_with(".so") || name.contains(".so.")
}

fn split_path_list(list: Option<std::ffi::OsString>) -> Vec<PathBuf> {
    list.map(|l| std::env::split_paths(&l).collect())
        .unwrap_or_default()
}

/// The file `name` refers to: a path (any name with a `/`) as given; a
/// shared library found like the dynamic linker does; an executable on
/// `PATH`. `None` when nothing is found.
pub fn resolve_binary(name: &str) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    if name.contains('/') {
        let path = PathBuf::from(name);
        return path.exists().then_some(path);
    }
    if is_library_name(name) {
        let in_dir = |dir: &Path| {
            let p = dir.join(name);
            is_native_elf(&p).then_some(p)
        };
        if let Some(found) = split_path_list(std::env::var_os("LD_LIBRARY_PATH"))
            .iter()
            .find_map(|d| in_dir(d))
        {
            return Some(found);
        }
        let cache = std::fs::read("/etc/ld.so.cache").unwrap_or_default();
        if let Some(found) = parse_ld_cache(&cache)
            .into_iter()
            .filter(|(key, _)| key == name)
            .map(|(_, path)| path)
            .find(|p| is_native_elf(p))
        {
            return Some(found);
        }
        return STANDARD_DIRS.iter().find_map(|d| in_dir(Path::new(d)));
    }
    split_path_list(std::env::var_os("PATH"))
        .iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new-format cache with the given entries.
    fn cache(entries: &[(&str, &str)]) -> Vec<u8> {
        let header = 48 + 24 * entries.len();
        let mut strings = Vec::new();
        let mut records = Vec::new();
        for (key, value) in entries {
            let key_off = header + strings.len();
            strings.extend_from_slice(key.as_bytes());
            strings.push(0);
            let value_off = header + strings.len();
            strings.extend_from_slice(value.as_bytes());
            strings.push(0);
            records.extend_from_slice(&0x0303i32.to_ne_bytes());
            records.extend_from_slice(&(key_off as u32).to_ne_bytes());
            records.extend_from_slice(&(value_off as u32).to_ne_bytes());
            records.extend_from_slice(&0u32.to_ne_bytes());
            records.extend_from_slice(&0u64.to_ne_bytes());
        }
        let mut data = CACHE_MAGIC_NEW.to_vec();
        data.extend_from_slice(&(entries.len() as u32).to_ne_bytes());
        data.extend_from_slice(&(strings.len() as u32).to_ne_bytes());
        data.resize(48, 0);
        data.extend(records);
        data.extend(strings);
        data
    }

    #[test]
    fn ld_cache_entries_are_read() {
        let data = cache(&[
            ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
            ("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6"),
        ]);
        assert_eq!(
            parse_ld_cache(&data),
            vec![
                (
                    "libc.so.6".into(),
                    PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6")
                ),
                (
                    "libm.so.6".into(),
                    PathBuf::from("/lib/x86_64-linux-gnu/libm.so.6")
                ),
            ]
        );
        // The old format in front of the new one.
        let mut old = CACHE_MAGIC_OLD.to_vec();
        old.resize(12, 0);
        old.extend_from_slice(&1u32.to_ne_bytes());
        old.extend_from_slice(&[0u8; 12]);
        old.resize((old.len() + 7) & !7, 0);
        old.extend(cache(&[("liba.so", "/a/liba.so")]));
        assert_eq!(
            parse_ld_cache(&old),
            vec![("liba.so".into(), PathBuf::from("/a/liba.so"))]
        );
    }

    #[test]
    fn malformed_caches_give_nothing() {
        assert!(parse_ld_cache(b"").is_empty());
        assert!(parse_ld_cache(b"glibc-ld.so.cache1.1").is_empty());
        let mut data = cache(&[("libc.so.6", "/lib/libc.so.6")]);
        data.truncate(60);
        assert!(parse_ld_cache(&data).is_empty());
        // A count far larger than the file.
        let mut data = cache(&[("libc.so.6", "/lib/libc.so.6")]);
        data[20..24].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert_eq!(parse_ld_cache(&data).len(), 1);
    }

    #[test]
    fn this_systems_libc_is_found() {
        let libc = resolve_binary("libc.so.6").expect("libc.so.6 is installed");
        assert!(is_native_elf(&libc), "{}", libc.display());
        assert_eq!(resolve_binary("libcorex-no-such.so.1"), None);
        assert!(resolve_binary("sh").is_some());
        assert_eq!(resolve_binary(""), None);
    }
}
