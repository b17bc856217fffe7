//! Instruction patterns other compilers produce: clang 14 objects of the
//! CO-RE corpus, rewritten byte by byte into equivalent forms (other
//! registers, 32-bit ALU, ST with an immediate instead of STX, relocated
//! instructions moved by `ja +0` no-ops inserted before them), must be
//! relocated with the same decisions, and the same values must land in the
//! rewritten instructions. GCC 12's real objects are in the libbpf
//! differential test (`bpf/core-tests/gcc/`).

use corex_btf::Btf;
use corex_object::core::{Outcome, Patched, RelocResult, Target};
use corex_object::insn::{CLASS_ALU, CLASS_ALU64, CLASS_LD, CLASS_ST, CLASS_STX, SRC_X};
use corex_object::{Insn, Object};
use std::collections::BTreeMap;

const INSN: usize = 8;
/// `ja +0`: a no-op another compiler could leave before any instruction.
const JA_0: [u8; INSN] = [0x05, 0, 0, 0, 0, 0, 0, 0];
/// No-ops inserted at the start of a program.
const SHIFT: usize = 3;
const MODE_MEM: u8 = 0x60;

fn corpus(name: &str) -> std::path::PathBuf {
    corex_testkit::repo_root().join("bpf/core-tests").join(name)
}

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn target_btf(path: &std::path::Path) -> Btf {
    corex_btf::load(&read(path), None)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .btf
}

// --- ELF64 little-endian byte access -------------------------------------

fn u16_at(b: &[u8], o: usize) -> usize {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap()).into()
}
fn u32_at(b: &[u8], o: usize) -> usize {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize
}
fn u64_at(b: &[u8], o: usize) -> usize {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize
}
fn put_u32(b: &mut [u8], o: usize, v: usize) {
    b[o..o + 4].copy_from_slice(&u32::try_from(v).unwrap().to_le_bytes());
}
fn put_u64(b: &mut [u8], o: usize, v: usize) {
    b[o..o + 8].copy_from_slice(&(v as u64).to_le_bytes());
}

/// One section header: where it sits in the file and what it says.
struct Shdr {
    at: usize,
    name: String,
    kind: usize,
    offset: usize,
    size: usize,
    info: usize,
}

fn sections(elf: &[u8]) -> Vec<Shdr> {
    assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "a 64-bit little-endian ELF");
    let (shoff, shentsize, shnum) = (u64_at(elf, 0x28), u16_at(elf, 0x3a), u16_at(elf, 0x3c));
    let raw: Vec<_> = (0..shnum).map(|i| shoff + i * shentsize).collect();
    let strtab = u64_at(elf, raw[u16_at(elf, 0x3e)] + 24);
    raw.into_iter()
        .map(|at| {
            let name = &elf[strtab + u32_at(elf, at)..];
            Shdr {
                at,
                name: String::from_utf8_lossy(&name[..name.iter().position(|&c| c == 0).unwrap()])
                    .into_owned(),
                kind: u32_at(elf, at + 4),
                offset: u64_at(elf, at + 24),
                size: u64_at(elf, at + 32),
                info: u32_at(elf, at + 44),
            }
        })
        .collect()
}

fn section<'a>(secs: &'a [Shdr], name: &str) -> &'a Shdr {
    secs.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no section {name}"))
}

// --- rewrites -----------------------------------------------------------

/// An instruction rewrite that keeps what the CO-RE engine relocates.
type Rewrite = fn(Insn) -> Insn;

/// Other registers: r0..r9 -> r3..r9, r0..r2; the frame pointer stays.
fn other_registers(mut i: Insn) -> Insn {
    let other = |r: u8| if r == 10 { r } else { (r + 3) % 10 };
    i.dst = other(i.dst);
    if i.class() != CLASS_LD {
        i.src = other(i.src);
    }
    i
}

/// ALU64 with an immediate becomes its 32-bit ALU form.
fn alu32(mut i: Insn) -> Insn {
    if i.class() == CLASS_ALU64 && i.code & SRC_X == 0 {
        i.code = (i.code & !0x07) | CLASS_ALU;
    }
    i
}

/// A register store becomes a store of an immediate.
fn store_immediate(mut i: Insn) -> Insn {
    if i.class() == CLASS_STX && i.code & 0xe0 == MODE_MEM {
        i.code = (i.code & !0x07) | CLASS_ST;
        i.src = 0;
        i.imm = 0x55;
    }
    i
}

/// Where each CO-RE record's instruction sits: (file offset, program-relative index).
fn record_insns(obj: &Object, elf: &[u8]) -> Vec<usize> {
    let secs = sections(elf);
    obj.core_relos
        .iter()
        .map(|r| {
            let p = &obj.programs[r.program.expect("a record outside any program")];
            secs[p.section_index].offset + (p.section_insn + r.insn) * INSN
        })
        .collect()
}

