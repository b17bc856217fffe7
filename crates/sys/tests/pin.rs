//! Pinning in a private BPF file system mounted for the test: pin a map, a
//! program and a link, open them again by path (with file flags), refuse a
//! path of another kind, and find everything gone once unpinned and closed.
//! Needs root.

mod support;

use corex_sys::{LinkFd, MapCreate, MapFd, ObjectKind, ProgFd, ProgLoad};
use corex_uapi::{flags, MapType, ProgType};
use support::*;

#[test]
fn pin_and_get_map_program_link() {
    require_privileges();
    let fs = Bpffs::mount("pin");
    let map = MapFd::create(&MapCreate::new(MapType::HASH, 4, 4, 8)).unwrap();
    map.update(&1u32.to_ne_bytes(), &11u32.to_ne_bytes(), 0)
        .unwrap();
    let insns = return_imm(0);
    let mut attrs = ProgLoad::new(ProgType::RAW_TRACEPOINT, &insns, c"GPL");
    let prog = ProgFd::load(&mut attrs).unwrap();
    let link = LinkFd::raw_tracepoint(&prog, Some(c"sys_exit")).unwrap();
    map.pin(&fs.path("map")).unwrap();
    prog.pin(&fs.path("prog")).unwrap();
    link.pin(&fs.path("link")).unwrap();
    let ids = (
        map.info().unwrap().id,
        prog.info().unwrap().id,
        link.info().unwrap().id,
    );

    // Pinning twice at one path says a file exists there.
    let err = map.pin(&fs.path("map")).unwrap_err();
    assert!(
        err.to_string().contains("EEXIST") && err.to_string().contains("a file already exists"),
        "{err}"
    );
    drop((map, prog, link));

    // Pinned objects outlive their fds.
    assert_present(ObjectKind::Map, ids.0);
    assert_present(ObjectKind::Prog, ids.1);
    assert_present(ObjectKind::Link, ids.2);
    let map = MapFd::from_pinned(&fs.path("map"), flags::map::RDONLY).unwrap();
    assert_eq!(map.info().unwrap().id, ids.0);
    let mut v = [0u8; 4];
    assert!(map.lookup(&1u32.to_ne_bytes(), &mut v, 0).unwrap());
    assert_eq!(u32::from_ne_bytes(v), 11);
    // Read-only fd: updates are refused.
    assert!(map
        .update(&1u32.to_ne_bytes(), &v, 0)
        .unwrap_err()
        .is_permission_denied());
    assert_eq!(
        ProgFd::from_pinned(&fs.path("prog"))
            .unwrap()
            .info()
            .unwrap()
            .id,
        ids.1
    );
    assert_eq!(
        LinkFd::from_pinned(&fs.path("link"))
            .unwrap()
            .info()
            .unwrap()
            .id,
        ids.2
    );

    // Another kind at the path, and nothing at a path.
    let err = MapFd::from_pinned(&fs.path("prog"), 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "BPF_OBJ_GET: {} holds a program, not a map",
            fs.path("prog").display()
        )
    );
    let err = ProgFd::from_pinned(&fs.path("none")).unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(
        err.to_string().starts_with("BPF_OBJ_GET failed: ENOENT"),
        "{err}"
    );
    drop(map);

    for name in ["map", "prog", "link"] {
        std::fs::remove_file(fs.path(name)).unwrap();
    }
    assert_gone(ObjectKind::Link, ids.2);
    assert_gone(ObjectKind::Prog, ids.1);
    assert_gone(ObjectKind::Map, ids.0);
}

#[test]
fn pin_outside_bpffs_is_explained() {
    require_privileges();
    let map = MapFd::create(&MapCreate::new(MapType::ARRAY, 4, 4, 1)).unwrap();
    let path = std::env::temp_dir().join(format!("corex-sys-not-bpffs-{}", std::process::id()));
    let err = map.pin(&path).unwrap_err();
    assert!(
        err.to_string().contains("not in a BPF file system"),
        "{err}"
    );
}
