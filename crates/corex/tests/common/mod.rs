//! Shared by corex's kernel tests: the loader-test objects, the ids a load
//! made, and the proof through the kernel's id lists that they are gone.
#![allow(dead_code)]

#[path = "../../../sys/tests/support/mod.rs"]
pub mod sys;

use corex::sys::ObjectKind;
use corex::{Error, LoadedObject, Outcome};
use std::path::PathBuf;

/// `bpf/loader-tests/NAME`.
pub fn loader_test(name: &str) -> PathBuf {
    corex_testkit::repo_root()
        .join("bpf/loader-tests")
        .join(name)
}

/// `bpf/NAME` (lab, execsnoop).
pub fn bpf_object(name: &str) -> PathBuf {
    corex_testkit::repo_root().join("bpf").join(name)
}

/// Every kernel object `loaded` holds: its maps, programs and BTF.
pub fn ids_of(loaded: &LoadedObject) -> Vec<(ObjectKind, u32)> {
    let mut ids: Vec<(ObjectKind, u32)> =
        loaded.maps().map(|m| (ObjectKind::Map, m.id())).collect();
    ids.extend(loaded.programs().map(|p| (ObjectKind::Prog, p.id())));
    ids.extend(loaded.btf_id().map(|id| (ObjectKind::Btf, id)));
    ids
}

/// The ids a failed load made and released, from its report.
pub fn released_ids(err: &Error) -> Vec<(ObjectKind, u32)> {
    let Some(report) = err.load_report() else {
        return Vec::new();
    };
    let released = |items: &[corex::ItemOutcome], kind| {
        items
            .iter()
            .filter_map(|i| match i.outcome {
                Outcome::Released { id } => Some((kind, id)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut ids = released(&report.maps, ObjectKind::Map);
    ids.extend(released(&report.programs, ObjectKind::Prog));
    ids
}

/// Asserts the kernel freed each of `ids` (GET_FD_BY_ID gives ENOENT and
/// the id lists no longer hold them).
pub fn assert_all_gone(ids: &[(ObjectKind, u32)]) {
    for &(kind, id) in ids {
        sys::assert_gone(kind, id);
    }
}

/// Drops `loaded` and asserts everything it held is gone.
pub fn unload(loaded: LoadedObject) {
    let ids = ids_of(&loaded);
    assert!(!ids.is_empty());
    for &(kind, id) in &ids {
        sys::assert_present(kind, id);
    }
    drop(loaded);
    assert_all_gone(&ids);
}