/// Applies `rewrite` to every relocated instruction, in place; returns how
/// many changed.
fn rewrite_relocated(elf: &mut [u8], obj: &Object, rewrite: Rewrite) -> usize {
    let mut changed = 0;
    let mut offsets = record_insns(obj, elf);
    offsets.dedup();
    for at in offsets {
        let old = Insn::decode(elf[at..at + INSN].try_into().unwrap(), obj.endian);
        let new = rewrite(old);
        changed += usize::from(new != old);
        elf[at..at + INSN].copy_from_slice(&new.encode(obj.endian));
    }
    changed
}

/// Inserts `SHIFT` `ja +0` at the start of the last program of `sec`: the
/// section's new contents go to the end of the file, and the program's
/// symbol, the section's ELF relocations and its `.BTF.ext` records follow.
fn insert_noops(elf: &mut Vec<u8>, sec_name: &str, start: usize) {
    let grow = SHIFT * INSN;
    let secs = sections(elf);
    let idx = secs.iter().position(|s| s.name == sec_name).unwrap();
    let sec = &secs[idx];
    let mut data = elf[sec.offset..sec.offset + sec.size].to_vec();
    data.splice(start..start, JA_0.repeat(SHIFT));
    while !elf.len().is_multiple_of(8) {
        elf.push(0);
    }
    let end = elf.len();
    put_u64(elf, sec.at + 24, end);
    put_u64(elf, sec.at + 32, data.len());
    elf.extend_from_slice(&data);

    let symtab = section(&secs, ".symtab");
    for sym in (symtab.offset..symtab.offset + symtab.size).step_by(24) {
        if u16_at(elf, sym + 6) != idx {
            continue;
        }
        let value = u64_at(elf, sym + 8);
        if value > start {
            put_u64(elf, sym + 8, value + grow);
        } else if value == start && elf[sym + 4] & 0x0f == 2 {
            let size = u64_at(elf, sym + 16);
            put_u64(elf, sym + 16, size + grow); // STT_FUNC
        }
    }
    for rel in secs.iter().filter(|s| s.kind == 9 && s.info == idx) {
        for r in (rel.offset..rel.offset + rel.size).step_by(16) {
            let offset = u64_at(elf, r);
            if offset >= start {
                put_u64(elf, r, offset + grow);
            }
        }
    }

    // .BTF.ext: func_info, line_info, core_relo; each record starts with its
    // byte offset in the section. The program's own first func and line
    // records stay on its first instruction (now the first no-op).
    let btf = section(&secs, ".BTF");
    let strings = btf.offset + u32_at(elf, btf.offset + 4) + u32_at(elf, btf.offset + 16);
    let ext = section(&secs, ".BTF.ext").offset;
    let body = ext + u32_at(elf, ext + 4);
    for (sub, at_start_too) in [(8, false), (16, false), (24, true)] {
        let (off, len) = (u32_at(elf, ext + sub), u32_at(elf, ext + sub + 4));
        if len == 0 {
            continue;
        }
        let rec_size = u32_at(elf, body + off);
        let mut p = body + off + 4;
        while p < body + off + len {
            let name = &elf[strings + u32_at(elf, p)..];
            let ours = name.starts_with(sec_name.as_bytes()) && name[sec_name.len()] == 0;
            let n = u32_at(elf, p + 4);
            for r in (0..n).map(|k| p + 8 + k * rec_size) {
                let insn_off = u32_at(elf, r);
                if ours && (insn_off > start || (at_start_too && insn_off == start)) {
                    put_u32(elf, r, insn_off + grow);
                }
            }
            p += 8 + n * rec_size;
        }
    }
}

/// Moves every section's last program (with CO-RE records) by `SHIFT`
/// instructions; returns those programs' names.
fn shift_last_programs(elf: &mut Vec<u8>, obj: &Object) -> Vec<String> {
    let mut last: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, p) in obj.programs.iter().enumerate() {
        let e = last.entry(p.section_index).or_insert(i);
        if obj.programs[*e].section_insn < p.section_insn {
            *e = i;
        }
    }
    let mut moved = Vec::new();
    for &i in last.values() {
        let p = &obj.programs[i];
        if !obj.core_relos.iter().any(|r| r.program == Some(i)) {
            continue;
        }
        insert_noops(elf, &p.section, p.section_insn * INSN);
        moved.push(p.name.clone());
    }
    moved
}

// --- comparison ---------------------------------------------------------

/// The relocated instructions of every result, after relocation.
fn patched(obj: &Object, relocated: &[Vec<Insn>], results: &[RelocResult]) -> Vec<Insn> {
    results
        .iter()
        .map(|r| {
            let p = obj
                .programs
                .iter()
                .position(|p| p.name == r.program)
                .unwrap();
            relocated[p][r.insn]
        })
        .collect()
}

