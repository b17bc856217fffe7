//! Every patch form of `apply`: ALU immediates, load/store offsets with and
//! without a memory size change, `ld_imm64`, poisoning, validation failures
//! and instructions that cannot be patched.

use corex_object::core::{apply, Fixup, Patched, RelocKind};
use corex_object::insn::{Insn, POISON_HELPER};

fn fx(kind: RelocKind, orig: u64, new: u64) -> Fixup {
    Fixup {
        kind,
        orig,
        new,
        poison: false,
        validate: true,
        orig_size: 0,
        new_size: 0,
        resize_forbidden: None,
        reason: None,
    }
}

fn insn(code: u8, off: i16, imm: i32) -> Insn {
    Insn {
        code,
        dst: 1,
        src: 2,
        off,
        imm,
    }
}

const MOV64_IMM: u8 = 0xb7;
const ADD64_REG: u8 = 0x0f;
const LDX_W: u8 = 0x61;
const LDX_DW: u8 = 0x79;
const ST_W: u8 = 0x62;
const STX_DW: u8 = 0x7b;
const JA: u8 = 0x05;

#[test]
fn alu_immediate() {
    let mut insns = vec![insn(MOV64_IMM, 0, 4)];
    let p = apply(&fx(RelocKind::FieldByteOffset, 4, 12), &mut insns, 0).unwrap();
    assert_eq!(p, Patched::Alu { old: 4, new: 12 });
    assert_eq!(insns[0].imm, 12);
    // A negative immediate is compared sign-extended, as libbpf does.
    let mut insns = vec![insn(MOV64_IMM, 0, -1)];
    let p = apply(&fx(RelocKind::EnumvalValue, u64::MAX, 3), &mut insns, 0).unwrap();
    assert_eq!(
        p,
        Patched::Alu {
            old: u64::MAX,
            new: 3
        }
    );
}

#[test]
fn load_store_offsets_and_memory_size() {
    for code in [LDX_W, ST_W] {
        let mut insns = vec![insn(code, 4, 7)];
        let p = apply(&fx(RelocKind::FieldByteOffset, 4, 24), &mut insns, 0).unwrap();
        assert_eq!(
            p,
            Patched::Mem {
                old: 4,
                new: 24,
                size: None
            }
        );
        assert_eq!((insns[0].off, insns[0].imm, insns[0].code), (24, 7, code));
    }
    // An unsigned 4-byte field that is 2 bytes on the target: LDX_W becomes LDX_H.
    let mut f = fx(RelocKind::FieldByteOffset, 4, 8);
    (f.orig_size, f.new_size) = (4, 2);
    let mut insns = vec![insn(LDX_W, 4, 0)];
    assert_eq!(
        apply(&f, &mut insns, 0).unwrap(),
        Patched::Mem {
            old: 4,
            new: 8,
            size: Some((4, 2))
        }
    );
    assert_eq!(insns[0].code, 0x69);
    // The instruction must access the local size.
    let mut insns = vec![insn(LDX_DW, 4, 0)];
    let e = apply(&f, &mut insns, 0).unwrap_err();
    assert_eq!(e.to_string(), "instruction #0 (opcode 0x79) cannot be patched: it accesses 8 bytes, but the local field is 4 bytes");
    // A new size no load has.
    (f.orig_size, f.new_size) = (4, 3);
    let e = apply(&f, &mut [insn(LDX_W, 4, 0)], 0).unwrap_err();
    assert!(
        e.to_string()
            .contains("the field is 3 bytes on this kernel"),
        "{e}"
    );
    // A signed field that changes size is poisoned instead.
    (f.orig_size, f.new_size) = (4, 8);
    f.resize_forbidden =
        Some("the field is 4 bytes locally (int int) but 8 bytes on this kernel (int long)".into());
    let mut insns = vec![insn(STX_DW, 4, 0)];
    let p = apply(&f, &mut insns, 0).unwrap();
    assert!(
        matches!(&p, Patched::Poisoned { reason } if reason.starts_with("instruction #0 accesses the field with the wrong size")),
        "{p:?}"
    );
    assert_eq!(insns[0], Insn::poison());
    // Offsets past 32767 do not fit.
    let e = apply(
        &fx(RelocKind::FieldByteOffset, 4, 40000),
        &mut [insn(LDX_W, 4, 0)],
        0,
    )
    .unwrap_err();
    assert!(e.to_string().contains("offset 40000 does not fit"), "{e}");
}

