//! Subprogram linking, as libbpf's `bpf_object__reloc_code`: each `.text`
//! function a program calls (or takes the address of, for callbacks) is
//! appended to the program once, transitively, in the order the calls are
//! met; call immediates and `ld_imm64` function addresses are rewritten to
//! the copies' positions; func and line info of every part are carried
//! along with instruction offsets rebased (`adjust_prog_btf_ext_info`).

use std::collections::HashMap;

use corex_btf::{Btf, BtfExt, ExtSection};

use super::error::{PlanError, Problem};
use crate::insn::{Insn, INSN_SIZE, PSEUDO_FUNC};
use crate::reloc::{InsnReloc, RelocTarget};
use crate::work::tick;
use crate::{Object, Program};

/// A func info record for the kernel: instruction index and FUNC type id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FuncInfoRec {
    /// Instruction index in the loaded program.
    pub insn: u32,
    /// The FUNC's type id in the program BTF.
    pub type_id: corex_btf::TypeId,
}

/// A line info record for the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineInfoRec {
    /// Instruction index in the loaded program.
    pub insn: u32,
    /// Offset of the file name in the program BTF's strings.
    pub file_name_off: u32,
    /// Offset of the source line in the program BTF's strings.
    pub line_off: u32,
    /// Line number << 10 | column.
    pub line_col: u32,
}

/// A part of a linked program: the function and where its copy starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// Index into [`Object::programs`].
    pub program: usize,
    /// First instruction of the copy in the linked program.
    pub start: usize,
}

/// A program with its subprograms appended.
#[derive(Clone, Debug, Default)]
pub(crate) struct Linked {
    pub insns: Vec<Insn>,
    /// The main program first, then each appended function.
    pub parts: Vec<Part>,
    pub func_info: Option<Vec<FuncInfoRec>>,
    pub line_info: Option<Vec<LineInfoRec>>,
}

impl Linked {
    /// Every instruction relocation of every part, at its linked position.
    pub(crate) fn relocations<'o>(
        &'o self,
        programs: &'o [Program],
    ) -> impl Iterator<Item = (usize, &'o InsnReloc)> + 'o {
        self.parts.iter().flat_map(move |part| {
            programs[part.program]
                .relocations
                .iter()
                .map(move |r| (part.start + r.insn, r))
        })
    }
}

/// Whether program `index` is a subprogram (libbpf's `prog_is_subprog`: a
/// `.text` function, when the object has more than one function).
pub(crate) fn is_subprog(obj: &Object, index: usize) -> bool {
    obj.programs[index].subprog && obj.programs.len() > 1
}

/// The `.text` function holding instruction `section_insn` of `.text`, found
/// as libbpf's `find_prog_by_sec_insn` finds it (a binary search).
fn text_function(obj: &Object, section_insn: usize) -> Option<usize> {
    obj.program_at(obj.text_section()?, section_insn)
}

/// A `.BTF.ext` block of records: its position among the blocks, and
/// for records not sorted by instruction (clang sorts them; the kernel
/// refuses them unsorted) an index that finds a function's records as
/// libbpf's scan does.
#[derive(Clone, Debug)]
struct Block {
    at: usize,
    unsorted: Option<Unsorted>,
}

/// The records of an unsorted block, indexed once: libbpf's scan
/// (`adjust_prog_btf_ext_info`) takes, in record order, the records inside
/// the function that come before the first record at or past its end.
#[derive(Clone, Debug)]
struct Unsorted {
    /// The largest instruction of the records up to each one (so the first
    /// record at or past an end is a binary search away).
    running_max: Vec<usize>,
    /// Record positions by instruction, then position.
    by_insn: Vec<usize>,
}

