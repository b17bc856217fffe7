//! A tracepoint's tracefs format (`events/CAT/NAME/format`) and its
//! comparison with the context struct a `tracepoint/` program declares by
//! hand (the tutorial's non-CO-RE `struct trace_sys_enter_execve`): fields
//! matched by name (leading underscores aside), else by position; a member
//! at another offset or of another size than the kernel's field is reported.
//! Pure: the caller reads the file.

use corex_btf::{essential_name, Btf, Kind, Type};

use super::Problem;
use crate::object::Object;

/// One `field:` line of a format file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceField {
    /// The C declaration as written (`const char * filename`).
    pub decl: String,
    /// The field's name (`filename`).
    pub name: String,
    /// Byte offset in the record.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// A parsed format file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFormat {
    /// The event's name (`sys_enter_execve`).
    pub name: String,
    /// The fields, common ones first, in file order.
    pub fields: Vec<TraceField>,
}

/// A line of a format file that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct FormatError {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// Parses the text of a tracefs `format` file.
pub fn parse_format(text: &str) -> Result<TraceFormat, FormatError> {
    let mut name = String::new();
    let mut fields = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("name:") {
            name = rest.trim().to_owned();
            continue;
        }
        let Some(body) = trimmed.strip_prefix("field:") else {
            continue;
        };
        let bad = |why: String| FormatError { line: line_no, why };
        let mut parts = body.split(';').map(str::trim);
        let decl = parts.next().unwrap_or("").to_owned();
        let mut offset = None;
        let mut size = None;
        for p in parts {
            let number = |v: &str| {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| bad(format!("'{v}' is not a number in '{p}'")))
            };
            if let Some(v) = p.strip_prefix("offset:") {
                offset = Some(number(v)?);
            } else if let Some(v) = p.strip_prefix("size:") {
                size = Some(number(v)?);
            }
        }
        let (Some(offset), Some(size)) = (offset, size) else {
            return Err(bad("a field without offset: or size:".into()));
        };
        let field_name = decl_name(&decl).ok_or_else(|| bad(format!("no name in '{decl}'")))?;
        fields.push(TraceField {
            name: field_name.to_owned(),
            decl,
            offset,
            size,
        });
    }
    if fields.is_empty() {
        return Err(FormatError {
            line: text.lines().count(),
            why: "no field: lines".into(),
        });
    }
    Ok(TraceFormat { name, fields })
}

/// The declared name: the last identifier before any array brackets.
fn decl_name(decl: &str) -> Option<&str> {
    let d = decl.split('[').next()?.trim_end();
    let start = d
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &d[start..];
    (!name.is_empty()).then_some(name)
}

/// The hand-written context struct of program `index` (its first
/// parameter's pointee), if it has one that CO-RE does not relocate.
pub fn context_struct(obj: &Object, index: usize) -> Option<Type<'_>> {
    let btf = obj.btf.as_ref()?;
    let prog = obj.programs.get(index)?;
    let func = btf.ty(obj.btf_type(Kind::Func, &prog.name)?);
    let proto = btf.ty(func.type_id());
    let param = proto.params().next()?;
    let ptr = btf.skip_mods_and_typedefs(param.ty);
    if ptr.kind() != Kind::Ptr {
        return None;
    }
    let st = btf.skip_mods_and_typedefs(ptr.type_id());
    if st.kind() != Kind::Struct {
        return None;
    }
    (!obj.core_relocates(essential_name(st.name()))).then_some(st)
}

/// Member name, byte offset and size, anonymous members flattened.
fn members(btf: &Btf, t: Type<'_>, base: u32, out: &mut Vec<(String, u32, u32)>, depth: usize) {
    for m in t.members() {
        if m.bitfield_size != 0 || depth > 8 {
            continue;
        }
        let off = base.saturating_add(m.bit_offset / 8);
        let mt = btf.skip_mods_and_typedefs(m.ty);
        if m.name.is_empty() && mt.is_composite() {
            members(btf, mt, off, out, depth + 1);
            continue;
        }
        let size = btf
            .resolve_size(m.ty)
            .map_or(0, |s| u32::try_from(s).unwrap_or(u32::MAX));
        out.push((m.name.to_owned(), off, size));
    }
}

fn normalized(name: &str) -> &str {
    name.trim_start_matches('_')
}

/// Compares program `index`'s hand-written context struct with `format`
/// (of tracepoint `tracepoint`): one problem per member whose offset or
/// size differs from the field of the same name, or that overlaps another
/// field, or that lies past the record's last field.
pub fn compare_context(
    obj: &Object,
    index: usize,
    tracepoint: &str,
    format: &TraceFormat,
) -> Vec<Problem> {
    let Some(st) = context_struct(obj, index) else {
        return Vec::new();
    };
    let btf = st.btf();
    let mut list = Vec::new();
    members(btf, st, 0, &mut list, 0);
    let end = format
        .fields
        .iter()
        .map(|f| f.offset.saturating_add(f.size))
        .max()
        .unwrap_or(0);
    let context = crate::core::type_name(btf, st.id());
    let mut out = Vec::new();
    for (name, off, size) in list {
        let by_name = format
            .fields
            .iter()
            .find(|f| normalized(&f.name) == normalized(&name) && !name.is_empty());
        let overlapping = || {
            format.fields.iter().find(|f| {
                f.offset < off.saturating_add(size.max(1)) && off < f.offset.saturating_add(f.size)
            })
        };
        let field = match by_name {
            Some(f) if f.offset == off && f.size == size => continue,
            Some(f) => Some(f),
            None => match overlapping() {
                Some(f) if f.offset == off && f.size == size => continue,
                Some(f) => Some(f),
                None if off.saturating_add(size) <= end => continue,
                None => None,
            },
        };
        out.push(Problem::ContextLayout {
            tracepoint: tracepoint.to_owned(),
            context: context.clone(),
            member: name,
            local: (off, size),
            field: field.map(|f| (f.name.clone(), f.offset, f.size)),
        });
    }
    out
}
