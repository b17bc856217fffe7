//! `bpftool btf dump file F format c`: C declarations (vmlinux.h), byte for
//! byte as bpftool 7.1 (libbpf 1.1's `btf_dump`) writes them.
//!
//! Every type id from 1 on (a split BTF's base included, as bpftool does) is
//! dumped in turn, each in two passes:
//!
//! 1. [`order`]: a depth-first walk that lists the named definitions the type
//!    needs, dependencies first. Types embedded by value are *strong* links
//!    and must be defined before their user; types reached through a pointer
//!    to a named struct or union are *weak* links, satisfied by a forward
//!    declaration. A reference cycle that no named struct or union breaks
//!    cannot be written in C and is reported as an error naming a type id.
//! 2. [`emit`]: writes the listed definitions, with forward declarations
//!    where a definition refers back to one still being written, anonymous
//!    structs, unions and enums inline, padding made explicit ([`layout`]),
//!    and declarators built by [`decl`]. Names that repeat get `___N`
//!    suffixes ([`names`]).
//!
//! Before anything is written, [`idents`] checks that every name the
//! header would hold is a C identifier: a hostile name cannot inject code.
//! Output goes to the writer as it is made, 64 KiB at a time, so memory
//! stays proportional to the input however long the header (a struct padded
//! out to gigabytes is gigabytes of padding fields). Work and recursion are
//! bounded: hostile BTF gets an error, never a stack overflow or a hang.

mod decl;
mod emit;
mod idents;
mod layout;
mod names;
mod order;

use std::io::Write;

use crate::btf::{Btf, TypeId};
use crate::error::{Error, Result};

use self::names::Names;

const HEADER: &[u8] = b"#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

";

const FOOTER: &[u8] = b"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
";

/// Output is handed to the writer whenever this much has accumulated.
const FLUSH_AT: usize = 1 << 16;

/// Deepest nesting of type references the dumper follows (struct members,
/// pointer and modifier chains, parameters, inline definitions).
const MAX_DEPTH: usize = 512;

/// Work budget for one dump, in types visited plus padding fields and
/// enumerators written: a base plus an allowance per type. libbpf walks
/// arrays, modifiers and function prototypes again at each use, so a hostile
/// graph (prototypes whose parameters are the previous prototype, twice)
/// would take exponential time; a kernel takes about 5 steps per type.
const BASE_STEPS: u64 = 1 << 20;
/// Steps allowed per type on top of [`BASE_STEPS`].
const STEPS_PER_TYPE: u64 = 256;

/// Writes the C header for every type of `btf`, streaming it to `out`.
///
/// A name that is not a C identifier (or, for a type tag, not plain text
/// for a string literal) is [`Error::Unrepresentable`] before anything is
/// written. On an unrepresentable type graph (a reference cycle not broken
/// by a pointer to a named struct or union, nesting deeper than 512 levels,
/// or more work than the budget allows) the declarations of the types before
/// the offending one are written (and, if that one's text passed 64 KiB
/// before the problem showed, its start) and [`Error::Unrepresentable`]
/// names the type id.
pub fn dump(btf: &Btf, out: &mut impl Write) -> Result<()> {
    idents::check(btf)?;
    let mut d = Dumper::new(btf, out);
    d.sink.write_all(HEADER)?;
    for id in btf.all_ids() {
        if let Err(e) = d.dump_type(id) {
            d.sink.write_all(&d.out[..d.committed])?;
            return Err(e);
        }
        d.committed = d.out.len();
        if d.out.len() >= FLUSH_AT {
            d.flush()?;
        }
    }
    d.flush()?;
    d.sink.write_all(FOOTER)?;
    Ok(())
}

/// Ordering state of a type (libbpf's `order_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Order {
    #[default]
    NotOrdered,
    Ordering,
    Ordered,
}

/// Emission state of a type (libbpf's `emit_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Emit {
    #[default]
    NotEmitted,
    Emitting,
    Emitted,
}

/// Per-type bookkeeping, indexed by type id.
#[derive(Clone, Copy, Debug, Default)]
struct TypeState {
    order: Order,
    emit: Emit,
    /// A forward declaration (or, for a typedef, the definition) is out.
    fwd_emitted: bool,
    /// Some other type refers to this one.
    referenced: bool,
    /// Bit 0/1: being ordered, reached without/through a pointer.
    on_path: u8,
}

