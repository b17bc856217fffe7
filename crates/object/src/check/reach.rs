//! Which instructions of a relocated program the verifier can reach: a
//! constant-propagation pass over the program and the BPF-to-BPF calls it
//! makes.
//!
//! libbpf patches a `bpf_core_field_exists()` (or `type_exists`,
//! `enumval_exists`) check to a constant; the verifier follows only the side
//! of a branch whose condition it can decide, so the poisoned load behind
//! `if (bpf_core_field_exists(...))` is never visited and the program loads.
//! This pass reaches the same conclusion: registers and 8-byte stack spills
//! hold constants where every path agrees, conditional jumps on two constants
//! take one side, `call 0xbad2310` ends a path (the verifier rejects it
//! there), static subprograms are analysed per distinct set of constant
//! arguments and give back their constant return value, global subprograms
//! (verified on their own by the kernel) with unknown arguments.
//!
//! Values merge where paths join (a constant survives only where all paths
//! agree), so the pass may call reachable what the path-sensitive verifier
//! prunes for other reasons, never the reverse for relocation guards.
//!
//! Along the way it records what the kernel checks on the reached paths: the
//! helpers called, the context words read, and the instructions that use a
//! pointer loaded from the context (a traced function's argument).

use std::collections::{HashMap, HashSet};

use crate::insn::{
    Insn, CLASS_ALU, CLASS_ALU64, CLASS_JMP, CLASS_JMP32, CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX,
    POISON_HELPER, SRC_X,
};
use crate::object::Object;

/// Deepest chain of BPF-to-BPF calls followed (the kernel allows 8 frames).
const MAX_CALL_DEPTH: usize = 8;
/// Frame pointer register.
const R10: usize = 10;
/// No instruction set the register to a constant.
const NO_ORIGIN: u32 = u32::MAX;

/// An abstract register or stack value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Val {
    /// Anything.
    Unknown,
    /// A known 64-bit value.
    Const(u64),
    /// The program's context pointer (`r1` at entry).
    Ctx,
    /// The 8-byte word at `ctx + 8 * n`: argument `n` of a traced function.
    CtxArg(u16),
    /// The frame pointer plus an offset.
    Frame(i32),
}

impl Val {
    fn meet(self, other: Val) -> Val {
        if self == other {
            self
        } else {
            Val::Unknown
        }
    }
}

/// Registers and spilled stack slots at one instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    regs: [Val; 11],
    /// The `mov`/`ld_imm64` of a constant that last set each register (the
    /// instruction a CO-RE relocation patches), `NO_ORIGIN` otherwise.
    origin: [u32; 11],
    /// 8-byte stack slots holding a known value, by frame offset, sorted.
    stack: Vec<(i32, Val)>,
}

impl State {
    fn entry(args: [Val; 5]) -> State {
        let mut regs = [Val::Unknown; 11];
        regs[1..6].copy_from_slice(&args);
        regs[R10] = Val::Frame(0);
        State {
            regs,
            origin: [NO_ORIGIN; 11],
            stack: Vec::new(),
        }
    }

    /// Meets `other` into `self`; whether anything changed.
    fn meet_from(&mut self, other: &State) -> bool {
        let mut changed = false;
        for (r, o) in self.regs.iter_mut().zip(other.regs.iter()) {
            let m = r.meet(*o);
            changed |= m != *r;
            *r = m;
        }
        for (r, o) in self.origin.iter_mut().zip(other.origin.iter()) {
            if r != o {
                changed |= *r != NO_ORIGIN;
                *r = NO_ORIGIN;
            }
        }
        let before = self.stack.len();
        self.stack.retain(|slot| other.stack.contains(slot));
        changed || self.stack.len() != before
    }

    fn slot(&self, off: i32) -> Val {
        self.stack
            .iter()
            .find(|(o, _)| *o == off)
            .map_or(Val::Unknown, |(_, v)| *v)
    }

    /// Records a store of `size` bytes at frame offset `off`.
    fn store(&mut self, off: i32, size: i32, val: Val) {
        self.stack
            .retain(|(o, _)| o.saturating_add(8) <= off || off.saturating_add(size) <= *o);
        if size == 8 && val != Val::Unknown {
            let at = self.stack.partition_point(|(o, _)| *o < off);
            self.stack.insert(at, (off, val));
        }
    }

