//! BPF instructions: the 8-byte encoding in either byte order, and the opcode
//! fields the loader and the CO-RE engine look at.

use corex_btf::Endian;

/// Size of one instruction in bytes.
pub const INSN_SIZE: usize = 8;

/// Instruction class `BPF_LD` (non-standard loads, `ld_imm64`).
pub const CLASS_LD: u8 = 0x00;
/// Instruction class `BPF_LDX` (load from memory into a register).
pub const CLASS_LDX: u8 = 0x01;
/// Instruction class `BPF_ST` (store an immediate).
pub const CLASS_ST: u8 = 0x02;
/// Instruction class `BPF_STX` (store a register).
pub const CLASS_STX: u8 = 0x03;
/// Instruction class `BPF_ALU` (32-bit arithmetic).
pub const CLASS_ALU: u8 = 0x04;
/// Instruction class `BPF_JMP` (64-bit jumps, calls, exit).
pub const CLASS_JMP: u8 = 0x05;
/// Instruction class `BPF_JMP32`.
pub const CLASS_JMP32: u8 = 0x06;
/// Instruction class `BPF_ALU64` (64-bit arithmetic).
pub const CLASS_ALU64: u8 = 0x07;

/// Source operand bit `BPF_X`: the source is a register, not the immediate.
pub const SRC_X: u8 = 0x08;
/// Opcode of `ld_imm64` (`BPF_LD | BPF_IMM | BPF_DW`), which spans two slots.
pub const OP_LD_IMM64: u8 = 0x18;
/// Opcode of `call` (`BPF_JMP | BPF_CALL`).
pub const OP_CALL: u8 = 0x85;
/// `src` of a `call` to another BPF function (`BPF_PSEUDO_CALL`).
pub const PSEUDO_CALL: u8 = 1;
/// `src` of a `call` to a kernel function (`BPF_PSEUDO_KFUNC_CALL`).
pub const PSEUDO_KFUNC_CALL: u8 = 2;
/// `src` of an `ld_imm64` that loads a function's address (`BPF_PSEUDO_FUNC`).
pub const PSEUDO_FUNC: u8 = 4;
/// The helper number libbpf writes into an instruction whose CO-RE
/// relocation failed (`0xbad2310`, "bad relo").
pub const POISON_HELPER: i32 = 0x0bad_2310;

/// One BPF instruction slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    /// Opcode: class, size/source, mode/operation.
    pub code: u8,
    /// Destination register (0-10).
    pub dst: u8,
    /// Source register, or a pseudo marker for `ld_imm64` and `call`.
    pub src: u8,
    /// Signed offset (memory offset or jump distance).
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// Decodes one instruction from 8 bytes in the given byte order.
    pub fn decode(b: [u8; INSN_SIZE], endian: Endian) -> Insn {
        let (dst, src) = match endian {
            Endian::Little => (b[1] & 0x0f, b[1] >> 4),
            Endian::Big => (b[1] >> 4, b[1] & 0x0f),
        };
        let (off, imm) = match endian {
            Endian::Little => (
                i16::from_le_bytes([b[2], b[3]]),
                i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            ),
            Endian::Big => (
                i16::from_be_bytes([b[2], b[3]]),
                i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ),
        };
        Insn {
            code: b[0],
            dst,
            src,
            off,
            imm,
        }
    }

    /// Encodes the instruction as 8 bytes in the given byte order.
    pub fn encode(&self, endian: Endian) -> [u8; INSN_SIZE] {
        let (regs, off, imm) = match endian {
            Endian::Little => (
                (self.dst & 0x0f) | (self.src << 4),
                self.off.to_le_bytes(),
                self.imm.to_le_bytes(),
            ),
            Endian::Big => (
                (self.dst << 4) | (self.src & 0x0f),
                self.off.to_be_bytes(),
                self.imm.to_be_bytes(),
            ),
        };
        [
            self.code, regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3],
        ]
    }

    /// Decodes a whole instruction stream. `data.len()` must be a multiple of
    /// [`INSN_SIZE`]; a trailing partial instruction is ignored (callers check).
    pub fn decode_all(data: &[u8], endian: Endian) -> Vec<Insn> {
        data.chunks_exact(INSN_SIZE)
            .map(|c| Insn::decode([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]], endian))
            .collect()
    }

    /// Encodes an instruction stream.
    pub fn encode_all(insns: &[Insn], endian: Endian) -> Vec<u8> {
        insns.iter().flat_map(|i| i.encode(endian)).collect()
    }

    /// The instruction class (`BPF_CLASS(code)`).
    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// Whether this is the first slot of an `ld_imm64`.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == OP_LD_IMM64
    }

    /// Whether this is a `call` to another BPF function of the object.
    pub fn is_pseudo_call(&self) -> bool {
        self.code == OP_CALL && self.src == PSEUDO_CALL
    }

    /// Whether this is an `ld_imm64` loading the address of a BPF function.
    pub fn is_pseudo_func(&self) -> bool {
        self.is_ld_imm64() && self.src == PSEUDO_FUNC
    }

    /// Whether this is any `call`.
    pub fn is_call(&self) -> bool {
        self.code == OP_CALL
    }

    /// Access size in bytes of a load or store (`BPF_SIZE(code)`): 1, 2, 4 or 8.
    pub fn mem_size(&self) -> u32 {
        match self.code & 0x18 {
            0x00 => 4,
            0x08 => 2,
            0x10 => 1,
            _ => 8,
        }
    }

    /// The size bits (`BPF_W`, `BPF_H`, `BPF_B`, `BPF_DW`) for an access of
    /// `bytes` bytes, if it is 1, 2, 4 or 8.
    pub fn size_bits(bytes: u32) -> Option<u8> {
        match bytes {
            4 => Some(0x00),
            2 => Some(0x08),
            1 => Some(0x10),
            8 => Some(0x18),
            _ => None,
        }
    }

    /// The instruction libbpf puts in place of one whose relocation failed:
    /// `call 0xbad2310`, which the verifier rejects only if it is reachable.
    pub fn poison() -> Insn {
        Insn {
            code: OP_CALL,
            dst: 0,
            src: 0,
            off: 0,
            imm: POISON_HELPER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_both_byte_orders() {
        let insn = Insn {
            code: 0x79,
            dst: 1,
            src: 6,
            off: -8,
            imm: 0x1234_5678,
        };
        let le = insn.encode(Endian::Little);
        assert_eq!(le, [0x79, 0x61, 0xf8, 0xff, 0x78, 0x56, 0x34, 0x12]);
        assert_eq!(Insn::decode(le, Endian::Little), insn);
        let be = insn.encode(Endian::Big);
        assert_eq!(be, [0x79, 0x16, 0xff, 0xf8, 0x12, 0x34, 0x56, 0x78]);
        assert_eq!(Insn::decode(be, Endian::Big), insn);
    }

    #[test]
    fn opcode_fields() {
        let ldx_w = Insn {
            code: 0x61,
            ..Insn::default()
        };
        assert_eq!(ldx_w.class(), CLASS_LDX);
        assert_eq!(ldx_w.mem_size(), 4);
        assert_eq!(Insn::size_bits(2), Some(0x08));
        assert_eq!(Insn::size_bits(3), None);
        let call = Insn {
            code: OP_CALL,
            src: PSEUDO_CALL,
            imm: -1,
            ..Insn::default()
        };
        assert!(call.is_pseudo_call());
        assert_eq!(Insn::poison().imm, 195_896_080);
    }
}