/// The dumper's state across all types of one BTF.
struct Dumper<'a> {
    btf: &'a Btf,
    /// Where the header goes.
    sink: &'a mut dyn Write,
    /// Pointer size in bytes, guessed from the `long` integer types.
    ptr_size: u32,
    state: Vec<TypeState>,
    names: Names<'a>,
    /// Memoized alignments (`u32::MAX`: not computed yet).
    align_cache: Vec<u32>,
    /// Named definitions a type needs, in the order to emit them.
    emit_queue: Vec<TypeId>,
    /// Chains of declarators being written (see [`decl`]).
    decl_stack: Vec<TypeId>,
    /// Types being ordered, outermost first, and whether reached through a
    /// pointer: where cycles are reported from.
    order_path: Vec<(TypeId, bool)>,
    /// Current recursion depth of the emit pass.
    depth: usize,
    /// Steps taken so far.
    steps: u64,
    /// The step budget (see [`BASE_STEPS`]).
    max_steps: u64,
    /// The type `dump_type` is working on.
    current: TypeId,
    /// Text not yet handed to the writer.
    out: Vec<u8>,
    /// Length of `out` covering completely dumped types (0 once part of the
    /// current type has been handed over).
    committed: usize,
}

impl<'a> Dumper<'a> {
    fn new(btf: &'a Btf, sink: &'a mut dyn Write) -> Dumper<'a> {
        let count = btf.type_count() as usize;
        let mut d = Dumper {
            btf,
            sink,
            ptr_size: layout::pointer_size(btf),
            state: vec![TypeState::default(); count],
            names: Names::new(count),
            align_cache: vec![u32::MAX; count],
            emit_queue: Vec::new(),
            decl_stack: Vec::new(),
            order_path: Vec::new(),
            depth: 0,
            steps: 0,
            max_steps: BASE_STEPS + STEPS_PER_TYPE * count as u64,
            current: TypeId::VOID,
            out: Vec::with_capacity(FLUSH_AT * 2),
            committed: 0,
        };
        d.state[0].order = Order::Ordered;
        d.state[0].emit = Emit::Emitted;
        d.mark_referenced();
        d
    }

    /// libbpf's `btf_dump__dump_type`: orders `id` and its dependencies,
    /// then emits what was queued.
    fn dump_type(&mut self, id: TypeId) -> Result<()> {
        self.current = id;
        self.emit_queue.clear();
        self.order_path.clear();
        self.order_type(id, false)?;
        let queue = std::mem::take(&mut self.emit_queue);
        for &qid in &queue {
            self.depth = 0;
            self.emit_type(qid, TypeId::VOID)?;
        }
        self.emit_queue = queue;
        Ok(())
    }

    fn st(&mut self, id: TypeId) -> &mut TypeState {
        &mut self.state[id.0 as usize]
    }

    /// Counts one step of work, failing past the budget (naming the type
    /// being dumped), and hands the output over once [`FLUSH_AT`] bytes
    /// have accumulated: every loop that writes goes through here.
    fn step(&mut self) -> Result<()> {
        self.steps += 1;
        if self.steps > self.max_steps {
            return Err(Error::Unrepresentable {
                id: self.current,
                why: format!(
                    "writing it as C takes more than {} steps (types visited, padding fields \
                     and enumerators written; {STEPS_PER_TYPE} per type): the type graph is too \
                     tangled or its padding too large",
                    self.max_steps
                ),
            });
        }
        if self.out.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Hands everything written so far to the writer.
    fn flush(&mut self) -> Result<()> {
        self.sink.write_all(&self.out)?;
        self.out.clear();
        self.committed = 0;
        Ok(())
    }

    /// Enters one more level of emit recursion, failing past [`MAX_DEPTH`].
    fn descend(&mut self, id: TypeId) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep(id));
        }
        Ok(())
    }

    fn ascend(&mut self) {
        self.depth -= 1;
    }

    fn put(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    /// `lvl` tabs, at most 13 (libbpf's indentation limit).
    fn put_indent(&mut self, lvl: usize) {
        const TABS: &[u8] = b"\t\t\t\t\t\t\t\t\t\t\t\t\t";
        self.out.extend_from_slice(&TABS[..lvl.min(TABS.len())]);
    }

    fn put_u64(&mut self, v: u64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    fn put_i64(&mut self, v: i64) {
        if v < 0 {
            self.out.push(b'-');
        }
        self.put_u64(v.unsigned_abs());
    }
}

/// The error for nesting past [`MAX_DEPTH`].
fn too_deep(id: TypeId) -> Error {
    Error::Unrepresentable {
        id,
        why: format!("type references nest more than {MAX_DEPTH} levels deep"),
    }
}