    fn clobber_caller_saved(&mut self) {
        for r in &mut self.regs[0..6] {
            *r = Val::Unknown;
        }
        self.origin[0..6].fill(NO_ORIGIN);
    }
}

/// A helper call on a reachable path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HelperCall {
    /// The program (index into [`Object::programs`]) making the call.
    pub program: usize,
    /// The calling instruction, relative to that program.
    pub insn: usize,
    /// The helper's number (`BPF_FUNC_*`).
    pub helper: u32,
}

/// A read of the context on a reachable path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CtxRead {
    /// The program (index into [`Object::programs`]).
    pub program: usize,
    /// The load instruction, relative to that program.
    pub insn: usize,
    /// Byte offset into the context.
    pub offset: i32,
    /// Bytes read.
    pub size: u32,
}

/// An instruction that uses argument `arg` of a traced function (a pointer
/// the program loaded from its context) as the base of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgUse {
    /// The program (index into [`Object::programs`]).
    pub program: usize,
    /// The instruction, relative to that program.
    pub insn: usize,
    /// The argument's position (context word `arg`).
    pub arg: u16,
}

/// What the pass found for one entry program.
#[derive(Debug, Default)]
pub struct Reach {
    reached: HashMap<usize, Vec<bool>>,
    /// Helper calls on reachable paths, in the order first met.
    pub helpers: Vec<HelperCall>,
    /// Context reads on reachable paths.
    pub ctx_reads: Vec<CtxRead>,
    /// Uses of traced-function arguments as pointers.
    pub arg_uses: Vec<ArgUse>,
}

impl Reach {
    /// Whether instruction `insn` of program `program` is reachable.
    pub fn is_reachable(&self, program: usize, insn: usize) -> bool {
        self.reached
            .get(&program)
            .and_then(|r| r.get(insn))
            .copied()
            .unwrap_or(false)
    }
}

/// Runs the pass over program `entry` of `obj`, following its calls.
/// `relocated[p]` holds function `p`'s instructions after CO-RE where CO-RE
/// patched it (`None`: as parsed).
pub fn analyze(obj: &Object, relocated: &[Option<Vec<Insn>>], entry: usize) -> Reach {
    let mut a = Analyzer {
        obj,
        relocated,
        calls: HashMap::new(),
        memo: HashMap::new(),
        active: HashSet::new(),
        reach: Reach::default(),
        seen_helpers: HashSet::new(),
        seen_reads: HashSet::new(),
        seen_args: HashSet::new(),
    };
    let args = [
        Val::Ctx,
        Val::Unknown,
        Val::Unknown,
        Val::Unknown,
        Val::Unknown,
    ];
    a.function(entry, 0, args, 0);
    a.reach
}

struct Analyzer<'o> {
    obj: &'o Object,
    /// Functions after CO-RE, where it patched them.
    relocated: &'o [Option<Vec<Insn>>],
    /// Calls of each program: calling instruction -> (callee, start insn).
    calls: HashMap<usize, HashMap<usize, Option<(usize, usize)>>>,
    /// Return value per analysed (callee, start, arguments).
    memo: HashMap<(usize, usize, [Val; 5]), Val>,
    /// Analyses in progress (a call cycle ends there).
    active: HashSet<(usize, usize, [Val; 5])>,
    reach: Reach,
    seen_helpers: HashSet<HelperCall>,
    seen_reads: HashSet<CtxRead>,
    seen_args: HashSet<ArgUse>,
}

/// Where control goes after one instruction.
enum Flow {
    /// To these instructions, with these states.
    To(Vec<(usize, State)>),
    /// Nowhere (exit, poison, invalid).
    End,
}

