//! Sizes, alignments, packing and explicit padding, computed as libbpf does
//! (`btf__align_of`, `btf__resolve_size`, `btf_is_struct_packed`,
//! `btf_dump_emit_bit_padding`), with the pointer size libbpf guesses.

use crate::btf::{Btf, TypeId};
use crate::error::Result;
use crate::kind::Kind;
use crate::types::Type;

use super::{Dumper, MAX_DEPTH};

/// libbpf's `MAX_RESOLVE_DEPTH` for `btf__resolve_size`.
const MAX_RESOLVE_DEPTH: usize = 32;

/// Names under which the C `long` type appears in BTF.
const LONG_NAMES: [&str; 11] = [
    "long",
    "long int",
    "int long",
    "unsigned long",
    "long unsigned",
    "unsigned long int",
    "unsigned int long",
    "long unsigned int",
    "long int unsigned",
    "int unsigned long",
    "int long unsigned",
];

/// The pointer size libbpf assumes: the size of the first 4- or 8-byte
/// integer named like `long`, else 8.
pub(super) fn pointer_size(btf: &Btf) -> u32 {
    btf.types()
        .find(|t| {
            t.kind() == Kind::Int && matches!(t.size(), 4 | 8) && LONG_NAMES.contains(&t.name())
        })
        .map_or(8, |t| t.size())
}

/// Where a member sits; [`Type::members`] without the names.
struct MemberLayout {
    ty: TypeId,
    bit_offset: u32,
    bitfield_size: u32,
}

/// The members of a struct or union, without looking up their names.
fn member_layouts<'a>(t: &Type<'a>) -> impl Iterator<Item = MemberLayout> + 'a {
    let kflag = t.kflag();
    t.referenced_ids()
        .zip(t.entry_words(2))
        .map(move |(ty, offset)| {
            let (bit_offset, bitfield_size) = if kflag {
                (offset & 0x00ff_ffff, offset >> 24)
            } else {
                (offset, 0)
            };
            MemberLayout {
                ty,
                bit_offset,
                bitfield_size,
            }
        })
}

/// `x` rounded up to a multiple of `to` (`x` itself for `to == 0`).
fn round_up(x: i64, to: i64) -> i64 {
    if to <= 0 {
        return x;
    }
    (x + to - 1).div_euclid(to) * to
}