impl Unsorted {
    /// Indexes the records' instructions `insns` when they are not sorted.
    fn of(insns: &[usize]) -> Option<Unsorted> {
        if insns.windows(2).all(|w| w[0] <= w[1]) {
            return None;
        }
        let mut max = 0;
        let running_max = insns
            .iter()
            .map(|&at| {
                max = max.max(at);
                max
            })
            .collect();
        let mut by_insn: Vec<usize> = (0..insns.len()).collect();
        by_insn.sort_unstable_by_key(|&i| (insns[i], i));
        tick(insns.len() * crate::btf_names::log2(insns.len()));
        Some(Unsorted {
            running_max,
            by_insn,
        })
    }

    /// Positions of the records libbpf's scan takes for the instructions
    /// `first..end` (`at` gives a record's instruction), in record order.
    fn scan(&self, first: usize, end: usize, at: impl Fn(usize) -> usize) -> Vec<usize> {
        let stop = self.running_max.partition_point(|&m| m < end);
        let lo = self.by_insn.partition_point(|&i| at(i) < first);
        let hi = self.by_insn.partition_point(|&i| at(i) < end);
        let mut taken: Vec<usize> = self.by_insn[lo.min(hi)..hi]
            .iter()
            .copied()
            .filter(|&i| i < stop)
            .collect();
        taken.sort_unstable();
        let n = self.by_insn.len();
        tick(
            1 + 3 * crate::btf_names::log2(n)
                + (hi - lo.min(hi))
                + taken.len() * crate::btf_names::log2(taken.len()),
        );
        taken
    }
}

/// The first func info and line info block of each section, indexed once
/// per plan (libbpf looks them up by name for every function).
#[derive(Debug, Default)]
pub(crate) struct ExtIndex {
    func: HashMap<String, Block>,
    line: HashMap<String, Block>,
}

impl ExtIndex {
    /// Indexes the blocks of `obj`'s `.BTF.ext` (none without one).
    pub(crate) fn new(obj: &Object) -> ExtIndex {
        let (Some(ext), Some(btf)) = (&obj.btf_ext, &obj.btf) else {
            return ExtIndex::default();
        };
        ExtIndex {
            func: index_blocks(&ext.func_info, btf, |r| r.insn_off),
            line: index_blocks(&ext.line_info, btf, |r| r.insn_off),
        }
    }
}

fn index_blocks<T>(
    blocks: &[ExtSection<T>],
    btf: &Btf,
    insn_off: impl Fn(&T) -> u32,
) -> HashMap<String, Block> {
    let mut index = HashMap::with_capacity(blocks.len());
    for (at, b) in blocks.iter().enumerate() {
        tick(1 + b.records.len());
        let Some(name) = btf.str_at(b.sec_name_off) else {
            continue;
        };
        if index.contains_key(name) {
            continue;
        }
        let insns: Vec<usize> = b
            .records
            .iter()
            .map(|r| insn_off(r) as usize / INSN_SIZE)
            .collect();
        let unsorted = Unsorted::of(&insns);
        index.insert(name.to_owned(), Block { at, unsorted });
    }
    index
}

/// The `.BTF.ext` records of one function as `make` turns them (given the
/// record and its rebased instruction index); `None` when its section has
/// no record inside the function (libbpf's `adjust_prog_btf_ext_info`).
/// Sorted records are found by a binary search, unsorted ones (which the
/// kernel refuses) through their [`Unsorted`] index.
fn ext_records<T, R>(
    blocks: &[ExtSection<T>],
    block: Option<&Block>,
    prog: &Program,
    start: usize,
    insn_off: impl Fn(&T) -> u32,
    make: impl Fn(&T, u32) -> R,
) -> Option<Vec<R>> {
    let block = block?;
    let records = &blocks.get(block.at)?.records;
    let at = |rec: &T| insn_off(rec) as usize / INSN_SIZE;
    let (first, len) = (prog.section_insn, prog.insns().len());
    let end = first + len;
    let rebased = |rec: &T| make(rec, (at(rec) - first + start) as u32);
    let out: Vec<R> = match &block.unsorted {
        Some(unsorted) => unsorted
            .scan(first, end, |i| at(&records[i]))
            .into_iter()
            .map(|i| rebased(&records[i]))
            .collect(),
        None => {
            tick(1 + crate::btf_names::log2(records.len()));
            let from = records.partition_point(|r| at(r) < first);
            records[from..]
                .iter()
                .take_while(|r| {
                    tick(1);
                    at(r) < end
                })
                .map(rebased)
                .collect()
        }
    };
    (!out.is_empty()).then_some(out)
}