impl<'o> Analyzer<'o> {
    /// Function `p`'s instructions after CO-RE.
    fn insns(&self, p: usize) -> &'o [Insn] {
        match self.relocated.get(p) {
            Some(Some(patched)) => patched,
            _ => self.obj.programs[p].insns(),
        }
    }

    fn callee_of(&mut self, program: usize, insn: usize) -> Option<(usize, usize)> {
        let obj = self.obj;
        let calls = self.calls.entry(program).or_insert_with(|| {
            obj.calls(program)
                .into_iter()
                .map(|c| {
                    let target = c.callee.map(|p| {
                        let start = c.section_insn.saturating_sub(obj.programs[p].section_insn);
                        (p, start)
                    });
                    (c.insn, target)
                })
                .collect()
        });
        calls.get(&insn).copied().flatten()
    }

    /// Analyses program `p` from instruction `start`; the meet of the values
    /// it returns.
    fn function(&mut self, p: usize, start: usize, args: [Val; 5], depth: usize) -> Val {
        let key = (p, start, args);
        if let Some(&ret) = self.memo.get(&key) {
            return ret;
        }
        if depth >= MAX_CALL_DEPTH || !self.active.insert(key) {
            return Val::Unknown;
        }
        let insns = self.insns(p);
        let mut states: Vec<Option<State>> = vec![None; insns.len()];
        let mut work = Vec::new();
        if start < insns.len() {
            states[start] = Some(State::entry(args));
            work.push(start);
        }
        let mut ret: Option<Val> = None;
        while let Some(i) = work.pop() {
            let Some(state) = states[i].clone() else {
                continue;
            };
            self.mark(p, i, insns.len());
            match self.step(p, insns, i, state, depth, &mut ret) {
                Flow::End => {}
                Flow::To(next) => {
                    for (j, s) in next {
                        if j >= insns.len() {
                            continue;
                        }
                        let changed = match &mut states[j] {
                            None => {
                                states[j] = Some(s);
                                true
                            }
                            Some(old) => old.meet_from(&s),
                        };
                        if changed {
                            work.push(j);
                        }
                    }
                }
            }
        }
        self.active.remove(&key);
        let ret = ret.unwrap_or(Val::Unknown);
        self.memo.insert(key, ret);
        ret
    }

    fn mark(&mut self, p: usize, i: usize, len: usize) {
        let wide = self.insns(p)[i].is_ld_imm64();
        let r = self
            .reach
            .reached
            .entry(p)
            .or_insert_with(|| vec![false; len]);
        r[i] = true;
        // The second slot of an ld_imm64 belongs to it.
        if wide && i + 1 < len {
            r[i + 1] = true;
        }
    }

    fn step(
        &mut self,
        p: usize,
        insns: &[Insn],
        i: usize,
        mut s: State,
        depth: usize,
        ret: &mut Option<Val>,
    ) -> Flow {
        let insn = insns[i];
        let next = |s: State| Flow::To(vec![(i + 1, s)]);
        match insn.class() {
            CLASS_ALU | CLASS_ALU64 => {
                let dst = usize::from(insn.dst);
                if dst >= R10 {
                    return Flow::End;
                }
                let src = if insn.code & SRC_X != 0 {
                    match s.regs.get(usize::from(insn.src)) {
                        Some(v) => *v,
                        None => return Flow::End,
                    }
                } else {
                    Val::Const(i64::from(insn.imm) as u64)
                };
                let op = insn.code & 0xf0;
                let reg_src = insn.code & SRC_X != 0;
                if op == 0 && insn.class() == CLASS_ALU64 {
                    // `rX += off` on an argument pointer: a field address,
                    // whose offset a relocated instruction may have set.
                    let at = if reg_src {
                        s.origin[usize::from(insn.src)]
                    } else {
                        i as u32
                    };
                    if at != NO_ORIGIN {
                        self.note_arg_use(p, at as usize, s.regs[dst], true);
                    }
                }
                s.origin[dst] = match (op, reg_src) {
                    (0xb0, false) => i as u32,
                    (0xb0, true) => s.origin[usize::from(insn.src)],
                    _ => NO_ORIGIN,
                };
                s.regs[dst] = alu(insn, s.regs[dst], src);
                next(s)
            }
            CLASS_LD => {
                if insn.is_ld_imm64() {
                    let dst = usize::from(insn.dst);
                    if dst >= R10 {
                        return Flow::End;
                    }
                    s.regs[dst] = match insns.get(i + 1) {
                        Some(hi) if insn.src == 0 => Val::Const(
                            u64::from(insn.imm as u32) | (u64::from(hi.imm as u32) << 32),
                        ),
                        _ => Val::Unknown,
                    };
                    s.origin[dst] = i as u32;
                    return Flow::To(vec![(i + 2, s)]);
                }
                // Legacy packet loads: r0 gets the data, r1-r5 are clobbered.
                s.clobber_caller_saved();
                next(s)
            }
            CLASS_LDX => {
                let (dst, src) = (usize::from(insn.dst), usize::from(insn.src));
                if dst >= R10 || src > R10 {
                    return Flow::End;
                }
                let base = s.regs[src];
                let off = i32::from(insn.off);
                let size = insn.mem_size();
                self.note_arg_use(p, i, base, true);
                let mode = insn.code & 0xe0;
                s.origin[dst] = NO_ORIGIN;
                s.regs[dst] = match base {
                    Val::Ctx => {
                        self.note_ctx_read(p, i, off, size);
                        if size == 8 && off >= 0 && off % 8 == 0 && mode == 0x60 {
                            u16::try_from(off / 8).map_or(Val::Unknown, Val::CtxArg)
                        } else {
                            Val::Unknown
                        }
                    }
                    Val::Frame(f) if size == 8 && mode == 0x60 => {
                        f.checked_add(off).map_or(Val::Unknown, |at| s.slot(at))
                    }
                    _ => Val::Unknown,
                };
                next(s)
            }
            CLASS_ST | CLASS_STX => {
                let dst = usize::from(insn.dst);
                if dst > R10 {
                    return Flow::End;
                }
                self.note_arg_use(p, i, s.regs[dst], true);
                let atomic = insn.code & 0xe0 == 0xc0;
                let val = if insn.class() == CLASS_ST {
                    Val::Const(i64::from(insn.imm) as u64)
                } else {
                    s.regs
                        .get(usize::from(insn.src))
                        .copied()
                        .unwrap_or(Val::Unknown)
                };
                if let Val::Frame(f) = s.regs[dst] {
                    let size = insn.mem_size() as i32;
                    let val = if atomic { Val::Unknown } else { val };
                    match f.checked_add(i32::from(insn.off)) {
                        Some(at) => s.store(at, size, val),
                        // Past the frame's range: nothing known is kept.
                        None => s.stack.clear(),
                    }
                }
                if atomic {
                    // Fetching atomics write the old value into src (or r0).
                    if insn.imm & 1 != 0 {
                        if let Some(r) = s.regs.get_mut(usize::from(insn.src)) {
                            *r = Val::Unknown;
                            s.origin[usize::from(insn.src)] = NO_ORIGIN;
                        }
                    }
                    // cmpxchg writes the old value into r0.
                    if insn.imm == 0xf1 {
                        s.regs[0] = Val::Unknown;
                        s.origin[0] = NO_ORIGIN;
                    }
                }
                next(s)
            }
            CLASS_JMP | CLASS_JMP32 => self.jump(p, insns, i, s, depth, ret),
            _ => Flow::End,
        }
    }

    fn jump(
        &mut self,
        p: usize,
        insns: &[Insn],
        i: usize,
        s: State,
        depth: usize,
        ret: &mut Option<Val>,
    ) -> Flow {
        let insn = insns[i];
        let op = insn.code & 0xf0;
        let target = |off: i64| -> Option<usize> { usize::try_from(i as i64 + 1 + off).ok() };
        match op {
            0x00 => {
                // ja (gotol in JMP32 takes its offset from imm).
                let off = if insn.class() == CLASS_JMP32 {
                    i64::from(insn.imm)
                } else {
                    i64::from(insn.off)
                };
                target(off).map_or(Flow::End, |t| Flow::To(vec![(t, s)]))
            }
            0x80 => self.call(p, i, insn, s, depth),
            0x90 => {
                let r0 = s.regs[0];
                *ret = Some(ret.map_or(r0, |r| r.meet(r0)));
                Flow::End
            }
            _ => {
                let dst = usize::from(insn.dst);
                if dst > R10 {
                    return Flow::End;
                }
                let rhs = if insn.code & SRC_X != 0 {
                    match s.regs.get(usize::from(insn.src)) {
                        Some(v) => *v,
                        None => return Flow::End,
                    }
                } else {
                    Val::Const(i64::from(insn.imm) as u64)
                };
                let Some(taken_at) = target(i64::from(insn.off)) else {
                    return Flow::End;
                };
                let wide = insn.class() == CLASS_JMP;
                match (s.regs[dst], rhs) {
                    (Val::Const(a), Val::Const(b)) => match compare(op, a, b, wide) {
                        Some(true) => Flow::To(vec![(taken_at, s)]),
                        Some(false) => Flow::To(vec![(i + 1, s)]),
                        None => Flow::End,
                    },
                    (Val::Unknown, Val::Const(k)) if wide && (op == 0x10 || op == 0x50) => {
                        // `if r == k`: r is k on the equal side.
                        let mut equal = s.clone();
                        equal.regs[dst] = Val::Const(k);
                        let (taken, fall) = if op == 0x10 { (equal, s) } else { (s, equal) };
                        Flow::To(vec![(taken_at, taken), (i + 1, fall)])
                    }
                    _ => Flow::To(vec![(taken_at, s.clone()), (i + 1, s)]),
                }
            }
        }
    }

    fn call(&mut self, p: usize, i: usize, insn: Insn, mut s: State, depth: usize) -> Flow {
        match insn.src {
            0 => {
                // A poisoned instruction (`call 0xbad2310`) is where the
                // verifier stops; the path goes on as for any helper so that
                // every poison on it is found, not just the first.
                let call = HelperCall {
                    program: p,
                    insn: i,
                    helper: insn.imm as u32,
                };
                if insn.imm != POISON_HELPER && self.seen_helpers.insert(call) {
                    self.reach.helpers.push(call);
                }
                s.clobber_caller_saved();
                Flow::To(vec![(i + 1, s)])
            }
            1 => {
                let Some((callee, start)) = self.callee_of(p, i) else {
                    return Flow::End;
                };
                let global = self.obj.programs[callee].global;
                let mut args = [Val::Unknown; 5];
                if !global {
                    for (a, r) in args.iter_mut().zip(&s.regs[1..6]) {
                        // The callee's stack is its own: caller frame
                        // addresses are not tracked across the call.
                        *a = if matches!(r, Val::Frame(_)) {
                            Val::Unknown
                        } else {
                            *r
                        };
                    }
                }
                let r0 = self.function(callee, start, args, depth + 1);
                s.clobber_caller_saved();
                s.regs[0] = if global { Val::Unknown } else { r0 };
                Flow::To(vec![(i + 1, s)])
            }
            _ => {
                s.clobber_caller_saved();
                Flow::To(vec![(i + 1, s)])
            }
        }
    }

    fn note_ctx_read(&mut self, program: usize, insn: usize, offset: i32, size: u32) {
        let read = CtxRead {
            program,
            insn,
            offset,
            size,
        };
        if self.seen_reads.insert(read) {
            self.reach.ctx_reads.push(read);
        }
    }

    fn note_arg_use(&mut self, program: usize, insn: usize, base: Val, wide: bool) {
        if let (Val::CtxArg(arg), true) = (base, wide) {
            let u = ArgUse { program, insn, arg };
            if self.seen_args.insert(u) {
                self.reach.arg_uses.push(u);
            }
        }
    }
}

