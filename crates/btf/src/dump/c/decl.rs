//! C declarators: `const char *(*handlers[4])(int)` from a chain of BTF
//! types (libbpf's `btf_dump_emit_type_decl` and `btf_dump_emit_type_chain`).
//!
//! The chain from the declared type down to its base type (int, struct,
//! typedef, ...) is pushed on a stack; writing pops it from the base type
//! back up. Qualifiers of the base type go to its left, pointer qualifiers
//! to the right of their `*`; arrays and function prototypes wrap what
//! remains of the chain in parentheses. Nested declarations (parameters,
//! inline anonymous structs) use their own frame of the shared stack.

use crate::btf::TypeId;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::types::Type;

use super::names::{Name, Namespace};
use super::{Dumper, MAX_DEPTH};

/// One declarator being written: its frame of the stack, `start..start +
/// len` of `decl_stack` with the top at the end, and the declared name and
/// indentation, which nested parts share.
struct Frame<'a> {
    start: usize,
    len: usize,
    fname: Name<'a>,
    lvl: usize,
}

impl<'a> Dumper<'a> {
    /// Writes the declaration of `fname` with type `id` (`fname` empty for
    /// an abstract declarator).
    pub(super) fn emit_type_decl(&mut self, id: TypeId, fname: Name<'a>, lvl: usize) -> Result<()> {
        self.step()?;
        self.descend(id)?;
        let start = self.decl_stack.len();
        let mut cur = id;
        loop {
            if self.decl_stack.len() - start >= MAX_DEPTH {
                return Err(Error::Unrepresentable {
                    id,
                    why: format!("declarator chain longer than {MAX_DEPTH} types"),
                });
            }
            self.decl_stack.push(cur);
            if cur == TypeId::VOID {
                break;
            }
            let t = self.btf.ty(cur);
            cur = match t.kind() {
                Kind::Ptr
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::FuncProto
                | Kind::TypeTag => t.type_id(),
                Kind::Array => t.array().map_or(TypeId::VOID, |a| a.elem),
                // A base type, or a kind that has no place in a declarator
                // (libbpf warns and stops there).
                _ => break,
            };
        }
        let mut frame = Frame {
            start,
            len: self.decl_stack.len() - start,
            fname,
            lvl,
        };
        let result = self.emit_type_chain(&mut frame);
        self.decl_stack.truncate(start);
        self.ascend();
        result
    }

    fn top(&self, frame: &Frame<'a>) -> Option<TypeId> {
        frame
            .len
            .checked_sub(1)
            .map(|i| self.decl_stack[frame.start + i])
    }

    /// Writes the qualifiers on top of the stack, `const volatile ` style.
    fn emit_mods(&mut self, frame: &mut Frame<'a>) {
        while let Some(id) = self.top(frame) {
            let word = match self.btf.ty(id).kind() {
                Kind::Volatile => "volatile ",
                Kind::Const => "const ",
                Kind::Restrict => "restrict ",
                _ => break,
            };
            self.put(word);
            frame.len -= 1;
        }
    }

    /// Pops the qualifiers (type tags included) on top of the stack unseen:
    /// GCC puts them on arrays and `noreturn` function pointers.
    fn drop_mods(&mut self, frame: &mut Frame<'a>) {
        while let Some(id) = self.top(frame) {
            if !self.btf.ty(id).kind().is_modifier() {
                break;
            }
            frame.len -= 1;
        }
    }

    fn emit_name(&mut self, fname: Name<'a>, last_was_ptr: bool) {
        let bytes = self.names.bytes(fname);
        if !bytes.is_empty() && !last_was_ptr {
            self.out.push(b' ');
        }
        self.put_name(fname);
    }