/// Adds one part's records to the program's; `false` when the part has
/// none but the program has some (libbpf refuses the program then).
fn merge<R>(part: Option<Vec<R>>, program: &mut Option<Vec<R>>) -> bool {
    match (part, program) {
        (Some(r), Some(all)) => all.extend(r),
        (Some(r), none) => *none = Some(r),
        (None, Some(_)) => return false,
        (None, None) => {}
    }
    true
}

/// Linking state for one main program.
struct Linker<'o> {
    obj: &'o Object,
    /// Instructions of the functions CO-RE patched (`None`: as parsed).
    bodies: &'o [Option<Vec<Insn>>],
    ext: Option<(&'o BtfExt, &'o ExtIndex)>,
    out: Linked,
    /// Where each appended function starts.
    placed: HashMap<usize, usize>,
}

impl Linker<'_> {
    fn main_name(&self) -> &str {
        &self.obj.programs[self.out.parts[0].program].name
    }

    /// libbpf's `reloc_prog_func_and_line_info` for one part.
    fn carry_ext_info(&mut self, part: Part) -> Result<(), PlanError> {
        let Some((ext, index)) = self.ext else {
            return Ok(());
        };
        let prog = &self.obj.programs[part.program];
        let is_main = self.out.parts.len() == 1;
        let main = self.main_name().to_owned();
        let missing = |what: &'static str| -> PlanError {
            Problem::MissingExtInfo {
                program: main.clone(),
                function: prog.name.clone(),
                what,
            }
            .into()
        };
        if is_main || self.out.func_info.is_some() {
            let recs = ext_records(
                &ext.func_info,
                index.func.get(&prog.section),
                prog,
                part.start,
                |r| r.insn_off,
                |r, insn| FuncInfoRec {
                    insn,
                    type_id: r.type_id,
                },
            );
            if !merge(recs, &mut self.out.func_info) {
                return Err(missing("func"));
            }
        }
        if is_main || self.out.line_info.is_some() {
            let recs = ext_records(
                &ext.line_info,
                index.line.get(&prog.section),
                prog,
                part.start,
                |r| r.insn_off,
                |r, insn| LineInfoRec {
                    insn,
                    file_name_off: r.file_name_off,
                    line_off: r.line_off,
                    line_col: r.line_col,
                },
            );
            if !merge(recs, &mut self.out.line_info) {
                return Err(missing("line"));
            }
        }
        Ok(())
    }

    /// Appends function `index` and returns where it starts.
    fn append(&mut self, index: usize) -> usize {
        let start = self.out.insns.len();
        let prog = &self.obj.programs[index];
        let mut body = match &self.bodies[index] {
            Some(patched) => patched.clone(),
            None => prog.insns().to_vec(),
        };
        // libbpf marks function-address loads before linking, so they are
        // recognised as such (clang leaves their source register 0).
        for r in &prog.relocations {
            if let (RelocTarget::FuncAddr { .. }, Some(insn)) = (&r.target, body.get_mut(r.insn)) {
                insn.src = PSEUDO_FUNC;
            }
        }
        self.out.insns.extend(body);
        self.out.parts.push(Part {
            program: index,
            start,
        });
        self.placed.insert(index, start);
        start
    }

    /// libbpf's `bpf_object__reloc_code` for the part starting at `start`:
    /// each function called is appended once, depth first, in the order the
    /// calls are met. A stack of the functions being scanned stands for
    /// libbpf's recursion, so a long chain of calls cannot overflow the
    /// thread's stack.
    fn reloc_code(&mut self, index: usize, start: usize) -> Result<(), PlanError> {
        self.carry_ext_info(Part {
            program: index,
            start,
        })?;
        let main = self.main_name().to_owned();
        // (function, where its copy starts, next instruction to look at).
        let mut scanning = vec![(index, start, 0)];
        while let Some(top) = scanning.last_mut() {
            let (function, start, i) = *top;
            if i >= self.obj.programs[function].insns().len() {
                scanning.pop();
                continue;
            }
            top.2 += 1;
            tick(1);
            let Some(callee) = self.callee(&main, function, start, i)? else {
                continue;
            };
            let callee_start = match self.placed.get(&callee) {
                Some(&s) => s,
                None => {
                    let s = self.append(callee);
                    self.carry_ext_info(Part {
                        program: callee,
                        start: s,
                    })?;
                    scanning.push((callee, s, 0));
                    s
                }
            };
            let imm = callee_start as i64 - (start + i) as i64 - 1;
            self.out.insns[start + i].imm = i32::try_from(imm).map_err(|_| {
                self.call_problem(
                    &main,
                    function,
                    i,
                    format!("call distance {imm} does not fit 32 bits"),
                )
            })?;
        }
        Ok(())
    }

    fn call_problem(&self, main: &str, function: usize, insn: usize, why: String) -> PlanError {
        Problem::Call {
            program: main.to_owned(),
            insn,
            function: self.obj.programs[function].name.clone(),
            why,
        }
        .into()
    }

    /// The function that instruction `i` of `function` (copied at `start`)
    /// calls or takes the address of, if it is such an instruction.
    fn callee(
        &self,
        main: &str,
        function: usize,
        start: usize,
        i: usize,
    ) -> Result<Option<usize>, PlanError> {
        let obj = self.obj;
        let prog = &obj.programs[function];
        let insn = self.out.insns[start + i];
        if !insn.is_pseudo_call() && !insn.is_pseudo_func() {
            return Ok(None);
        }
        let bad = |why: String| self.call_problem(main, function, i, why);
        let relo = prog.relocations_at(i).first();
        let target = match relo.map(|r| &r.target) {
            Some(RelocTarget::Extern { .. }) => return Ok(None),
            Some(RelocTarget::Call { section_insn })
            | Some(RelocTarget::FuncAddr { section_insn }) => *section_insn,
            Some(other) => {
                return Err(bad(format!(
                    "a call or function address relocated against {other:?}"
                )))
            }
            None if insn.is_pseudo_func() => {
                return Err(bad("a function address without a relocation".into()))
            }
            None => {
                let t = (prog.section_insn + i) as i64 + 1 + i64::from(insn.imm);
                if prog.section != ".text" {
                    return Err(bad(format!(
                        "a call to instruction {t} of its own section '{}'; \
                         BPF-to-BPF calls must go to .text functions",
                        prog.section
                    )));
                }
                usize::try_from(t)
                    .map_err(|_| bad(format!("a call to instruction {t} of .text")))?
            }
        };
        text_function(obj, target).map(Some).ok_or_else(|| {
            bad(format!(
                "a call to instruction {target} of .text, where no function is"
            ))
        })
    }
}

/// Links main program `main`: `bodies[i]` are function `i`'s instructions
/// after CO-RE, or `None` where CO-RE patched nothing; func and line info
/// are carried when `ext_info` is given (the kernel takes BTF functions;
/// its blocks are those of the object's `.BTF.ext`).
pub(crate) fn link(
    obj: &Object,
    bodies: &[Option<Vec<Insn>>],
    main: usize,
    ext_info: Option<&ExtIndex>,
) -> Result<Linked, PlanError> {
    let ext = match (&obj.btf_ext, &obj.btf, ext_info) {
        (Some(ext), Some(_), Some(index)) => Some((ext, index)),
        _ => None,
    };
    let mut l = Linker {
        obj,
        bodies,
        ext,
        out: Linked::default(),
        placed: HashMap::new(),
    };
    let start = l.append(main);
    // The main program is never "not yet appended" (libbpf's sub_insn_off 0).
    l.placed.remove(&main);
    l.reloc_code(main, start)?;
    Ok(l.out)
}
