//! `bpftool -j btf dump file F`: the same facts as the raw dump, as one JSON
//! document `{"types":[...]}` with the keys in bpftool's order.

use std::io::{self, Write};

use super::{display_name, int_encoding_name, linkage_name, Filter};
use crate::btf::Btf;
use crate::kind::Kind;
use crate::types::Type;

/// Writes the JSON dump of the own types of `btf` that pass `filter`.
pub fn dump(btf: &Btf, filter: &Filter, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"{\"types\":[")?;
    let mut first = true;
    for id in btf.own_ids() {
        let t = btf.ty(id);
        if !filter.matches(&t) {
            continue;
        }
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        write_type(&t, out)?;
    }
    out.write_all(b"]}\n")
}

fn string(out: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::other)
}

/// Writes `,"key":` then the name as a JSON string.
fn str_field(out: &mut impl Write, key: &str, value: &str) -> io::Result<()> {
    write!(out, ",\"{key}\":")?;
    string(out, value)
}

fn write_type(t: &Type<'_>, out: &mut impl Write) -> io::Result<()> {
    let kind = t.kind();
    write!(out, "{{\"id\":{},\"kind\":\"{}\"", t.id(), kind.name())?;
    str_field(out, "name", display_name(t.name()))?;
    match kind {
        Kind::Void => {}
        Kind::Int => {
            let i = t.int().expect("kind checked");
            write!(
                out,
                ",\"size\":{},\"bits_offset\":{},\"nr_bits\":{},\"encoding\":\"{}\"",
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
            write!(out, ",\"type_id\":{}", t.type_id())?;
        }
        Kind::Array => {
            let a = t.array().expect("kind checked");
            write!(
                out,
                ",\"type_id\":{},\"index_type_id\":{},\"nr_elems\":{}",
                a.elem, a.index, a.nelems
            )?;
        }
        Kind::Struct | Kind::Union => {
            write!(
                out,
                ",\"size\":{},\"vlen\":{},\"members\":[",
                t.size(),
                t.vlen()
            )?;
            for (i, m) in t.members().enumerate() {
                out.write_all(if i == 0 {
                    b"{\"name\":"
                } else {
                    b",{\"name\":"
                })?;
                string(out, display_name(m.name))?;
                write!(
                    out,
                    ",\"type_id\":{},\"bits_offset\":{}",
                    m.ty, m.bit_offset
                )?;
                if m.bitfield_size != 0 {
                    write!(out, ",\"bitfield_size\":{}", m.bitfield_size)?;
                }
                out.write_all(b"}")?;
            }
            out.write_all(b"]")?;
        }
        Kind::Enum | Kind::Enum64 => {
            let signed = t.kflag();
            let sign = if signed { "SIGNED" } else { "UNSIGNED" };
            write!(
                out,
                ",\"encoding\":\"{sign}\",\"size\":{},\"vlen\":{},\"values\":[",
                t.size(),
                t.vlen()
            )?;
            for (i, v) in t.enum_values().enumerate() {
                out.write_all(if i == 0 {
                    b"{\"name\":"
                } else {
                    b",{\"name\":"
                })?;
                string(out, display_name(v.name))?;
                match (kind, signed) {
                    (_, true) => write!(out, ",\"val\":{}}}", v.value)?,
                    // bpftool widens the stored s32 to u64, sign-extending it.
                    (Kind::Enum, false) => {
                        write!(out, ",\"val\":{}}}", v.value as u32 as i32 as u64)?
                    }
                    (_, false) => write!(out, ",\"val\":{}}}", v.value as u64)?,
                }
            }
            out.write_all(b"]")?;
        }
        Kind::Fwd => {
            let fwd = if t.kflag() { "union" } else { "struct" };
            write!(out, ",\"fwd_kind\":\"{fwd}\"")?;
        }
        Kind::Func | Kind::Var => {
            write!(
                out,
                ",\"type_id\":{},\"linkage\":\"{}\"",
                t.type_id(),
                linkage_name(t)
            )?;
        }
        Kind::FuncProto => {
            write!(
                out,
                ",\"ret_type_id\":{},\"vlen\":{},\"params\":[",
                t.type_id(),
                t.vlen()
            )?;
            for (i, p) in t.params().enumerate() {
                out.write_all(if i == 0 {
                    b"{\"name\":"
                } else {
                    b",{\"name\":"
                })?;
                string(out, display_name(p.name))?;
                write!(out, ",\"type_id\":{}}}", p.ty)?;
            }
            out.write_all(b"]")?;
        }
        Kind::Datasec => {
            write!(
                out,
                ",\"size\":{},\"vlen\":{},\"vars\":[",
                t.size(),
                t.vlen()
            )?;
            for (i, v) in t.datasec_vars().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                write!(
                    out,
                    "{sep}{{\"type_id\":{},\"offset\":{},\"size\":{}}}",
                    v.ty, v.offset, v.size
                )?;
            }
            out.write_all(b"]")?;
        }
        Kind::Float => write!(out, ",\"size\":{}", t.size())?,
        Kind::DeclTag => write!(
            out,
            ",\"type_id\":{},\"component_idx\":{}",
            t.type_id(),
            t.component_idx().unwrap_or(-1)
        )?,
    }
    out.write_all(b"}")
}