    fn emit_type_chain(&mut self, frame: &mut Frame<'a>) -> Result<()> {
        let lvl = frame.lvl;
        // A lone pointer (of a function pointer) is written `(*name)`.
        let mut last_was_ptr = true;
        while let Some(id) = self.top(frame) {
            frame.len -= 1;
            if id == TypeId::VOID {
                self.emit_mods(frame);
                self.put("void");
                last_was_ptr = false;
                continue;
            }
            let t = self.btf.ty(id);
            let kind = t.kind();
            match kind {
                Kind::Int | Kind::Float => {
                    self.emit_mods(frame);
                    let name = self.names.raw(self.btf, id);
                    self.put(name);
                }
                Kind::Struct | Kind::Union => {
                    self.emit_mods(frame);
                    if t.name_off() == 0 {
                        self.emit_struct_def(id, &t, lvl)?;
                    } else {
                        self.emit_struct_fwd(id, &t);
                    }
                }
                Kind::Enum | Kind::Enum64 => {
                    self.emit_mods(frame);
                    if t.name_off() == 0 {
                        self.emit_enum_def(id, &t, lvl)?;
                    } else {
                        self.emit_enum_fwd(id);
                    }
                }
                Kind::Fwd => {
                    self.emit_mods(frame);
                    self.emit_fwd_def(id, &t);
                }
                Kind::Typedef => {
                    self.emit_mods(frame);
                    let name = self.names.resolve(self.btf, id, Namespace::Idents);
                    self.put_name(name);
                }
                Kind::Ptr => self.put(if last_was_ptr { "*" } else { " *" }),
                Kind::Volatile => self.put(" volatile"),
                Kind::Const => self.put(" const"),
                Kind::Restrict => self.put(" restrict"),
                Kind::TypeTag => {
                    self.emit_mods(frame);
                    self.put(" __attribute__((btf_type_tag(\"");
                    self.put(t.name());
                    self.put("\")))");
                }
                Kind::Array => return self.emit_array(frame, &t, last_was_ptr),
                Kind::FuncProto => return self.emit_func_proto(frame, &t, last_was_ptr),
                // Not a type a declarator can hold (libbpf warns).
                _ => return Ok(()),
            }
            last_was_ptr = kind == Kind::Ptr;
        }
        self.emit_name(frame.fname, last_was_ptr);
        Ok(())
    }

    /// `name[N]`, or `(<rest of the chain>)[N]`.
    fn emit_array(
        &mut self,
        frame: &mut Frame<'a>,
        t: &Type<'a>,
        last_was_ptr: bool,
    ) -> Result<()> {
        let fname = frame.fname;
        let nelems = t.array().map_or(0, |a| a.nelems);
        // Qualifiers on an array are GCC's copies of the element's.
        self.drop_mods(frame);
        let Some(next) = self.top(frame) else {
            self.emit_name(fname, last_was_ptr);
            return self.put_dimension(nelems);
        };
        let multidim = next != TypeId::VOID && self.btf.ty(next).kind() == Kind::Array;
        if !self.names.bytes(fname).is_empty() && !last_was_ptr {
            self.put(" ");
        }
        let (open, close) = if multidim { ("", "") } else { ("(", ")") };
        self.emit_inner_chain(frame, t.id(), (open, close))?;
        self.put_dimension(nelems)
    }

    /// The rest of the chain, between `parens`, as the declarator an array
    /// or function prototype `id` applies to.
    fn emit_inner_chain(
        &mut self,
        frame: &mut Frame<'a>,
        id: TypeId,
        parens: (&str, &str),
    ) -> Result<()> {
        self.put(parens.0);
        self.descend(id)?;
        self.emit_type_chain(frame)?;
        self.ascend();
        self.put(parens.1);
        Ok(())
    }

    fn put_dimension(&mut self, nelems: u32) -> Result<()> {
        self.put("[");
        self.put_u64(nelems.into());
        self.put("]");
        Ok(())
    }

    /// `name(params)` or `(<rest of the chain>)(params)`.
    fn emit_func_proto(
        &mut self,
        frame: &mut Frame<'a>,
        t: &Type<'a>,
        last_was_ptr: bool,
    ) -> Result<()> {
        // GCC marks `noreturn` function pointers volatile.
        self.drop_mods(frame);
        if frame.len > 0 {
            self.emit_inner_chain(frame, t.id(), (" (", ")"))?;
        } else {
            self.emit_name(frame.fname, last_was_ptr);
        }
        self.put("(");
        let vlen = t.vlen();
        let params = t.params();
        if vlen == 0 || (vlen == 1 && params.clone().next().is_some_and(|p| p.ty == TypeId::VOID)) {
            self.put("void)");
            return Ok(());
        }
        for (i, p) in params.enumerate() {
            if i > 0 {
                self.put(", ");
            }
            // A trailing void parameter means `...`.
            if i == vlen - 1 && p.ty == TypeId::VOID {
                self.put("...");
                break;
            }
            self.emit_type_decl(p.ty, Name::Plain(p.name), frame.lvl)?;
        }
        self.put(")");
        Ok(())
    }
}
