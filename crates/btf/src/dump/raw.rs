//! `bpftool btf dump file F` (format raw), byte for byte, but for names
//! holding characters a terminal would act on: those are escaped
//! ([`crate::printable`]), where bpftool prints them raw.

use std::io::{self, Write};

use super::{display_name, int_encoding_name, linkage_name, Filter};
use crate::btf::Btf;
use crate::kind::Kind;
use crate::printable::printable;
use crate::types::Type;

/// Writes the raw dump of the own types of `btf` that pass `filter`.
pub fn dump(btf: &Btf, filter: &Filter, out: &mut impl Write) -> io::Result<()> {
    for id in btf.own_ids() {
        let t = btf.ty(id);
        if filter.matches(&t) {
            write_type(btf, &t, out)?;
        }
    }
    Ok(())
}

/// Writes one type's entry, ending with a newline.
pub fn write_type(btf: &Btf, t: &Type<'_>, out: &mut impl Write) -> io::Result<()> {
    let kind = t.kind();
    write!(
        out,
        "[{}] {} '{}'",
        t.id(),
        kind.name(),
        printable(display_name(t.name()))
    )?;
    match kind {
        Kind::Void => {}
        Kind::Int => {
            let i = t.int().expect("kind checked");
            write!(
                out,
                " size={} bits_offset={} nr_bits={} encoding={}",
                t.size(),
                i.offset,
                i.bits,
                int_encoding_name(i)
            )?;
        }
        Kind::Ptr
        | Kind::Const
        | Kind::Volatile
        | Kind::Restrict
        | Kind::Typedef
        | Kind::TypeTag => {
            write!(out, " type_id={}", t.type_id())?;
        }
        Kind::Array => {
            let a = t.array().expect("kind checked");
            write!(
                out,
                " type_id={} index_type_id={} nr_elems={}",
                a.elem, a.index, a.nelems
            )?;
        }
        Kind::Struct | Kind::Union => {
            write!(out, " size={} vlen={}", t.size(), t.vlen())?;
            for m in t.members() {
                write!(
                    out,
                    "\n\t'{}' type_id={} bits_offset={}",
                    printable(display_name(m.name)),
                    m.ty,
                    m.bit_offset
                )?;
                if m.bitfield_size != 0 {
                    write!(out, " bitfield_size={}", m.bitfield_size)?;
                }
            }
        }
        Kind::Enum | Kind::Enum64 => {
            let signed = t.kflag();
            let sign = if signed { "SIGNED" } else { "UNSIGNED" };
            write!(out, " encoding={sign} size={} vlen={}", t.size(), t.vlen())?;
            for v in t.enum_values() {
                let name = printable(display_name(v.name));
                match (kind, signed) {
                    (Kind::Enum, true) => write!(out, "\n\t'{name}' val={}", v.value)?,
                    (Kind::Enum, false) => write!(out, "\n\t'{name}' val={}", v.value as u32)?,
                    (_, true) => write!(out, "\n\t'{name}' val={}LL", v.value)?,
                    (_, false) => write!(out, "\n\t'{name}' val={}ULL", v.value as u64)?,
                }
            }
        }
        Kind::Fwd => {
            let fwd = if t.kflag() { "union" } else { "struct" };
            write!(out, " fwd_kind={fwd}")?;
        }
        Kind::Func => write!(out, " type_id={} linkage={}", t.type_id(), linkage_name(t))?,
        Kind::FuncProto => {
            write!(out, " ret_type_id={} vlen={}", t.type_id(), t.vlen())?;
            for p in t.params() {
                write!(
                    out,
                    "\n\t'{}' type_id={}",
                    printable(display_name(p.name)),
                    p.ty
                )?;
            }
        }
        Kind::Var => write!(out, " type_id={}, linkage={}", t.type_id(), linkage_name(t))?,
        Kind::Datasec => {
            write!(out, " size={} vlen={}", t.size(), t.vlen())?;
            for v in t.datasec_vars() {
                let var = btf.ty(v.ty);
                write!(
                    out,
                    "\n\ttype_id={} offset={} size={} ({} '{}')",
                    v.ty,
                    v.offset,
                    v.size,
                    var.kind().name(),
                    printable(display_name(var.name()))
                )?;
            }
        }
        Kind::Float => write!(out, " size={}", t.size())?,
        Kind::DeclTag => write!(
            out,
            " type_id={} component_idx={}",
            t.type_id(),
            t.component_idx().unwrap_or(-1)
        )?,
    }
    out.write_all(b"\n")
}
