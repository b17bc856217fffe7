//! File descriptors as owned, typed values that close on drop.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// Takes ownership of an fd a syscall just returned.
pub(crate) fn owned_fd(raw: i64) -> OwnedFd {
    debug_assert!(raw >= 0 && raw <= i64::from(i32::MAX));
    // SAFETY: `raw` is a new fd the kernel (or a fake, which must hand over
    // an fd it opened) just returned to us; nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(raw as RawFd) }
}

/// The fd as the `u32` the bpf(2) attributes take.
pub(crate) fn attr_fd(fd: BorrowedFd<'_>) -> u32 {
    fd.as_raw_fd() as u32
}

macro_rules! typed_fd {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug)]
        pub struct $name(OwnedFd);

        impl $name {
            /// Wraps an fd that refers to this kind of object (the caller
            /// vouches for the kind; the kernel checks it on use).
            pub fn from_owned(fd: OwnedFd) -> Self {
                Self(fd)
            }

            /// The owned fd.
            pub fn into_owned(self) -> OwnedFd {
                self.0
            }

            /// A second fd for the same object (`dup` with close-on-exec).
            pub fn try_clone(&self) -> std::io::Result<Self> {
                self.0.try_clone().map(Self)
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.0.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.0.as_raw_fd()
            }
        }

        impl IntoRawFd for $name {
            fn into_raw_fd(self) -> RawFd {
                self.0.into_raw_fd()
            }
        }

        impl From<$name> for OwnedFd {
            fn from(fd: $name) -> OwnedFd {
                fd.0
            }
        }
    };
}

typed_fd!(
    /// A loaded BPF program.
    ProgFd
);
typed_fd!(
    /// BTF loaded into the kernel.
    BtfFd
);
typed_fd!(
    /// A BPF link (detaches when its last fd closes, unless pinned).
    LinkFd
);
typed_fd!(
    /// A perf event (`perf_event_open`).
    PerfEventFd
);
typed_fd!(
    /// The fd `BPF_ENABLE_STATS` returns: the statistic stays on while it is open.
    StatsFd
);
