//! A BPF assembler for tests: one method per instruction form, chained.

use corex_uapi::HelperId;

/// Instructions being written.
#[derive(Default)]
pub struct Asm {
    insns: Vec<[u8; 8]>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    /// How many instruction slots are written (a jump target's index).
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    fn raw(&mut self, code: u8, dst: u8, src: u8, off: i16, imm: i32) -> &mut Asm {
        let mut b = [0u8; 8];
        b[0] = code;
        b[1] = (src << 4) | (dst & 0xf);
        b[2..4].copy_from_slice(&off.to_ne_bytes());
        b[4..8].copy_from_slice(&imm.to_ne_bytes());
        self.insns.push(b);
        self
    }

    pub fn mov64_imm(&mut self, dst: u8, imm: i32) -> &mut Asm {
        self.raw(0xb7, dst, 0, 0, imm)
    }
    pub fn mov64_reg(&mut self, dst: u8, src: u8) -> &mut Asm {
        self.raw(0xbf, dst, src, 0, 0)
    }
    pub fn add64_imm(&mut self, dst: u8, imm: i32) -> &mut Asm {
        self.raw(0x07, dst, 0, 0, imm)
    }
    pub fn add64_reg(&mut self, dst: u8, src: u8) -> &mut Asm {
        self.raw(0x0f, dst, src, 0, 0)
    }
    pub fn and64_imm(&mut self, dst: u8, imm: i32) -> &mut Asm {
        self.raw(0x57, dst, 0, 0, imm)
    }
    pub fn lsh64_imm(&mut self, dst: u8, imm: i32) -> &mut Asm {
        self.raw(0x67, dst, 0, 0, imm)
    }
    pub fn rsh64_imm(&mut self, dst: u8, imm: i32) -> &mut Asm {
        self.raw(0x77, dst, 0, 0, imm)
    }
    /// `dst = *(u64 *)(src + off)`.
    pub fn ldx64(&mut self, dst: u8, src: u8, off: i16) -> &mut Asm {
        self.raw(0x79, dst, src, off, 0)
    }
    /// `*(u64 *)(dst + off) = src`.
    pub fn stx64(&mut self, dst: u8, off: i16, src: u8) -> &mut Asm {
        self.raw(0x7b, dst, src, off, 0)
    }
    /// `*(u32 *)(dst + off) = src`.
    pub fn stx32(&mut self, dst: u8, off: i16, src: u8) -> &mut Asm {
        self.raw(0x63, dst, src, off, 0)
    }
    /// `*(u32 *)(dst + off) = imm`.
    pub fn st32(&mut self, dst: u8, off: i16, imm: i32) -> &mut Asm {
        self.raw(0x62, dst, 0, off, imm)
    }
    /// `lock *(u64 *)(dst + off) += src`.
    pub fn atomic_add64(&mut self, dst: u8, off: i16, src: u8) -> &mut Asm {
        self.raw(0xdb, dst, src, off, 0)
    }
    /// `dst = imm64` (two slots).
    pub fn ld_imm64(&mut self, dst: u8, imm: u64) -> &mut Asm {
        self.raw(0x18, dst, 0, 0, imm as u32 as i32);
        self.raw(0, 0, 0, 0, (imm >> 32) as u32 as i32)
    }
    /// `dst = map` by fd (`BPF_PSEUDO_MAP_FD`, two slots).
    pub fn ld_map_fd(&mut self, dst: u8, fd: i32) -> &mut Asm {
        self.raw(0x18, dst, 1, 0, fd);
        self.raw(0, 0, 0, 0, 0)
    }
    pub fn call(&mut self, helper: HelperId) -> &mut Asm {
        self.raw(0x85, 0, 0, 0, helper.0 as i32)
    }
    /// `if dst != imm goto +off`.
    pub fn jne_imm(&mut self, dst: u8, imm: i32, off: i16) -> &mut Asm {
        self.raw(0x55, dst, 0, off, imm)
    }
    /// `if dst == imm goto +off`.
    pub fn jeq_imm(&mut self, dst: u8, imm: i32, off: i16) -> &mut Asm {
        self.raw(0x15, dst, 0, off, imm)
    }
    /// `if dst >= src goto +off` (unsigned).
    pub fn jge_reg(&mut self, dst: u8, src: u8, off: i16) -> &mut Asm {
        self.raw(0x3d, dst, src, off, 0)
    }
    /// `if dst >= imm goto +off` (unsigned).
    pub fn jge_imm(&mut self, dst: u8, imm: i32, off: i16) -> &mut Asm {
        self.raw(0x35, dst, 0, off, imm)
    }
    /// `goto +off`.
    pub fn ja(&mut self, off: i16) -> &mut Asm {
        self.raw(0x05, 0, 0, off, 0)
    }
    pub fn exit(&mut self) -> &mut Asm {
        self.raw(0x95, 0, 0, 0, 0)
    }

    /// Points the jump at slot `jump` to the next instruction written.
    pub fn land(&mut self, jump: usize) -> &mut Asm {
        let off = (self.insns.len() - jump - 1) as i16;
        self.insns[jump][2..4].copy_from_slice(&off.to_ne_bytes());
        self
    }

    /// `goto` slot `target` (written before).
    pub fn ja_back(&mut self, target: usize) -> &mut Asm {
        let off = target as i64 - self.insns.len() as i64 - 1;
        self.ja(off as i16)
    }

    /// Stores `text` and a NUL on the stack at `r10 + at` (at most `room`
    /// bytes, zero-padded to a multiple of 8); returns its length with the
    /// NUL. Uses r1.
    pub fn store_string(&mut self, at: i16, text: &str, room: usize) -> i32 {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        assert!(bytes.len() <= room, "{text:?} does not fit in {room} bytes");
        let len = bytes.len() as i32;
        bytes.resize(bytes.len().div_ceil(8) * 8, 0);
        for (i, word) in bytes.chunks(8).enumerate() {
            self.ld_imm64(1, u64::from_ne_bytes(word.try_into().unwrap()));
            self.stx64(10, at + 8 * i as i16, 1);
        }
        len
    }

    /// The program's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.insns.iter().flatten().copied().collect()
    }
}
