//! Attach types that take a target fd, on a cgroup of a cgroup2 hierarchy
//! mounted for the test: `BPF_PROG_ATTACH`/`DETACH`, and a cgroup link made
//! by `BPF_LINK_CREATE`, updated to another program (`BPF_LINK_UPDATE`) and
//! detached (`BPF_LINK_DETACH`); ids gone afterwards. Needs root.

mod support;

use corex_sys::{
    prog_attach, prog_detach, Errno, LinkDetail, LinkFd, LinkTarget, ObjectKind, ProgFd, ProgLoad,
};
use corex_uapi::{flags, AttachType, LinkType, ProgType};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::Command;
use support::*;

/// A cgroup2 hierarchy mounted on a new directory, with a child cgroup;
/// all removed on drop.
struct Cgroup {
    mount: PathBuf,
    child: PathBuf,
}

impl Cgroup {
    fn new() -> Cgroup {
        let mount = std::env::temp_dir().join(format!("corex-sys-cgroup-{}", std::process::id()));
        std::fs::create_dir_all(&mount).unwrap();
        let status = Command::new("mount")
            .args(["-t", "cgroup2", "none"])
            .arg(&mount)
            .status()
            .unwrap();
        assert!(status.success(), "mount -t cgroup2 failed");
        let child = mount.join(format!("corex-sys-test-{}", std::process::id()));
        std::fs::create_dir(&child).unwrap();
        Cgroup { mount, child }
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.child);
        let _ = Command::new("umount").arg(&self.mount).status();
        let _ = std::fs::remove_dir(&self.mount);
    }
}

fn egress_prog(verdict: i32) -> ProgFd {
    let insns = return_imm(verdict);
    let mut load = ProgLoad::new(ProgType::CGROUP_SKB, &insns, c"GPL");
    load.expected_attach_type = Some(AttachType::CGROUP_INET_EGRESS);
    ProgFd::load(&mut load).unwrap()
}

#[test]
fn cgroup_attach_detach_and_link_update() {
    require_privileges();
    let cgroup = Cgroup::new();
    let dir = std::fs::File::open(&cgroup.child).unwrap();
    let first = egress_prog(1);
    let second = egress_prog(1);

    prog_attach(
        dir.as_fd(),
        &first,
        AttachType::CGROUP_INET_EGRESS,
        flags::attach::ALLOW_MULTI,
        None,
    )
    .unwrap();
    prog_detach(dir.as_fd(), Some(&first), AttachType::CGROUP_INET_EGRESS).unwrap();
    let err = prog_detach(dir.as_fd(), Some(&first), AttachType::CGROUP_INET_EGRESS).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENOENT), "{err}");
    assert!(
        err.to_string()
            .contains("no such program is attached there"),
        "{err}"
    );

    let target = LinkTarget::Fd {
        target: dir.as_fd(),
        attach_type: AttachType::CGROUP_INET_EGRESS,
        flags: 0,
    };
    let link = LinkFd::create(&first, target).unwrap();
    let ids = (first.info().unwrap().id, second.info().unwrap().id);
    let info = link.info().unwrap();
    assert_eq!(
        (info.link_type, info.prog_id, info.detail),
        (LinkType::CGROUP, ids.0, LinkDetail::Other)
    );

    link.update(&second, Some(&first)).unwrap();
    assert_eq!(link.info().unwrap().prog_id, ids.1);
    let err = link.update(&first, Some(&first)).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM), "{err}");
    assert!(err.to_string().contains("not the link's program"), "{err}");

    link.detach().unwrap();
    drop((link, first, second));
    assert_gone(ObjectKind::Link, info.id);
    assert_gone(ObjectKind::Prog, ids.0);
    assert_gone(ObjectKind::Prog, ids.1);
}
