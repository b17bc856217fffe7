//! Pass 1: which named definitions a type needs, dependencies first
//! (libbpf's `btf_dump_order_type`), and which types are referenced at all.

use crate::btf::TypeId;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::printable::printable;

use super::{Dumper, Order, MAX_DEPTH};

impl Dumper<'_> {
    /// Marks every type some other type refers to. An anonymous enum nobody
    /// refers to is a top-level constant list and gets its own definition.
    /// (As in libbpf, a FUNC_PROTO's return type does not count.)
    pub(super) fn mark_referenced(&mut self) {
        let btf = self.btf;
        for t in btf.types() {
            // A FUNC_PROTO's first reference is its return type.
            let skip = usize::from(t.kind() == Kind::FuncProto);
            for r in t.referenced_ids().skip(skip) {
                if let Some(s) = self.state.get_mut(r.0 as usize) {
                    s.referenced = true;
                }
            }
        }
    }

    /// Orders `id`, queueing the named definitions it needs. Returns whether
    /// the link to it is strong (its definition must come first) rather
    /// than weak (a forward declaration will do).
    pub(super) fn order_type(&mut self, id: TypeId, through_ptr: bool) -> Result<bool> {
        self.step()?;
        let btf = self.btf;
        let state = self.state[id.0 as usize].order;
        if state == Order::Ordered {
            return Ok(true);
        }
        let t = btf.ty(id);
        let named = t.name_off() != 0;
        if state == Order::Ordering {
            if t.is_composite() && through_ptr && named {
                return Ok(false);
            }
            return Err(unsatisfiable(id));
        }
        match t.kind() {
            Kind::Int | Kind::Float => {
                self.st(id).order = Order::Ordered;
                Ok(false)
            }
            Kind::Ptr => {
                self.enter(id, through_ptr)?;
                let strong = self.order_type(t.type_id(), true)?;
                self.leave(id, through_ptr);
                self.st(id).order = Order::Ordered;
                Ok(strong)
            }
            Kind::Array => {
                let elem = t.array().map_or(TypeId::VOID, |a| a.elem);
                self.enter(id, through_ptr)?;
                let strong = self.order_type(elem, false)?;
                self.leave(id, through_ptr);
                Ok(strong)
            }
            Kind::Struct | Kind::Union => {
                if through_ptr && named {
                    return Ok(false);
                }
                self.st(id).order = Order::Ordering;
                self.enter_composite(id, through_ptr)?;
                for member_type in t.referenced_ids() {
                    self.order_type(member_type, false)?;
                }
                self.order_path.pop();
                if named {
                    self.emit_queue.push(id);
                }
                self.st(id).order = Order::Ordered;
                Ok(true)
            }
            Kind::Enum | Kind::Enum64 | Kind::Fwd => {
                if named || !self.state[id.0 as usize].referenced {
                    self.emit_queue.push(id);
                }
                self.st(id).order = Order::Ordered;
                Ok(true)
            }
            Kind::Typedef => {
                self.enter(id, through_ptr)?;
                let strong = self.order_type(t.type_id(), through_ptr)?;
                self.leave(id, through_ptr);
                if through_ptr && !strong {
                    return Ok(false);
                }
                self.emit_queue.push(id);
                self.st(id).order = Order::Ordered;
                Ok(true)
            }
            Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.enter(id, through_ptr)?;
                let strong = self.order_type(t.type_id(), through_ptr)?;
                self.leave(id, through_ptr);
                Ok(strong)
            }
            Kind::FuncProto => {
                self.enter(id, through_ptr)?;
                // The return type, then each parameter's.
                let mut strong = false;
                for r in t.referenced_ids() {
                    strong |= self.order_type(r, through_ptr)?;
                }
                self.leave(id, through_ptr);
                Ok(strong)
            }
            Kind::Func | Kind::Var | Kind::Datasec | Kind::DeclTag | Kind::Void => {
                self.st(id).order = Order::Ordered;
                Ok(false)
            }
        }
    }

    /// Steps into a type that libbpf keeps no ordering state for. Reaching
    /// it again, the same way, while it is still being ordered means libbpf
    /// would recurse for ever: report the cycle instead.
    fn enter(&mut self, id: TypeId, through_ptr: bool) -> Result<()> {
        let bit = 1u8 << u8::from(through_ptr);
        if self.state[id.0 as usize].on_path & bit != 0 {
            return Err(self.cycle_error(id, through_ptr));
        }
        self.st(id).on_path |= bit;
        self.enter_composite(id, through_ptr)
    }

    fn leave(&mut self, id: TypeId, through_ptr: bool) {
        self.st(id).on_path &= !(1u8 << u8::from(through_ptr));
        self.order_path.pop();
    }

    /// Records a step on the path being ordered, bounding its length.
    fn enter_composite(&mut self, id: TypeId, through_ptr: bool) -> Result<()> {
        if self.order_path.len() >= MAX_DEPTH {
            return Err(super::too_deep(id));
        }
        self.order_path.push((id, through_ptr));
        Ok(())
    }

    /// The error for reaching `id` again while ordering it. If the cycle
    /// runs through a struct or union, libbpf stops there (the struct is
    /// still being ordered, so it is the one reported); otherwise it lists
    /// the cycle.
    fn cycle_error(&self, id: TypeId, through_ptr: bool) -> Error {
        let start = self
            .order_path
            .iter()
            .position(|&step| step == (id, through_ptr))
            .unwrap_or(0);
        let cycle = &self.order_path[start..];
        let btf = self.btf;
        if let Some(&(sid, _)) = cycle.iter().find(|(s, _)| btf.ty(*s).is_composite()) {
            return unsatisfiable(sid);
        }
        let mut path = String::new();
        for &(step, _) in cycle.iter().take(16) {
            let t = btf.ty(step);
            let name = printable(t.name());
            path.push_str(&format!("[{}] {} '{name}' -> ", step, t.kind()));
        }
        if cycle.len() > 16 {
            path.push_str("... -> ");
        }
        Error::Unrepresentable {
            id,
            why: format!(
                "reference cycle not broken by a pointer to a named struct or union: {path}[{id}]"
            ),
        }
    }
}

/// libbpf's "unsatisfiable type cycle" error.
fn unsatisfiable(id: TypeId) -> Error {
    Error::Unrepresentable {
        id,
        why: "unsatisfiable type cycle: the type contains itself other than through a pointer \
              to a named struct or union"
            .into(),
    }
}
