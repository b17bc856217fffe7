//! Pass 2: writing definitions and the forward declarations they need
//! (libbpf's `btf_dump_emit_type` and the `btf_dump_emit_*_def` family).

use crate::btf::TypeId;
use crate::error::Result;
use crate::kind::Kind;
use crate::types::Type;

use super::names::{Name, Namespace};
use super::{Dumper, Emit};

/// GCC's internal vector element types, aliased to standard C types where
/// they are first used.
const MISSING_BASE_TYPES: [(&str, &str); 4] = [
    ("__Poly8_t", "unsigned char"),
    ("__Poly16_t", "unsigned short"),
    ("__Poly64_t", "unsigned long long"),
    ("__Poly128_t", "unsigned __int128"),
];

impl<'a> Dumper<'a> {
    /// Emits `id` and whatever it needs first. `cont_id` is the named
    /// struct or union (or typedef) being defined around it; `void` at the
    /// top level, where named types get their full definition.
    pub(super) fn emit_type(&mut self, id: TypeId, cont_id: TypeId) -> Result<()> {
        self.step()?;
        let state = self.state[id.0 as usize];
        if state.emit == Emit::Emitted {
            return Ok(());
        }
        let t = self.btf.ty(id);
        let top_level = cont_id == TypeId::VOID;
        if state.emit == Emit::Emitting {
            if !state.fwd_emitted {
                self.emit_fwd_while_emitting(id, &t, cont_id)?;
            }
            return Ok(());
        }
        self.descend(id)?;
        match t.kind() {
            Kind::Int => {
                self.emit_missing_alias(id);
                self.st(id).emit = Emit::Emitted;
            }
            Kind::Enum | Kind::Enum64 => {
                if top_level {
                    self.emit_enum_def(id, &t, 0)?;
                    self.put(";\n\n");
                }
                self.st(id).emit = Emit::Emitted;
            }
            Kind::Ptr | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.emit_type(t.type_id(), cont_id)?;
            }
            Kind::Array => {
                if let Some(a) = t.array() {
                    self.emit_type(a.elem, cont_id)?;
                }
            }
            Kind::Fwd => {
                self.emit_fwd_def(id, &t);
                self.put(";\n\n");
                self.st(id).emit = Emit::Emitted;
            }
            Kind::Typedef => {
                self.st(id).emit = Emit::Emitting;
                self.emit_type(t.type_id(), id)?;
                if !self.state[id.0 as usize].fwd_emitted && !is_builtin_va_list(&t) {
                    self.emit_typedef_def(id, &t, 0)?;
                    self.put(";\n\n");
                }
                self.st(id).emit = Emit::Emitted;
            }
            Kind::Struct | Kind::Union => self.emit_composite(id, &t, cont_id)?,
            Kind::FuncProto => {
                // The return type, then each parameter's.
                for r in t.referenced_ids() {
                    self.emit_type(r, cont_id)?;
                }
            }
            _ => {}
        }
        self.ascend();
        Ok(())
    }

    /// A type met again while its own definition is being written: a
    /// struct or union gets a forward declaration, a typedef its definition
    /// (good enough for uses through a pointer).
    fn emit_fwd_while_emitting(&mut self, id: TypeId, t: &Type<'a>, cont_id: TypeId) -> Result<()> {
        match t.kind() {
            Kind::Struct | Kind::Union => {
                // Referring to the struct being defined needs nothing; an
                // anonymous one cannot be declared ahead (libbpf warns).
                if id == cont_id || t.name_off() == 0 {
                    return Ok(());
                }
                self.emit_struct_fwd(id, t);
                self.put(";\n\n");
                self.st(id).fwd_emitted = true;
            }
            Kind::Typedef => {
                if !is_builtin_va_list(t) {
                    self.emit_typedef_def(id, t, 0)?;
                    self.put(";\n\n");
                }
                self.st(id).fwd_emitted = true;
            }
            _ => {}
        }
        Ok(())
    }

    fn emit_composite(&mut self, id: TypeId, t: &Type<'a>, cont_id: TypeId) -> Result<()> {
        let top_level = cont_id == TypeId::VOID;
        let named = t.name_off() != 0;
        self.st(id).emit = Emit::Emitting;
        // A definition written out in full (top level, or anonymous and so
        // inline) needs its members' types declared first.
        if top_level || !named {
            let new_cont = if named { id } else { cont_id };
            for member_type in t.referenced_ids() {
                self.emit_type(member_type, new_cont)?;
            }
        } else if !self.state[id.0 as usize].fwd_emitted && id != cont_id {
            self.emit_struct_fwd(id, t);
            self.put(";\n\n");
            self.st(id).fwd_emitted = true;
        }
        if top_level {
            self.emit_struct_def(id, t, 0)?;
            self.put(";\n\n");
            self.st(id).emit = Emit::Emitted;
        } else {
            self.st(id).emit = Emit::NotEmitted;
        }
        Ok(())
    }

    /// Writes the type's name as a struct, union or enum tag.
    fn put_tag_name(&mut self, id: TypeId) {
        let name = self.names.resolve(self.btf, id, Namespace::Tags);
        self.out.extend_from_slice(self.names.bytes(name));
    }

    /// Writes a resolved name.
    pub(super) fn put_name(&mut self, name: Name<'a>) {
        self.out.extend_from_slice(self.names.bytes(name));
    }

    /// `struct foo` / `union foo`.
    pub(super) fn emit_struct_fwd(&mut self, id: TypeId, t: &Type<'a>) {
        self.put(if t.kind() == Kind::Struct {
            "struct"
        } else {
            "union"
        });
        if t.name_off() != 0 {
            self.put(" ");
        }
        self.put_tag_name(id);
    }

    /// The full definition of a struct or union, members indented one level
    /// deeper than `lvl`.
    pub(super) fn emit_struct_def(&mut self, id: TypeId, t: &Type<'a>, lvl: usize) -> Result<()> {
        let is_struct = t.kind() == Kind::Struct;
        let align = self.align_of(id);
        let packed = is_struct && self.is_packed(t);
        self.emit_struct_fwd(id, t);
        self.put(" {");
        let mut off: i32 = 0;
        let mut prev_bitfield = false;
        for m in t.members() {
            let m_off = m.bit_offset as i32;
            let m_align = if packed { 1 } else { self.align_of(m.ty) };
            let in_bitfield = prev_bitfield && m.bitfield_size != 0;
            self.emit_bit_padding(
                off.into(),
                m_off.into(),
                m_align.into(),
                in_bitfield,
                lvl + 1,
            )?;
            self.put("\n");
            self.put_indent(lvl + 1);
            self.emit_type_decl(m.ty, Name::Plain(m.name), lvl + 1)?;
            if m.bitfield_size != 0 {
                self.put(": ");
                self.put_u64(m.bitfield_size.into());
                off = m_off.wrapping_add(m.bitfield_size as i32);
                prev_bitfield = true;
            } else {
                // libbpf keeps the size in an int.
                let size = self.resolve_size(m.ty).max(0) as i32;
                off = m_off.wrapping_add(size.wrapping_mul(8));
                prev_bitfield = false;
            }
            self.put(";");
        }
        if is_struct {
            let end = t.size().wrapping_mul(8) as i32;
            self.emit_bit_padding(off.into(), end.into(), align.into(), false, lvl + 1)?;
        }
        if t.vlen() != 0 || t.size() != 0 {
            self.put("\n");
            self.put_indent(lvl);
        }
        self.put("}");
        if packed {
            self.put(" __attribute__((packed))");
        }
        Ok(())
    }

    /// `enum foo`.
    pub(super) fn emit_enum_fwd(&mut self, id: TypeId) {
        self.put("enum ");
        self.put_tag_name(id);
    }

    /// The definition of an enum (no body for one without values).
    pub(super) fn emit_enum_def(&mut self, id: TypeId, t: &Type<'a>, lvl: usize) -> Result<()> {
        self.put("enum");
        if t.name_off() != 0 {
            self.put(" ");
        }
        self.put_tag_name(id);
        if t.vlen() == 0 {
            return Ok(());
        }
        self.put(" {");
        let is64 = t.kind() == Kind::Enum64;
        let signed = t.kflag();
        for v in t.enum_values() {
            self.step()?;
            self.put("\n");
            self.put_indent(lvl + 1);
            self.put(v.name);
            let dups = self.names.count(Namespace::Idents, v.name);
            if dups > 1 {
                self.put("___");
                self.put_u64(dups as u64);
            }
            self.put(" = ");
            match (is64, signed) {
                (false, _) => self.put_i64(v.value),
                (true, true) => {
                    self.put_i64(v.value);
                    self.put("LL");
                }
                (true, false) => {
                    self.put_u64(v.value as u64);
                    self.put("ULL");
                }
            }
            self.put(",");
        }
        self.put("\n");
        self.put_indent(lvl);
        self.put("}");
        Ok(())
    }

    /// `struct foo` or `union foo` for a FWD.
    pub(super) fn emit_fwd_def(&mut self, id: TypeId, t: &Type<'a>) {
        self.put(if t.kflag() { "union " } else { "struct " });
        self.put_tag_name(id);
    }

    /// `typedef <declaration of the target named after the typedef>`.
    fn emit_typedef_def(&mut self, id: TypeId, t: &Type<'a>, lvl: usize) -> Result<()> {
        let name = self.names.resolve(self.btf, id, Namespace::Idents);
        if t.type_id() == TypeId::VOID && self.names.bytes(name) == b"__gnuc_va_list" {
            // Old GCC emits this typedef to void.
            self.put("typedef __builtin_va_list __gnuc_va_list");
            return Ok(());
        }
        self.put("typedef ");
        self.emit_type_decl(t.type_id(), name, lvl)
    }

    /// Before the first use of an integer with one of GCC's internal
    /// names, a typedef that defines it.
    fn emit_missing_alias(&mut self, id: TypeId) {
        let name = self.names.resolve(self.btf, id, Namespace::Tags);
        let bytes = self.names.bytes(name);
        if let Some(&(_, alias)) = MISSING_BASE_TYPES
            .iter()
            .find(|(n, _)| n.as_bytes() == bytes)
        {
            self.put("typedef ");
            self.put(alias);
            self.put(" ");
            self.put_name(name);
            self.put(";\n\n");
        }
    }
}

/// `__builtin_va_list` is the compiler's own; its typedef is never written.
fn is_builtin_va_list(t: &Type<'_>) -> bool {
    t.name_off() != 0 && t.name() == "__builtin_va_list"
}
