//! A cpio archive in the "newc" format the kernel unpacks as its initramfs.

use std::collections::BTreeSet;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;

/// An archive being built. Parent directories are added as needed, before their entries.
#[derive(Default)]
pub struct Cpio {
    data: Vec<u8>,
    dirs: BTreeSet<String>,
    next_ino: u32,
}

impl Cpio {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    fn entry(&mut self, path: &str, mode: u32, rdev: (u32, u32), body: &[u8]) {
        self.parents(path);
        self.next_ino += 1;
        let nlink = if mode & S_IFDIR != 0 { 2 } else { 1 };
        self.header(path, mode, nlink, rdev, body.len());
        self.data.extend_from_slice(body);
        self.pad();
    }

    fn header(&mut self, path: &str, mode: u32, nlink: u32, rdev: (u32, u32), size: usize) {
        let fields = [
            self.next_ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime: reproducible archives
            size as u32,
            0, // dev major
            0, // dev minor
            rdev.0,
            rdev.1,
            path.len() as u32 + 1,
            0, // check
        ];
        self.data.extend_from_slice(b"070701");
        for f in fields {
            self.data.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.data.extend_from_slice(path.as_bytes());
        self.data.push(0);
        self.pad();
    }

    fn pad(&mut self) {
        self.data.resize(self.data.len().next_multiple_of(4), 0);
    }

    fn parents(&mut self, path: &str) {
        let mut prefix = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if self.dirs.insert(prefix.clone()) {
                self.next_ino += 1;
                self.header(&prefix.clone(), S_IFDIR | 0o755, 2, (0, 0), 0);
            }
        }
    }

    /// A directory (`path` is relative to the root, without a leading `/`).
    pub fn dir(&mut self, path: &str) {
        if self.dirs.insert(path.to_string()) {
            self.entry(path, S_IFDIR | 0o755, (0, 0), &[]);
        }
    }

    /// A regular file with permission bits `perm` (e.g. `0o755`).
    pub fn file(&mut self, path: &str, perm: u32, body: &[u8]) {
        self.entry(path, S_IFREG | perm, (0, 0), body);
    }

    /// A symbolic link to `target`.
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.entry(path, S_IFLNK | 0o777, (0, 0), target.as_bytes());
    }

    /// A character device node (e.g. `dev/console`, 5:1).
    pub fn char_device(&mut self, path: &str, major: u32, minor: u32) {
        self.entry(path, S_IFCHR | 0o600, (major, minor), &[]);
    }

    /// The finished archive, gzip-compressed.
    pub fn finish_gzip(mut self) -> std::io::Result<Vec<u8>> {
        self.next_ino = 0;
        self.header("TRAILER!!!", 0, 1, (0, 0), 0);
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&self.data)?;
        gz.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    /// (name, mode, body) of every entry, read back as the kernel reads newc.
    fn entries(gz: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut data = Vec::new();
        GzDecoder::new(gz).read_to_end(&mut data).unwrap();
        let field = |at: usize, i: usize| {
            u32::from_str_radix(
                std::str::from_utf8(&data[at + 6 + 8 * i..][..8]).unwrap(),
                16,
            )
            .unwrap() as usize
        };
        let align = |n: usize| (n + 3) & !3;
        let (mut at, mut out) = (0, Vec::new());
        loop {
            assert_eq!(&data[at..at + 6], b"070701", "at {at}");
            let (mode, size, namesize) = (field(at, 1), field(at, 6), field(at, 11));
            let name = String::from_utf8(data[at + 110..at + 110 + namesize - 1].to_vec()).unwrap();
            let body_at = align(at + 110 + namesize);
            if name == "TRAILER!!!" {
                assert_eq!(align(body_at), data.len());
                return out;
            }
            out.push((name, mode as u32, data[body_at..body_at + size].to_vec()));
            at = align(body_at + size);
        }
    }

    #[test]
    fn archive_reads_back_with_parents_first() {
        let mut c = Cpio::new();
        c.file("corex/fixtures/a.o", 0o644, b"hello");
        c.symlink("bin/sh", "busybox");
        c.char_device("dev/console", 5, 1);
        c.dir("tmp");
        c.file("init", 0o755, b"#!/bin/sh\n");
        let got = entries(&c.finish_gzip().unwrap());
        let names: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "corex",
                "corex/fixtures",
                "corex/fixtures/a.o",
                "bin",
                "bin/sh",
                "dev",
                "dev/console",
                "tmp",
                "init"
            ]
        );
        assert_eq!(got[2].1, S_IFREG | 0o644);
        assert_eq!(got[2].2, b"hello");
        assert_eq!(got[4].1, S_IFLNK | 0o777);
        assert_eq!(got[4].2, b"busybox");
        assert_eq!(got[6].1, S_IFCHR | 0o600);
        assert_eq!(got[8].1, S_IFREG | 0o755);
    }
}