/// The result of an ALU instruction on abstract values.
fn alu(insn: Insn, dst: Val, src: Val) -> Val {
    let op = insn.code & 0xf0;
    let wide = insn.class() == CLASS_ALU64;
    if op == 0xb0 {
        // mov (movsx when off is 8, 16 or 32).
        return match (src, insn.off) {
            (Val::Const(v), 0) => Val::Const(if wide { v } else { u64::from(v as u32) }),
            (Val::Const(v), bits @ (8 | 16 | 32)) => {
                let shift = 64 - bits as u32;
                let ext = ((v << shift) as i64 >> shift) as u64;
                Val::Const(if wide { ext } else { u64::from(ext as u32) })
            }
            (v, 0) if wide => v,
            _ => Val::Unknown,
        };
    }
    match (dst, src) {
        (Val::Frame(f), Val::Const(k)) if wide && (op == 0x00 || op == 0x10) => {
            let k = k as i64;
            let k = if op == 0x10 { k.checked_neg() } else { Some(k) };
            k.and_then(|k| i32::try_from(i64::from(f).checked_add(k)?).ok())
                .map_or(Val::Unknown, Val::Frame)
        }
        (Val::Const(a), Val::Const(b)) => {
            let (a, b) = if wide {
                (a, b)
            } else {
                (u64::from(a as u32), u64::from(b as u32))
            };
            let signed = insn.off == 1;
            match const_alu(op, a, b, wide, signed) {
                Some(v) => Val::Const(if wide { v } else { u64::from(v as u32) }),
                None => Val::Unknown,
            }
        }
        _ => Val::Unknown,
    }
}

