//! `bpftool btf dump file F format c`: C declarations (vmlinux.h).

use std::io::Write;

use crate::btf::Btf;
use crate::error::Result;

/// Writes the C header for every type of `btf`.
pub fn dump(btf: &Btf, out: &mut impl Write) -> Result<()> {
    let _ = (btf, out);
    todo!("C dumper")
}