#[test]
fn ld_imm64_values() {
    let mut insns = vec![
        Insn {
            code: 0x18,
            dst: 1,
            src: 0,
            off: 0,
            imm: 5,
        },
        Insn::default(),
    ];
    let p = apply(
        &fx(RelocKind::TypeIdTarget, 5, 0x1_0000_0007),
        &mut insns,
        0,
    )
    .unwrap();
    assert_eq!(
        p,
        Patched::LdImm64 {
            old: 5,
            new: 0x1_0000_0007
        }
    );
    assert_eq!((insns[0].imm, insns[1].imm), (7, 1));
    // A pseudo ld_imm64 (a map load) is not a CO-RE value.
    let mut insns = vec![
        Insn {
            code: 0x18,
            dst: 1,
            src: 1,
            off: 0,
            imm: 5,
        },
        Insn::default(),
    ];
    assert!(apply(&fx(RelocKind::TypeIdTarget, 5, 6), &mut insns, 0).is_err());
    // Nor is one missing its second slot.
    let mut insns = vec![Insn {
        code: 0x18,
        dst: 1,
        src: 0,
        off: 0,
        imm: 5,
    }];
    assert!(apply(&fx(RelocKind::TypeIdTarget, 5, 6), &mut insns, 0).is_err());
}

#[test]
fn poisoning_replaces_both_ld_imm64_slots() {
    let mut f = fx(RelocKind::EnumvalValue, 5, 0);
    f.poison = true;
    f.reason = Some("enumerator 'B' does not exist in enum e on this kernel".into());
    let mut insns = vec![
        Insn {
            code: 0x18,
            dst: 1,
            src: 0,
            off: 0,
            imm: 5,
        },
        Insn::default(),
        insn(JA, 0, 0),
    ];
    let p = apply(&f, &mut insns, 0).unwrap();
    assert_eq!(
        p,
        Patched::Poisoned {
            reason: "enumerator 'B' does not exist in enum e on this kernel".into()
        }
    );
    assert_eq!(insns[0], Insn::poison());
    assert_eq!(insns[1], Insn::poison());
    assert_eq!(insns[0].imm, POISON_HELPER);
    assert_eq!(insns[2], insn(JA, 0, 0));
}

#[test]
fn validation_failures_name_the_instruction_and_the_value() {
    let mut insns = vec![insn(MOV64_IMM, 0, 0); 13];
    insns[12] = insn(LDX_DW, 16, 0);
    let e = apply(&fx(RelocKind::FieldByteOffset, 8, 24), &mut insns, 12).unwrap_err();
    assert_eq!(
        e.to_string(),
        "instruction #12 holds 16, but the local BTF says the field is at offset 8"
    );
    let e = apply(
        &fx(RelocKind::TypeSize, 8, 24),
        &mut [insn(MOV64_IMM, 0, 4)],
        0,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "instruction #0 holds 4, but the local BTF says the type's size is 8"
    );
    // Without validation (bitfields, type ids), anything is overwritten.
    let mut f = fx(RelocKind::FieldByteSize, 8, 4);
    f.validate = false;
    let mut insns = vec![insn(MOV64_IMM, 0, 2)];
    assert_eq!(
        apply(&f, &mut insns, 0).unwrap(),
        Patched::Alu { old: 2, new: 4 }
    );
}

#[test]
fn instructions_that_cannot_hold_a_value() {
    let f = fx(RelocKind::FieldByteOffset, 0, 8);
    let e = apply(&f, &mut [insn(ADD64_REG, 0, 0)], 0).unwrap_err();
    assert!(e.to_string().contains("register source"), "{e}");
    let e = apply(&f, &mut [insn(JA, 0, 0)], 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "instruction #0 (opcode 0x05) cannot be patched: only ALU immediates, loads/stores and ld_imm64 can be relocated"
    );
    let e = apply(&f, &mut [], 3).unwrap_err();
    assert!(e.to_string().contains("has only 0 instructions"), "{e}");
}
