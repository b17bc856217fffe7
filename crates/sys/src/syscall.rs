//! The one door to bpf(2): every command goes through [`bpf`], which calls
//! the kernel, or the fake installed on this thread by [`with_fake_bpf`], so
//! decisions above this layer can be tested without root.

use crate::attr::Attr;
use crate::error::{Errno, Error, Result};
use corex_uapi::BpfCmd;
use std::cell::RefCell;

/// One bpf(2) call as a fake sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct FakeCall<'a> {
    /// The command.
    pub cmd: BpfCmd,
    /// The attribute bytes: decode them with [`crate::attr::read_attr`],
    /// answer through [`crate::attr::write_attr`] (`next_id`, `retval`...).
    pub attr: &'a mut [u8],
    /// The buffer the kernel would write its answer into, where there is
    /// one: the info struct of `BPF_OBJ_GET_INFO_BY_FD` (a
    /// [`crate::info_attr`] layout), the value of `BPF_MAP_LOOKUP_ELEM` and
    /// `LOOKUP_AND_DELETE_ELEM`, the next key of `BPF_MAP_GET_NEXT_KEY`.
    pub out: Option<&'a mut [u8]>,
}

/// A stand-in for bpf(2): returns what the syscall would, a value (an fd
/// for commands that make one) or an errno.
///
/// A fake that returns an fd must return one it opened itself (for example
/// with [`fake_fd`]): the caller owns it and closes it on drop.
pub type FakeBpf<'a> = dyn FnMut(FakeCall<'_>) -> Result<i64, Errno> + 'a;

thread_local! {
    static FAKE: RefCell<Option<Box<FakeBpf<'static>>>> = const { RefCell::new(None) };
}

/// Runs `f` with every bpf(2) command this thread makes answered by `fake`
/// instead of the kernel; restores the previous state afterwards, even if
/// `f` panics. Commands on other threads still reach the kernel.
///
/// The fake must not make bpf commands itself.
pub fn with_fake_bpf<R>(
    fake: impl FnMut(FakeCall<'_>) -> Result<i64, Errno> + 'static,
    f: impl FnOnce() -> R,
) -> R {
    struct Restore(Option<Box<FakeBpf<'static>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            FAKE.with(|slot| *slot.borrow_mut() = previous);
        }
    }
    let previous = FAKE.with(|slot| slot.borrow_mut().replace(Box::new(fake)));
    let _restore = Restore(previous);
    f()
}

/// An fd a fake can return for commands that make one: `/dev/null`, opened
/// read-only, owned by whoever receives it.
pub fn fake_fd() -> i64 {
    use std::os::fd::IntoRawFd;
    let file = std::fs::File::open("/dev/null").expect("/dev/null opens");
    i64::from(file.into_raw_fd())
}

/// Runs bpf(2) command `cmd` with `attr` (the fake's answer if one is
/// installed on this thread). The error names the command and the errno.
pub(crate) fn bpf<T: Attr>(cmd: BpfCmd, attr: &mut T) -> Result<i64> {
    bpf_errno(cmd, attr).map_err(|errno| Error::Bpf { cmd, errno })
}

/// [`bpf`] with the bare errno, for callers that turn some errnos into
/// answers (ENOENT at the end of an id list).
pub(crate) fn bpf_errno<T: Attr>(cmd: BpfCmd, attr: &mut T) -> Result<i64, Errno> {
    bpf_out(cmd, attr, None)
}

/// [`bpf_errno`] for a command whose answer the kernel writes into `out`
/// (through a pointer in `attr` to the same bytes): a fake gets `out` to
/// write into.
pub(crate) fn bpf_out<T: Attr>(
    cmd: BpfCmd,
    attr: &mut T,
    out: Option<&mut [u8]>,
) -> Result<i64, Errno> {
    let bytes = crate::attr::as_bytes_mut(attr);
    let faked = FAKE.with(|slot| {
        slot.borrow_mut().as_mut().map(|fake| {
            fake(FakeCall {
                cmd,
                attr: &mut *bytes,
                out,
            })
        })
    });
    if let Some(answer) = faked {
        return answer;
    }
    // libbpf retries PROG_LOAD a few times on EAGAIN (verification cut short
    // by a pending signal); so does corex.
    let mut attempts = 0;
    loop {
        attempts += 1;
        // SAFETY: `bytes` is a live, exclusively borrowed buffer of exactly
        // `bytes.len()` bytes, the size passed; the kernel reads and writes
        // only within it. Pointers inside the attributes were set by the
        // typed wrappers from borrows that outlive this call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd.0 as libc::c_long,
                bytes.as_mut_ptr(),
                bytes.len() as libc::c_long,
            )
        };
        if ret >= 0 {
            return Ok(ret);
        }
        let errno = Errno::last();
        if errno == Errno::EAGAIN && cmd == BpfCmd::PROG_LOAD && attempts < 5 {
            continue;
        }
        return Err(errno);
    }
}
