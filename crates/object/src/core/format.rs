//! Spec text exactly as libbpf's `bpf_core_format_spec` writes it (without
//! the `<kind> ` prefix): `[42] struct task_struct.real_parent (0:88 @ offset 2512)`.

use std::fmt::Write;

use corex_btf::{Btf, Kind, TypeId};

use super::spec::Spec;

/// libbpf's lowercase kind name (`btf_kind_str`).
pub fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::Void => "void",
        Kind::Int => "int",
        Kind::Ptr => "ptr",
        Kind::Array => "array",
        Kind::Struct => "struct",
        Kind::Union => "union",
        Kind::Enum => "enum",
        Kind::Fwd => "fwd",
        Kind::Typedef => "typedef",
        Kind::Volatile => "volatile",
        Kind::Const => "const",
        Kind::Restrict => "restrict",
        Kind::Func => "func",
        Kind::FuncProto => "func_proto",
        Kind::Var => "var",
        Kind::Datasec => "datasec",
        Kind::Float => "float",
        Kind::DeclTag => "decl_tag",
        Kind::TypeTag => "type_tag",
        Kind::Enum64 => "enum64",
    }
}

/// `kind name` of a type as libbpf prints it (`struct task_struct`, `struct <anon>`).
pub fn type_name(btf: &Btf, id: TypeId) -> String {
    let mut out = String::new();
    write_type_name(&mut out, btf, id);
    out
}

fn write_type_name(out: &mut String, btf: &Btf, id: TypeId) {
    let t = btf.ty(id);
    let name = if t.name().is_empty() {
        "<anon>"
    } else {
        t.name()
    };
    out.push_str(kind_str(t.kind()));
    out.push(' ');
    out.push_str(name);
}

/// `[id] kind name` of a type.
pub fn type_desc(btf: &Btf, id: TypeId) -> String {
    let mut out = String::with_capacity(48);
    write_type_desc(&mut out, btf, id);
    out
}

fn write_type_desc(out: &mut String, btf: &Btf, id: TypeId) {
    out.push('[');
    push_decimal(out, u64::from(id.0));
    out.push_str("] ");
    write_type_name(out, btf, id);
}

/// Appends `n` in decimal to `out`, without the formatting machinery (spec
/// texts are made for every relocation).
fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// A bit offset as libbpf prints it: bytes, or `bytes.bits`.
pub fn format_offset(bit_offset: u32) -> String {
    if !bit_offset.is_multiple_of(8) {
        format!("{}.{}", bit_offset / 8, bit_offset % 8)
    } else {
        (bit_offset / 8).to_string()
    }
}

/// Size of libbpf's spec text buffer (`char spec_buf[256]`): the logged
/// `<kind> spec` is cut to 255 bytes.
pub const SPEC_BUF_SIZE: usize = 256;

/// The spec text libbpf logs after `<kind> `, cut where libbpf's 256-byte
/// buffer cuts `<kind> spec` (only very long names reach that).
pub fn format_spec(spec: &Spec<'_>) -> String {
    let mut full = format_spec_full(spec);
    let prefix = spec.kind.name().len() + 3;
    let mut keep = (SPEC_BUF_SIZE - 1).saturating_sub(prefix).min(full.len());
    while !full.is_char_boundary(keep) {
        keep -= 1;
    }
    full.truncate(keep);
    full
}

/// The whole spec text, never cut.
pub fn format_spec_full(spec: &Spec<'_>) -> String {
    let btf = spec.btf;
    let mut out = String::with_capacity(96);
    write_type_desc(&mut out, btf, spec.root);
    if spec.kind.is_type_based() {
        return out;
    }
    if spec.kind.is_enumval_based() {
        let t = btf.skip_mods_and_typedefs(spec.root);
        if let Some(v) = spec
            .raw
            .first()
            .and_then(|&i| t.enum_values().nth(i as usize))
        {
            let value = match (t.kind(), t.kflag()) {
                (Kind::Enum, true) => (v.value as i32).to_string(),
                (Kind::Enum, false) => (v.value as u32).to_string(),
                (_, true) => v.value.to_string(),
                (_, false) => (v.value as u64).to_string(),
            };
            let _ = write!(out, "::{} = {value}", v.name);
        }
        return out;
    }
    for (i, acc) in spec.accessors.iter().enumerate() {
        match acc.name {
            Some(name) => {
                out.push('.');
                out.push_str(name);
            }
            None if i > 0 || acc.idx > 0 => {
                out.push('[');
                push_decimal(&mut out, u64::from(acc.idx));
                out.push(']');
            }
            None => {}
        }
    }
    out.push_str(" (");
    for (i, index) in spec.raw.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push_decimal(&mut out, u64::from(*index));
    }
    out.push_str(" @ offset ");
    push_decimal(&mut out, u64::from(spec.bit_offset / 8));
    if !spec.bit_offset.is_multiple_of(8) {
        out.push('.');
        push_decimal(&mut out, u64::from(spec.bit_offset % 8));
    }
    out.push(')');
    out
}
