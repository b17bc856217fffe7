//! BTF containers built in memory for tests: xz streams and tar archives.

use std::io::Write;

/// `data` compressed as one xz stream (preset 1: fast, still small).
pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut enc = xz2::write::XzEncoder::new(Vec::new(), 1);
    enc.write_all(data).expect("xz into memory");
    enc.finish().expect("xz into memory")
}

/// A tar archive (ustar headers) holding `members`, each a name and its bytes,
/// in order.
pub fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, *data)
            .expect("tar into memory");
    }
    builder.into_inner().expect("tar into memory")
}

/// A `.btf.tar.xz` as BTFHub ships it: one member `name` holding `data`.
pub fn tar_xz(name: &str, data: &[u8]) -> Vec<u8> {
    xz(&tar(&[(name, data)]))
}
