//! Names of the errors an exec fails with, for people and `--json`: the
//! Linux errno numbers of `asm-generic/errno-base.h` and `errno.h` that
//! execve(2) and execveat(2) document, which x86, arm64 and the other
//! architectures using the generic numbers share.

/// `(number, name)`, by number.
const EXEC_ERRNOS: [(i32, &str); 20] = [
    (1, "EPERM"),
    (2, "ENOENT"),
    (4, "EINTR"),
    (5, "EIO"),
    (7, "E2BIG"),
    (8, "ENOEXEC"),
    (9, "EBADF"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (14, "EFAULT"),
    (20, "ENOTDIR"),
    (21, "EISDIR"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (26, "ETXTBSY"),
    (36, "ENAMETOOLONG"),
    (40, "ELOOP"),
    (80, "ELIBBAD"),
];

/// The name of errno `-retval` (`ENOENT` for -2), `None` for 0, positive
/// values and numbers exec does not fail with.
pub fn errno_name(retval: i32) -> Option<&'static str> {
    let errno = retval.checked_neg()?;
    EXEC_ERRNOS
        .iter()
        .find(|(n, _)| *n == errno)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::errno_name;

    #[test]
    fn exec_errors_by_name() {
        assert_eq!(errno_name(-2), Some("ENOENT"));
        assert_eq!(errno_name(-13), Some("EACCES"));
        assert_eq!(errno_name(-8), Some("ENOEXEC"));
        assert_eq!(errno_name(0), None);
        assert_eq!(errno_name(-999), None);
        assert_eq!(errno_name(i32::MIN), None);
    }
}
