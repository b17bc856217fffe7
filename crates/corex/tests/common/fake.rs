//! A fake kernel for the loader: answers every bpf(2) command a load makes
//! (fds are distinct temporary files, so the test can tell whether corex
//! closed them), records the commands, and lets a test override any
//! answer.

use corex::sys::attr::{read_attr, write_attr, ProgLoadAttr};
use corex::sys::info_attr::{BtfInfoAttr, MapInfoAttr, ProgInfoAttr};
use corex::sys::{Errno, FakeCall};
use corex::uapi::BpfCmd;
use std::cell::RefCell;
use std::os::fd::IntoRawFd;
use std::path::PathBuf;
use std::rc::Rc;

/// What the fake saw and made.
#[derive(Debug, Default)]
pub struct Record {
    /// Every command, in order.
    pub cmds: Vec<BpfCmd>,
    /// The `log_size` of every `BPF_PROG_LOAD`.
    pub log_sizes: Vec<u32>,
    /// The files behind the fds handed out.
    pub files: Vec<PathBuf>,
}

/// A directory of this test's fake fds, removed on drop.
pub struct FakeDir {
    pub dir: PathBuf,
}

impl FakeDir {
    pub fn new(test: &str) -> FakeDir {
        let dir = std::env::temp_dir().join(format!("corex-fake-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        FakeDir { dir }
    }
}

impl Drop for FakeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The files of `record` that this process still has open.
pub fn still_open(record: &Record) -> Vec<PathBuf> {
    let open: Vec<PathBuf> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .collect();
    record
        .files
        .iter()
        .filter(|f| open.contains(f))
        .cloned()
        .collect()
}

/// The default answer to `call`: a new fd for commands that make one,
/// an id for info calls, success otherwise. `override_` may answer first.
pub fn fake(
    dir: PathBuf,
    record: Rc<RefCell<Record>>,
    mut override_: impl FnMut(&mut FakeCall<'_>, &Record) -> Option<Result<i64, Errno>> + 'static,
) -> impl FnMut(FakeCall<'_>) -> Result<i64, Errno> + 'static {
    move |mut call: FakeCall<'_>| {
        record.borrow_mut().cmds.push(call.cmd);
        if call.cmd == BpfCmd::PROG_LOAD {
            let attr = read_attr::<ProgLoadAttr>(call.attr);
            record.borrow_mut().log_sizes.push(attr.log_size);
        }
        if let Some(answer) = override_(&mut call, &record.borrow()) {
            return answer;
        }
        let mut rec = record.borrow_mut();
        match call.cmd {
            BpfCmd::MAP_CREATE | BpfCmd::PROG_LOAD | BpfCmd::BTF_LOAD => {
                let path = dir.join(format!("fd{}", rec.files.len()));
                // Readable, writable and a few pages long: the loader maps
                // global data maps' memory.
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .unwrap();
                file.set_len(1 << 16).unwrap();
                rec.files.push(path);
                Ok(i64::from(file.into_raw_fd()))
            }
            BpfCmd::OBJ_GET => Err(Errno::ENOENT),
            BpfCmd::OBJ_GET_INFO_BY_FD => {
                let id = 1000 + rec.cmds.len() as u32;
                let out = call.out.expect("an info buffer");
                match out.len() {
                    n if n == std::mem::size_of::<MapInfoAttr>() => write_attr(
                        out,
                        &MapInfoAttr {
                            id,
                            ..Default::default()
                        },
                    ),
                    n if n == std::mem::size_of::<ProgInfoAttr>() => write_attr(
                        out,
                        &ProgInfoAttr {
                            id,
                            ..Default::default()
                        },
                    ),
                    _ => write_attr(
                        out,
                        &BtfInfoAttr {
                            id,
                            ..Default::default()
                        },
                    ),
                }
                Ok(0)
            }
            _ => Ok(0),
        }
    }
}
