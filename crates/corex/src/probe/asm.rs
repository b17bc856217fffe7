//! The few instructions the probe programs are made of.

use corex_object::insn::{CLASS_ALU64, CLASS_JMP, CLASS_ST, OP_CALL, OP_LD_IMM64};
use corex_object::Insn;
use corex_uapi::flags::pseudo::MAP_VALUE as PSEUDO_MAP_VALUE;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        dst,
        src,
        off,
        imm,
    }
}

/// `dst = imm` (64-bit).
pub(super) fn mov_imm(dst: u8, imm: i32) -> Insn {
    insn(CLASS_ALU64 | 0xb0, dst, 0, 0, imm)
}

/// `dst = src` (64-bit).
pub(super) fn mov_reg(dst: u8, src: u8) -> Insn {
    insn(CLASS_ALU64 | 0xb0 | 0x08, dst, src, 0, 0)
}

/// `dst += imm` (64-bit).
pub(super) fn add_imm(dst: u8, imm: i32) -> Insn {
    insn(CLASS_ALU64, dst, 0, 0, imm)
}

/// `*(u64 *)(dst + off) = imm`.
pub(super) fn store_u64(dst: u8, off: i16, imm: i32) -> Insn {
    insn(CLASS_ST | 0x18 | 0x60, dst, 0, off, imm)
}

/// `call helper`.
pub(super) fn call(helper: u32) -> Insn {
    insn(OP_CALL, 0, 0, 0, helper as i32)
}

/// `exit`.
pub(super) fn exit() -> Insn {
    insn(CLASS_JMP | 0x90, 0, 0, 0, 0)
}

/// `dst = &map[0] + 0` (two slots), the map given by its fd.
pub(super) fn ld_map_value(dst: u8, map_fd: i32) -> [Insn; 2] {
    [
        insn(OP_LD_IMM64, dst, PSEUDO_MAP_VALUE, 0, map_fd),
        insn(0, 0, 0, 0, 0),
    ]
}

/// `r0 = 0; exit`: the smallest valid program.
pub(super) fn return_zero() -> Vec<Insn> {
    vec![mov_imm(0, 0), exit()]
}

/// `call helper; exit`: libbpf's helper probe.
pub(super) fn call_then_exit(helper: u32) -> Vec<Insn> {
    vec![call(helper), exit()]
}

/// The bytes the kernel takes.
pub(super) fn bytes(insns: &[Insn]) -> Vec<u8> {
    Insn::encode_all(insns, corex_btf::Endian::native())
}