/// A BPF ALU operation on known values, as the kernel computes it
/// (division by zero gives 0, modulo by zero keeps the dividend).
fn const_alu(op: u8, a: u64, b: u64, wide: bool, signed: bool) -> Option<u64> {
    let bits = if wide { 64 } else { 32 };
    let shift = (b % bits) as u32;
    let sext = |v: u64| {
        if wide {
            v as i64
        } else {
            i64::from(v as u32 as i32)
        }
    };
    Some(match op {
        0x00 => a.wrapping_add(b),
        0x10 => a.wrapping_sub(b),
        0x20 => a.wrapping_mul(b),
        0x30 if b == 0 => 0,
        0x30 if signed => sext(a).wrapping_div(sext(b)) as u64,
        0x30 => a / b,
        0x40 => a | b,
        0x50 => a & b,
        0x60 => a << shift,
        0x70 => a >> shift,
        0x80 => a.wrapping_neg(),
        0x90 if b == 0 => a,
        0x90 if signed => sext(a).wrapping_rem(sext(b)) as u64,
        0x90 => a % b,
        0xa0 => a ^ b,
        0xc0 => (sext(a) >> shift) as u64,
        _ => return None,
    })
}

/// Decides a conditional jump on two known values; `None` for an opcode
/// that is not a conditional jump.
fn compare(op: u8, a: u64, b: u64, wide: bool) -> Option<bool> {
    let (ua, ub, sa, sb) = if wide {
        (a, b, a as i64, b as i64)
    } else {
        (
            u64::from(a as u32),
            u64::from(b as u32),
            i64::from(a as u32 as i32),
            i64::from(b as u32 as i32),
        )
    };
    Some(match op {
        0x10 => ua == ub,
        0x20 => ua > ub,
        0x30 => ua >= ub,
        0x40 => ua & ub != 0,
        0x50 => ua != ub,
        0x60 => sa > sb,
        0x70 => sa >= sb,
        0xa0 => ua < ub,
        0xb0 => ua <= ub,
        0xc0 => sa < sb,
        0xd0 => sa <= sb,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::scale_tests::objgen::{insn, ElfWriter, Symbol, OP_EXIT, STT_FUNC};
    use corex_btf::Endian::Little as LE;

    /// A frame pointer moved to the edge of `i32` and a store past it: the
    /// offset arithmetic used to overflow (a panic with overflow checks, a
    /// wrapped slot without), so the value read back decided a branch the
    /// verifier would take both ways.
    #[test]
    fn frame_offsets_at_the_edge_of_i32_forget_the_stack() {
        let code = [
            insn(LE, 0xbf, 1, 10, 0, 0),       // r1 = r10
            insn(LE, 0x07, 1, 0, 0, i32::MAX), // r1 += i32::MAX
            insn(LE, 0xb7, 2, 0, 0, 5),        // r2 = 5
            insn(LE, 0x7b, 1, 2, i16::MAX, 0), // *(u64 *)(r1 + 32767) = r2
            insn(LE, 0x79, 3, 1, i16::MAX, 0), // r3 = *(u64 *)(r1 + 32767)
            insn(LE, 0x15, 3, 0, 1, 5),        // if r3 == 5 goto +1
            insn(LE, 0xb7, 0, 0, 0, 1),        // r0 = 1
            insn(LE, 0x17, 1, 0, 0, i32::MIN), // r1 -= i32::MIN
            insn(LE, OP_EXIT, 0, 0, 0, 0),
        ]
        .concat();
        let mut elf = ElfWriter::new(LE);
        let len = code.len() as u64;
        let sec = elf.code(b"xdp", code);
        elf.symbol(Symbol::global(b"edge", STT_FUNC, sec, 0, len));
        let obj = crate::Object::parse(&elf.finish()).unwrap();
        let reach = super::analyze(&obj, &[None], 0);
        assert!(
            reach.is_reachable(0, 6),
            "the store past i32 was remembered"
        );
        assert!(reach.is_reachable(0, 8));
    }
}