/// Relocates the original and the rewritten object against `target` and
/// checks that every decision and every patched value is the same.
fn check_same(
    name: &str,
    original: &[u8],
    rewritten: &[u8],
    target: &Btf,
    rewrite: Rewrite,
    moved: &[String],
) {
    let a = Object::parse(original).unwrap();
    let b = Object::parse(rewritten).unwrap_or_else(|e| panic!("{name}: rewritten: {e}"));
    let (ra, fa) = a.relocate_core_insns(&Target::new(target));
    let (rb, fb) = b.relocate_core_insns(&Target::new(target));
    let (ra, rb) = (ra.results, rb.results);
    assert_eq!(ra.len(), rb.len(), "{name}: number of relocations");
    let (ia, ib) = (patched(&a, &fa, &ra), patched(&b, &fb, &rb));
    let mut changed_values = 0;
    for (k, (x, y)) in ra.iter().zip(&rb).enumerate() {
        let what = format!(
            "{name}: {} relo #{} <{}> {}",
            x.program, x.index, x.kind, x.local
        );
        let shift = if moved.contains(&x.program) { SHIFT } else { 0 };
        assert_eq!(
            (
                &x.program,
                &x.section,
                x.index,
                x.insn + shift,
                x.kind,
                &x.local,
                &x.target,
                x.candidate
            ),
            (
                &y.program,
                &y.section,
                y.index,
                y.insn,
                y.kind,
                &y.local,
                &y.target,
                y.candidate
            ),
            "{what}"
        );
        match (&x.outcome, &y.outcome) {
            (
                Outcome::Applied(Patched::Poisoned { .. }),
                Outcome::Applied(Patched::Poisoned { .. }),
            ) => {
                assert_eq!(ib[k], Insn::poison(), "{what}")
            }
            (Outcome::Applied(p), Outcome::Applied(q)) => {
                assert_eq!(p, q, "{what}");
                assert_eq!(ib[k], rewrite(ia[k]), "{what}: the rewritten instruction");
                changed_values += usize::from(!matches!(
                    p,
                    Patched::Alu { old, new } | Patched::Mem { old, new, .. } | Patched::LdImm64 { old, new }
                        if old == new
                ));
            }
            (Outcome::Failed(_), Outcome::Failed(_)) => {}
            (p, q) => panic!("{what}: {p:?} became {q:?}"),
        }
    }
    assert!(changed_values > 0, "{name}: no relocation changed a value");
}

/// The corpus objects, each with a target under which its values change.
fn cases() -> Vec<(&'static str, Btf)> {
    let kernel = || target_btf(&corex_testkit::kernel_file("debian-6.12", "vmlinux.btf"));
    vec![
        ("task.bpf.o", kernel()),
        ("types_enums.bpf.o", kernel()),
        ("fields.bpf.o", target_btf(&corpus("target_types.o"))),
    ]
}

fn check_rewrite(rewrite: Rewrite, what: &str) {
    let mut total = 0;
    for (name, target) in cases() {
        let original = read(&corpus(name));
        let obj = Object::parse(&original).unwrap();
        let mut elf = original.clone();
        total += rewrite_relocated(&mut elf, &obj, rewrite);
        check_same(
            &format!("{name} ({what})"),
            &original,
            &elf,
            &target,
            rewrite,
            &[],
        );
    }
    assert!(total > 0, "{what}: no instruction was rewritten");
}

#[test]
fn other_registers_get_the_same_values() {
    check_rewrite(other_registers, "other registers");
}

#[test]
fn alu32_immediates_get_the_same_values() {
    check_rewrite(alu32, "32-bit ALU");
}

#[test]
fn stores_of_immediates_get_the_same_offsets() {
    check_rewrite(store_immediate, "ST instead of STX");
}

#[test]
fn moved_instructions_get_the_same_values() {
    for (name, target) in cases() {
        let original = read(&corpus(name));
        let obj = Object::parse(&original).unwrap();
        let mut elf = original.clone();
        let moved = shift_last_programs(&mut elf, &obj);
        assert!(!moved.is_empty(), "{name}: no program moved");
        check_same(
            &format!("{name} (moved)"),
            &original,
            &elf,
            &target,
            |i| i,
            &moved,
        );
        // The no-ops are really there, in front of each moved program.
        let b = Object::parse(&elf).unwrap();
        for p in &moved {
            let insns = &b.program(p).unwrap().insns();
            assert!(
                insns[..SHIFT].iter().all(|i| i.encode(b.endian) == JA_0),
                "{name}: {p}"
            );
        }
    }
}
