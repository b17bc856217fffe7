//! BTFHub-style archives: `.xz` in every valid shape (`xz -t` accepts
//! concatenated streams and stream padding), `.tar.xz` read as a stream, a
//! member cut short or larger than the cap refused with its name, and names
//! from the archive escaped in messages.

#[allow(dead_code)]
mod common;

use common::{raw_dump, read};
use corex_btf::dump::Filter;
use corex_btf::{Container, Error, MAX_DECOMPRESSED};
use corex_testkit::archive::{tar, xz};
use corex_testkit::kernel_file;

/// `data` cut into `parts` pieces, each its own xz stream.
fn streams(data: &[u8], parts: usize) -> Vec<Vec<u8>> {
    data.chunks(data.len().div_ceil(parts)).map(xz).collect()
}

/// Streams, each followed by `padding` zero bytes: one valid `.xz` file.
fn concatenated(streams: &[Vec<u8>], padding: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for s in streams {
        out.extend(s);
        out.extend(std::iter::repeat_n(0, padding));
    }
    out
}

#[track_caller]
fn error(data: &[u8]) -> String {
    match corex_btf::load(data, None) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// A kernel's BTF cut into three xz streams, with and without stream
/// padding between them, reads exactly as the raw file.
#[test]
fn concatenated_and_padded_xz_streams_read_as_one() {
    let path = kernel_file("debian-6.1", "vmlinux.btf");
    let raw = read(&path);
    let expected = raw_dump(&common::load(&path), &Filter::default());
    let three = streams(&raw, 3);
    let one = streams(&raw, 1);
    for (streams, padding) in [(&three, 0), (&three, 4), (&three, 1024), (&one, 8)] {
        let what = format!("{} streams, {padding} bytes of padding", streams.len());
        let loaded = corex_btf::load(&concatenated(streams, padding), None)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(loaded.container, Container::Xz);
        assert!(
            raw_dump(&loaded.btf, &Filter::default()) == expected,
            "{what}: not the raw file's BTF"
        );
    }
    // Padding must be a multiple of four bytes: `xz -t` refuses 3 too.
    let msg = error(&concatenated(&three, 3));
    assert!(
        msg.contains("xz stream") && msg.contains("corrupt"),
        "{msg}"
    );
}

#[test]
fn tar_xz_in_several_streams_reads_its_member() {
    let btf = corex_btf::write::write(
        &common::load(&common::bpf_object("kinds.o")),
        corex_btf::Endian::Little,
    )
    .unwrap();
    let loaded = corex_btf::load(
        &concatenated(&streams(&tar(&[("kinds.btf", &btf)]), 4), 4),
        None,
    )
    .unwrap();
    assert_eq!(loaded.container, Container::TarXz);
    assert_eq!(
        raw_dump(&loaded.btf, &Filter::default()),
        raw_dump(&corex_btf::Btf::parse(&btf).unwrap(), &Filter::default())
    );
}

/// A member whose data ends before its header's size: the error names it,
/// the size announced and what there was.
#[test]
fn a_tar_member_cut_short_is_named() {
    let data = vec![7u8; 3000];
    let archive = tar(&[("5.4.0-generic.btf", &data)]);
    let msg = error(&xz(&archive[..512 + 1000]));
    assert!(
        msg.contains(
            "tar: file 5.4.0-generic.btf (header at byte 0) is cut short: its header says \
             3000 bytes, the archive ends after 1000"
        ),
        "{msg}"
    );
}

/// A member announcing more than the cap is refused from its header alone,
/// before anything is allocated for it.
#[test]
fn a_tar_member_past_the_cap_is_refused_from_its_header() {
    let size = 3u64 << 30;
    let mut h = tar::Header::new_ustar();
    h.set_path("huge.btf").unwrap();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    let mut archive = h.as_bytes().to_vec();
    archive.extend([0x9f, 0xeb, 1, 0]);
    let err = corex_btf::load(&xz(&archive), None).unwrap_err();
    assert!(matches!(err, Error::OverLimit { limit, .. } if limit == MAX_DECOMPRESSED));
    let msg = err.to_string();
    assert!(
        msg.contains("file huge.btf (header at byte 0) in the tar archive (3221225472 bytes by its header) decompresses to more than 256 MiB"),
        "{msg}"
    );
}

/// Member names come from the archive: shown escaped, never raw.
#[test]
fn member_names_in_messages_are_escaped() {
    let data = [0u8; 16];
    let mut b = tar::Builder::new(Vec::new());
    for name in ["a.btf", "b\x1b]0;owned\x07.btf"] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    let msg = error(&xz(&b.into_inner().unwrap()));
    assert!(
        msg.contains("a.btf, then file b\\x1b]0;owned\\x07.btf (header at byte 1024)"),
        "{msg}"
    );
    assert!(!msg.contains('\x1b') && !msg.contains('\x07'), "{msg:?}");

    let msg = error(&xz(&tar(&[("evil\x1b[2J.btf", b"not btf")])));
    assert!(
        msg.starts_with("file evil\\x1b[2J.btf in the tar.xz archive: not BTF"),
        "{msg}"
    );
}
