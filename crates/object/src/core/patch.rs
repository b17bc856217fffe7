//! Applying a [`Fixup`] to an instruction, as libbpf's `bpf_core_patch_insn`:
//! ALU immediates, load/store offsets (and memory size), `ld_imm64` values,
//! or poisoning.

use super::calc::Fixup;
use crate::error::Error;
use crate::insn::{Insn, CLASS_ALU, CLASS_ALU64, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, SRC_X};

/// What was done to the instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patched {
    /// `imm` of an ALU/ALU64 instruction changed.
    Alu {
        /// Previous immediate (sign-extended, as libbpf prints it).
        old: u64,
        /// New value.
        new: u64,
    },
    /// `off` of a load or store changed, and maybe its size.
    Mem {
        /// Previous offset (sign-extended).
        old: u64,
        /// New offset.
        new: u64,
        /// `(old, new)` access size in bytes when it changed.
        size: Option<(u32, u32)>,
    },
    /// The 64-bit value of an `ld_imm64` changed.
    LdImm64 {
        /// Previous value.
        old: u64,
        /// New value.
        new: u64,
    },
    /// The instruction (both slots of an `ld_imm64`) became `call 0xbad2310`.
    Poisoned {
        /// Why, in plain words (names escaped: safe to print).
        reason: String,
    },
}

impl Patched {
    /// libbpf's `(ALU/ALU64) imm`, `(LDX/ST/STX) off`, `(LDIMM64) imm64`.
    pub fn describe(&self) -> &'static str {
        match self {
            Patched::Alu { .. } => "imm",
            Patched::Mem { .. } => "off",
            Patched::LdImm64 { .. } => "imm64",
            Patched::Poisoned { .. } => "poison",
        }
    }
}

fn poison(insns: &mut [Insn], idx: usize) {
    if insns[idx].is_ld_imm64() {
        if let Some(next) = insns.get_mut(idx + 1) {
            *next = Insn::poison();
        }
    }
    insns[idx] = Insn::poison();
}

/// Patches instruction `idx` of `insns` (a program's instructions).
pub fn apply(fx: &Fixup, insns: &mut [Insn], idx: usize) -> Result<Patched, Error> {
    let Some(&insn) = insns.get(idx) else {
        return Err(Error::Patch {
            insn: idx,
            code: 0,
            why: format!("the program has only {} instructions", insns.len()),
        });
    };
    let bad = |why: String| Error::Patch {
        insn: idx,
        code: insn.code,
        why,
    };
    let invalid = |held: i64| Error::Validation {
        insn: idx,
        held,
        what: fx.kind.value_phrase(),
        expected: fx.orig,
    };
    if fx.poison {
        poison(insns, idx);
        let reason = fx
            .reason
            .clone()
            .unwrap_or_else(|| "no matching type on this kernel".into());
        return Ok(Patched::Poisoned { reason });
    }
    match insn.class() {
        CLASS_ALU | CLASS_ALU64 => {
            if insn.code & SRC_X != 0 {
                return Err(bad(
                    "an ALU instruction with a register source has no immediate to patch".into(),
                ));
            }
            let old = i64::from(insn.imm) as u64;
            if fx.validate && old != fx.orig {
                return Err(invalid(i64::from(insn.imm)));
            }
            insns[idx].imm = fx.new as i32;
            Ok(Patched::Alu { old, new: fx.new })
        }
        CLASS_LDX | CLASS_ST | CLASS_STX => {
            let old = i64::from(insn.off) as u64;
            if fx.validate && old != fx.orig {
                return Err(invalid(i64::from(insn.off)));
            }
            if fx.new > i16::MAX as u64 {
                return Err(bad(format!(
                    "offset {} does not fit a load/store's 16-bit offset (at most 32767)",
                    fx.new
                )));
            }
            if let Some(why) = &fx.resize_forbidden {
                poison(insns, idx);
                return Ok(Patched::Poisoned {
                    reason: format!(
                        "instruction #{idx} accesses the field with the wrong size: {why}"
                    ),
                });
            }
            insns[idx].off = fx.new as i16;
            let mut size = None;
            if fx.new_size != fx.orig_size {
                let held = insn.mem_size();
                if held != fx.orig_size {
                    return Err(bad(format!(
                        "it accesses {held} bytes, but the local field is {} bytes",
                        fx.orig_size
                    )));
                }
                let bits = Insn::size_bits(fx.new_size)
                    .ok_or_else(|| bad(format!("the field is {} bytes on this kernel, which no single load or store can access", fx.new_size)))?;
                insns[idx].code = (insn.code & 0xe0) | bits | insn.class();
                size = Some((fx.orig_size, fx.new_size));
            }
            Ok(Patched::Mem {
                old,
                new: fx.new,
                size,
            })
        }
        CLASS_LD => {
            let next = insns.get(idx + 1).copied();
            let well_formed = insn.is_ld_imm64()
                && insn.src == 0
                && insn.off == 0
                && next.is_some_and(|n| n.code == 0 && n.dst == 0 && n.src == 0 && n.off == 0);
            let Some(next) = next.filter(|_| well_formed) else {
                return Err(bad("an ld_imm64 with a pseudo source, an offset or a malformed second slot (or a legacy packet load)".into()));
            };
            let old = u64::from(insn.imm as u32) | (u64::from(next.imm as u32) << 32);
            if fx.validate && old != fx.orig {
                return Err(invalid(old as i64));
            }
            insns[idx].imm = fx.new as u32 as i32;
            insns[idx + 1].imm = (fx.new >> 32) as u32 as i32;
            Ok(Patched::LdImm64 { old, new: fx.new })
        }
        _ => Err(bad(
            "only ALU immediates, loads/stores and ld_imm64 can be relocated".into(),
        )),
    }
}