impl Dumper<'_> {
    /// Alignment of a type in bytes; 0 if it has none (void, functions,
    /// forward declarations). A struct laid out off its members' natural
    /// alignment counts as packed: alignment 1.
    pub(super) fn align_of(&mut self, id: TypeId) -> u32 {
        self.align_at(id, 0)
    }

    fn align_at(&mut self, id: TypeId, depth: usize) -> u32 {
        let slot = id.0 as usize;
        if let Some(&a) = self.align_cache.get(slot) {
            if a != u32::MAX {
                return a;
            }
        }
        if depth > MAX_DEPTH {
            return 0;
        }
        let t = self.btf.ty(id);
        let align = match t.kind() {
            Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Float => self.ptr_size.min(t.size()),
            Kind::Ptr => self.ptr_size,
            Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
                self.align_at(t.type_id(), depth + 1)
            }
            Kind::Array => match t.array() {
                Some(a) => self.align_at(a.elem, depth + 1),
                None => 0,
            },
            Kind::Struct | Kind::Union => self.composite_align(&t, depth),
            _ => 0,
        };
        if let Some(a) = self.align_cache.get_mut(slot) {
            *a = align;
        }
        align
    }

    fn composite_align(&mut self, t: &Type<'_>, depth: usize) -> u32 {
        let mut max_align = 1;
        for m in member_layouts(t) {
            let align = self.align_at(m.ty, depth + 1);
            if align == 0 {
                return 0;
            }
            max_align = max_align.max(align);
            if m.bitfield_size == 0 && u64::from(m.bit_offset) % (8 * u64::from(align)) != 0 {
                return 1;
            }
        }
        if !t.size().is_multiple_of(max_align) {
            return 1;
        }
        max_align
    }

    /// Size of a type in bytes, following typedefs, modifiers and arrays;
    /// negative where libbpf's `btf__resolve_size` fails (no size, a chain
    /// over 32 types, or more than `u32::MAX` bytes).
    pub(super) fn resolve_size(&self, id: TypeId) -> i64 {
        let mut t = self.btf.ty(id);
        let mut nelems: u32 = 1;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let kind = t.kind();
            let size = if kind.has_size() {
                t.size()
            } else if kind == Kind::Ptr {
                self.ptr_size
            } else if let Some(a) = t.array() {
                if nelems != 0 && a.nelems > u32::MAX / nelems {
                    return -1;
                }
                nelems *= a.nelems;
                t = self.btf.ty(a.elem);
                continue;
            } else if kind.has_type() && !matches!(kind, Kind::Func | Kind::FuncProto) {
                // Typedefs, modifiers, type tags, VARs and DECL_TAGs.
                t = self.btf.ty(t.type_id());
                continue;
            } else {
                return -1;
            };
            if nelems != 0 && size > u32::MAX / nelems {
                return -1;
            }
            return i64::from(nelems) * i64::from(size);
        }
        -1
    }

    /// Whether a struct needs `__attribute__((packed))`: a member off its
    /// natural alignment, or a size that is not a multiple of the largest
    /// member alignment.
    pub(super) fn is_packed(&mut self, t: &Type<'_>) -> bool {
        let mut max_align = 1;
        for m in member_layouts(t) {
            let align = self.align_of(m.ty);
            if align != 0
                && m.bitfield_size == 0
                && u64::from(m.bit_offset) % (8 * u64::from(align)) != 0
            {
                return true;
            }
            max_align = max_align.max(align);
        }
        !t.size().is_multiple_of(max_align)
    }

    /// Fills the gap from bit `cur` to bit `next` with anonymous bitfields,
    /// relying on natural alignment where the compiler would pad the same
    /// way. `next_align` is the alignment (bytes) of what follows.
    pub(super) fn emit_bit_padding(
        &mut self,
        mut cur: i64,
        next: i64,
        next_align: i64,
        in_bitfield: bool,
        lvl: usize,
    ) -> Result<()> {
        if cur >= next {
            return Ok(());
        }
        let pads: [(&str, i64); 4] = [
            ("long", i64::from(self.ptr_size) * 8),
            ("int", 32),
            ("short", 16),
            ("char", 8),
        ];
        let (mut pad_type, mut pad_bits) = pads[3];
        let mut new_off = 0;
        for &(name, bits) in &pads {
            (pad_type, pad_bits) = (name, bits);
            new_off = round_up(cur, bits);
            if new_off <= next {
                break;
            }
        }
        if new_off > cur && new_off <= next {
            if in_bitfield
                || (new_off == next && round_up(cur, next_align * 8) != new_off)
                || (new_off != next && next - new_off <= new_off - cur)
            {
                let width = if in_bitfield { new_off - cur } else { 0 };
                self.emit_pad(pad_type, width, lvl)?;
            }
            cur = new_off;
        }
        while cur < next {
            let bits = (next - cur).min(pad_bits);
            if bits == pad_bits {
                // A gap of many whole padding units: millions of lines for
                // a struct padded out to gigabytes, written in a batch.
                let count = (next - cur) / pad_bits;
                self.emit_pads(pad_type, pad_bits, count as u64, lvl)?;
                cur += count * pad_bits;
                continue;
            }
            if let Some(&(name, size)) = pads.iter().rev().find(|&&(_, size)| size >= bits) {
                (pad_type, pad_bits) = (name, size);
                self.emit_pad(pad_type, bits, lvl)?;
            }
            cur += bits;
        }
        Ok(())
    }

    fn emit_pad(&mut self, ty: &str, bits: i64, lvl: usize) -> Result<()> {
        self.emit_pads(ty, bits, 1, lvl)
    }

    /// `count` padding fields of `bits` bits each, every one a step of work.
    fn emit_pads(&mut self, ty: &str, bits: i64, count: u64, lvl: usize) -> Result<()> {
        let start = self.out.len();
        self.put("\n");
        self.put_indent(lvl);
        self.put(ty);
        self.put(": ");
        self.put_i64(bits);
        self.put(";");
        let line = self.out.split_off(start);
        for _ in 0..count {
            self.step()?;
            self.out.extend_from_slice(&line);
        }
        Ok(())
    }
}
