//! Turns libbpf 1.1's CO-RE log (as `core_log.c` prints it) into one record
//! per relocation, with the fields of `corex reloc --format json`.
//!
//! libbpf relocates section by section (`sec 'S': found N CO-RE
//! relocations`), and within a section record by record; every line about a
//! record starts with `prog 'P': relo #N: ` (N = the record's position in its
//! section). The formats, from libbpf 1.1's `relo_core.c` and `libbpf.c`:
//!
//! ```text
//! <kind> [id] struct s.a.b[2] (0:1:2:2 @ offset 24)       local spec (field kinds)
//! <kind> [id] struct s                                     local spec (type kinds)
//! <kind> [id] enum e::NAME = 3                             local spec (enumerator kinds)
//! matching candidate #K <kind> SPEC                        a target the spec matches
//! non-matching candidate #K <kind> SPEC                    a target it does not
//! no matching targets found
//! patched insn #I (ALU/ALU64) imm OLD -> NEW
//! patched insn #I (LDX/ST/STX) off OLD -> NEW
//! patched insn #I (LDX/ST/STX) mem_sz OLD -> NEW           follows the `off` line
//! patched insn #I (LDIMM64) imm64 OLD -> NEW
//! substituting insn #I w/ invalid insn                     poisoned (twice for LDIMM64: I+1, I)
//! insn #I (LDX/ST/STX) accesses field incorrectly. ...     then poisoned
//! failed to relocate: ERR / failed to patch insn #I: ERR   the relocation failed
//! ```
//!
//! A failure is preceded by a warning that says why (`field offset
//! ambiguity: A != B`, `relocation decision ambiguity: ...`, `unexpected
//! insn #I (ALU/ALU64) value: got A, exp B -> C`, `insn #I (LDX/ST/STX) value
//! too big: V`, `insn #I (LDX/ST/STX) invalid new mem size: S`, `target
//! candidate search failed for [id] KIND NAME: ERR`, ...), and a few of
//! those lack the `relo #N:` prefix (`prog 'P': relo KIND at insn #I can't be
//! satisfied for bitfield`, where KIND is the kind's number and I counts from
//! the section start). libbpf stops at the first failure: the records after
//! it are never logged. Local and target specs are cut to 255 bytes
//! (libbpf formats them into a 256-byte buffer). Instruction numbers (`insn
//! #I`) count from the program's first instruction. Everything outside the
//! CO-RE phase (ELF parsing before it, call and map relocation, loading
//! after it) is ignored.

use std::fmt;

/// What libbpf did with a relocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The instruction was rewritten (`patched insn #I ...`).
    Patched,
    /// The instruction was replaced by an invalid call (`substituting insn`).
    Poisoned,
    /// libbpf failed the relocation and the load.
    Error,
}

impl Outcome {
    /// The name `corex reloc --format json` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Patched => "patched",
            Outcome::Poisoned => "poisoned",
            Outcome::Error => "error",
        }
    }
}

/// One relocation as libbpf's log describes it. Fields libbpf's log does not
/// determine (e.g. the instruction of a relocation that failed before
/// patching) are `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relo {
    /// The program holding the instruction (`prog 'P'`).
    pub program: String,
    /// The ELF section (`sec 'S': found N CO-RE relocations`).
    pub section: String,
    /// Position among the section's CO-RE records (`relo #N`).
    pub index: u32,
    /// Instruction index from the program's start (`insn #I`).
    pub insn: Option<u32>,
    /// Kind name, e.g. `byte_off`.
    pub kind: Option<String>,
    /// The local spec after `<kind> `.
    pub local: Option<String>,
    /// The first matching candidate's spec after `<kind> `.
    pub target: Option<String>,
    /// Patched, poisoned or failed.
    pub outcome: Outcome,
    /// The instruction's value before patching.
    pub old: Option<u64>,
    /// The value patched in.
    pub new: Option<u64>,
    /// A load/store size change (`mem_sz OLD -> NEW`).
    pub mem_sz: Option<(u64, u64)>,
    /// Why the relocation was poisoned or failed.
    pub reason: Option<String>,
}

impl fmt::Display for Relo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}#{} insn {} {} {}",
            self.program,
            self.section,
            self.index,
            opt(&self.insn),
            self.kind.as_deref().unwrap_or("?"),
            self.local.as_deref().unwrap_or("?"),
        )?;
        if let Some(t) = &self.target {
            write!(f, " => {t}")?;
        }
        write!(f, ": {}", self.outcome.as_str())?;
        if let (Some(o), Some(n)) = (self.old, self.new) {
            write!(f, " {o} -> {n}")?;
        }
        if let Some((o, n)) = self.mem_sz {
            write!(f, " (mem_sz {o} -> {n})")?;
        }
        if let Some(r) = &self.reason {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

fn opt<T: fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "?".to_owned(), |v| v.to_string())
}

/// A section's announced number of CO-RE records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// ELF section name.
    pub name: String,
    /// `found N CO-RE relocations`.
    pub count: u32,
}

/// Everything the CO-RE phase of one `bpf_object__load` logged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreLog {
    /// Sections in the order libbpf relocated them.
    pub sections: Vec<Section>,
    /// Relocations in the order libbpf processed them.
    pub relocations: Vec<Relo>,
    /// libbpf gave up after a failed relocation (later ones are not logged).
    pub stopped: bool,
    /// Programs libbpf does not load by default (autoload off, e.g. in `?`
    /// sections), with their sections: it does not relocate them (from
    /// `core_log: program NAME section SEC autoload 0`).
    pub not_autoloaded: Vec<(String, String)>,
}

/// A record being assembled from its lines.
struct Pending {
    relo: Relo,
    patched: bool,
    poisoned: bool,
    failed: bool,
    /// Warnings and other unrecognised lines, in order.
    notes: Vec<String>,
    no_match: bool,
}

impl Pending {
    fn new(program: &str, section: &str, index: u32) -> Pending {
        Pending {
            relo: Relo {
                program: program.to_owned(),
                section: section.to_owned(),
                index,
                insn: None,
                kind: None,
                local: None,
                target: None,
                outcome: Outcome::Patched,
                old: None,
                new: None,
                mem_sz: None,
                reason: None,
            },
            patched: false,
            poisoned: false,
            failed: false,
            notes: Vec::new(),
            no_match: false,
        }
    }

    fn set_insn(&mut self, insn: u32) {
        self.relo.insn = Some(self.relo.insn.map_or(insn, |i| i.min(insn)));
    }

    fn finish(mut self) -> Result<Relo, String> {
        let r = &mut self.relo;
        r.outcome = if self.failed {
            Outcome::Error
        } else if self.poisoned {
            Outcome::Poisoned
        } else if self.patched {
            Outcome::Patched
        } else {
            return Err(format!(
                "prog '{}': relo #{}: neither patched, poisoned nor failed",
                r.program, r.index
            ));
        };
        if r.outcome == Outcome::Error {
            // libbpf logs `patched insn ... off` before it checks the new
            // load size, but a failed relocation patches nothing.
            (r.old, r.new, r.mem_sz) = (None, None, None);
        }
        r.reason = match r.outcome {
            Outcome::Patched => None,
            Outcome::Poisoned => self.notes.first().cloned().or_else(|| {
                self.no_match
                    .then(|| "no matching targets found".to_owned())
            }),
            // The failure line itself only says "failed to ...: -22"; the
            // warning before it says why.
            Outcome::Error => self
                .notes
                .iter()
                .find(|n| !n.starts_with("failed to "))
                .or(self.notes.first())
                .cloned(),
        };
        if r.outcome != Outcome::Patched && r.reason.is_none() {
            r.reason = Some(r.outcome.as_str().to_owned());
        }
        Ok(self.relo)
    }
}

/// Parses the output of `core_log`. Errors name the line that did not fit.
pub fn parse(text: &str) -> Result<CoreLog, String> {
    let mut log = CoreLog::default();
    let mut section: Option<String> = None;
    let mut pending: Option<Pending> = None;
    let mut started = false;

    for line in text.lines() {
        // `error matching candidate` ends in "\n " (sic): the next message
        // starts with a space.
        let line = line.trim_start();
        let msg = line.strip_prefix("libbpf: ").unwrap_or(line);
        if let Some((sec, count)) = parse_found(msg) {
            flush(&mut log, &mut pending)?;
            started = true;
            log.sections.push(Section {
                name: sec.to_owned(),
                count,
            });
            section = Some(sec.to_owned());
            continue;
        }
        if !started {
            continue;
        }
        if msg.starts_with("CO-RE relocating ")
            || (msg.starts_with("sec '") && msg.contains("skipping CO-RE relocation"))
        {
            continue;
        }
        if msg.starts_with("failed to perform CO-RE relocations") {
            flush(&mut log, &mut pending)?;
            log.stopped = true;
            break;
        }
        let Some((prog, rest)) = split_prog(msg) else {
            // The first line of a later phase ends the CO-RE phase.
            break;
        };
        let sec = section.as_deref().unwrap_or("");
        if let Some((index, body)) = split_relo_index(rest) {
            if pending
                .as_ref()
                .is_some_and(|p| p.relo.program != prog || p.relo.index != index)
            {
                flush(&mut log, &mut pending)?;
            }
            let p = pending.get_or_insert_with(|| Pending::new(prog, sec, index));
            apply(p, body).map_err(|e| format!("{e} in line: {line}"))?;
        } else if rest.starts_with("relo ") {
            // `relo KIND at insn #I can't be ...` and `relo for [id] ...`:
            // warnings about the record being processed.
            match pending.as_mut() {
                Some(p) if p.relo.program == prog => p.notes.push(rest.to_owned()),
                _ => return Err(format!("warning outside a relocation: {line}")),
            }
        } else {
            break;
        }
    }
    flush(&mut log, &mut pending)?;
    log.not_autoloaded = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("core_log: program ")?;
            let (name, sec) = rest.strip_suffix(" autoload 0")?.split_once(" section ")?;
            Some((name.to_owned(), sec.to_owned()))
        })
        .collect();
    Ok(log)
}

fn flush(log: &mut CoreLog, pending: &mut Option<Pending>) -> Result<(), String> {
    if let Some(p) = pending.take() {
        let failed = p.failed;
        log.relocations.push(p.finish()?);
        log.stopped |= failed;
    }
    Ok(())
}

/// `sec 'S': found N CO-RE relocations`.
fn parse_found(msg: &str) -> Option<(&str, u32)> {
    let rest = msg.strip_prefix("sec '")?;
    let (sec, rest) = rest.split_once("': found ")?;
    let n = rest.strip_suffix(" CO-RE relocations")?;
    Some((sec, n.parse().ok()?))
}

/// `prog 'P': REST`.
fn split_prog(msg: &str) -> Option<(&str, &str)> {
    let rest = msg.strip_prefix("prog '")?;
    rest.split_once("': ")
}

/// `relo #N: BODY`.
fn split_relo_index(rest: &str) -> Option<(u32, &str)> {
    let rest = rest.strip_prefix("relo #")?;
    let (n, body) = rest.split_once(": ")?;
    Some((n.parse().ok()?, body))
}

/// Applies one `relo #N:` line's body to its record.
fn apply(p: &mut Pending, body: &str) -> Result<(), String> {
    if let Some(spec) = body.strip_prefix('<') {
        let (kind, spec) = split_kind(spec)?;
        p.relo.kind = Some(kind.to_owned());
        p.relo.local = Some(spec.to_owned());
    } else if let Some(rest) = body.strip_prefix("matching candidate #") {
        let (_, spec) = rest.split_once(" <").ok_or("no kind in candidate")?;
        let (_, spec) = split_kind(spec)?;
        if p.relo.target.is_none() {
            p.relo.target = Some(spec.to_owned());
        }
    } else if body.starts_with("non-matching candidate #") {
    } else if body == "no matching targets found" {
        p.no_match = true;
    } else if let Some(rest) = body.strip_prefix("patched insn #") {
        let (insn, rest) = split_insn(rest)?;
        let (what, old, new) = parse_arrow(rest)?;
        p.set_insn(insn);
        if what.ends_with("mem_sz") {
            p.relo.mem_sz = Some((old, new));
        } else {
            p.patched = true;
            p.relo.old = Some(old);
            p.relo.new = Some(new);
        }
    } else if let Some(rest) = body.strip_prefix("substituting insn #") {
        let insn = rest
            .strip_suffix(" w/ invalid insn")
            .ok_or("bad substitution line")?;
        p.set_insn(insn.parse().map_err(|_| "bad insn number")?);
        p.poisoned = true;
    } else if let Some(rest) = body.strip_prefix("failed to patch insn #") {
        let (insn, _) = rest.split_once(':').ok_or("bad failure line")?;
        p.set_insn(insn.parse().map_err(|_| "bad insn number")?);
        p.failed = true;
        p.notes.push(body.to_owned());
    } else if body.starts_with("failed to relocate") || body.starts_with("failed to record") {
        p.failed = true;
        p.notes.push(body.to_owned());
    } else {
        // A warning: ambiguity, validation, range, candidate search, ...
        if let Some(insn) = warning_insn(body) {
            p.set_insn(insn);
        }
        p.notes.push(body.to_owned());
    }
    Ok(())
}

/// `kind> SPEC` (after the `<`).
fn split_kind(s: &str) -> Result<(&str, &str), String> {
    let (kind, spec) = s.split_once('>').ok_or("no '>' after the kind")?;
    Ok((kind, spec.strip_prefix(' ').unwrap_or(spec)))
}

/// `I (CLASS) REST` after `insn #`.
fn split_insn(s: &str) -> Result<(u32, &str), String> {
    let (insn, rest) = s.split_once(' ').ok_or("no instruction number")?;
    Ok((insn.parse().map_err(|_| "bad insn number")?, rest))
}

/// `(CLASS) WHAT OLD -> NEW`: returns `(CLASS) WHAT`, OLD and NEW.
fn parse_arrow(s: &str) -> Result<(&str, u64, u64), String> {
    let (left, new) = s.rsplit_once(" -> ").ok_or("no ' -> '")?;
    let (what, old) = left.rsplit_once(' ').ok_or("no old value")?;
    let num = |v: &str| v.parse::<u64>().map_err(|_| format!("bad number {v:?}"));
    Ok((what, num(old)?, num(new)?))
}

/// The instruction a warning names: `unexpected insn #I (...)` or
/// `insn #I (...) ...` (both count from the program start).
fn warning_insn(body: &str) -> Option<u32> {
    let rest = body
        .strip_prefix("unexpected insn #")
        .or_else(|| body.strip_prefix("insn #"))?;
    let (n, _) = rest.split_once(' ')?;
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines in each of libbpf 1.1's formats, taken from real runs.
    const SAMPLE: &str = "\
libbpf: sec 'raw_tp/x': found program 'p' at insn offset 0 (0 bytes), code size 44 insns (352 bytes)
libbpf: sec '.reltracepoint/corex/subprog': relo #0: insn #2 against '.text'
libbpf: sec 'raw_tp/x': found 4 CO-RE relocations
libbpf: CO-RE relocating [5] struct task_struct: found target candidate [114] struct task_struct in [vmlinux]
libbpf: prog 'p': relo #0: <byte_off> [5] struct task_struct.real_parent (0:6 @ offset 40)
libbpf: prog 'p': relo #0: matching candidate #0 <byte_off> [114] struct task_struct.real_parent (0:95 @ offset 1280)
libbpf: prog 'p': relo #0: matching candidate #1 <byte_off> [115] struct task_struct___2.real_parent (0:95 @ offset 1280)
libbpf: prog 'p': relo #0: patched insn #2 (LDX/ST/STX) off 40 -> 1280
libbpf: prog 'p': relo #0: patched insn #2 (LDX/ST/STX) mem_sz 4 -> 2
libbpf: prog 'p': relo #1: <enumval_value> [41] enum pid_type::COREX_PIDTYPE_NOPE = 5
libbpf: prog 'p': relo #1: non-matching candidate #0 <enumval_value> [384] enum pid_type
libbpf: prog 'p': relo #1: no matching targets found
libbpf: prog 'p': relo #1: substituting insn #12 w/ invalid insn
libbpf: prog 'p': relo #1: substituting insn #11 w/ invalid insn
libbpf: prog 'q': relo #2: <type_size> [5] struct corex_test_s
libbpf: prog 'q': relo #2: patched insn #5 (ALU/ALU64) imm 208 -> 0
libbpf: prog 'q': relo #3: <byte_off> [5] struct corex_amb.b (0:1 @ offset 4)
libbpf: prog 'q': relo #3: matching candidate #0 <byte_off> [7] struct corex_amb.b (0:1 @ offset 4)
libbpf: prog 'q': relo #3: matching candidate #1 <byte_off> [9] struct corex_amb.b (0:1 @ offset 8)
libbpf: prog 'q': relo #3: field offset ambiguity: 64 != 32
libbpf: prog 'q': relo #3: failed to relocate: -22
libbpf: failed to perform CO-RE relocations: -22
libbpf: failed to load object 'x.o'
";

    #[test]
    fn parses_every_line_kind() {
        let log = parse(SAMPLE).unwrap();
        assert_eq!(
            log.sections,
            vec![Section {
                name: "raw_tp/x".into(),
                count: 4
            }]
        );
        assert!(log.stopped);
        let r = &log.relocations;
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].kind.as_deref(), Some("byte_off"));
        assert_eq!(
            r[0].local.as_deref(),
            Some("[5] struct task_struct.real_parent (0:6 @ offset 40)")
        );
        assert_eq!(
            r[0].target.as_deref(),
            Some("[114] struct task_struct.real_parent (0:95 @ offset 1280)")
        );
        assert_eq!(
            (r[0].outcome, r[0].insn, r[0].old, r[0].new, r[0].mem_sz),
            (
                Outcome::Patched,
                Some(2),
                Some(40),
                Some(1280),
                Some((4, 2))
            )
        );
        assert_eq!(r[0].reason, None);
        assert_eq!((r[1].outcome, r[1].insn), (Outcome::Poisoned, Some(11)));
        assert_eq!(r[1].target, None);
        assert_eq!(r[1].reason.as_deref(), Some("no matching targets found"));
        assert_eq!((r[2].program.as_str(), r[2].index), ("q", 2));
        assert_eq!((r[2].old, r[2].new), (Some(208), Some(0)));
        assert_eq!((r[3].outcome, r[3].insn), (Outcome::Error, None));
        assert_eq!(
            r[3].reason.as_deref(),
            Some("field offset ambiguity: 64 != 32")
        );
        assert_eq!(
            r[3].target.as_deref(),
            Some("[7] struct corex_amb.b (0:1 @ offset 4)")
        );
    }

    #[test]
    fn failures_with_and_without_an_instruction() {
        let text = "\
libbpf: sec 's': found 2 CO-RE relocations
libbpf: prog 'p': relo #0: <byte_off> [8] struct corex_big.x (0:0 @ offset 0)
libbpf: prog 'p': relo #0: matching candidate #0 <byte_off> [9] struct corex_big.x (0:0 @ offset 40000)
libbpf: prog 'p': relo #0: insn #2 (LDX/ST/STX) value too big: 40000
libbpf: prog 'p': relo #0: failed to patch insn #2: -34
libbpf: failed to perform CO-RE relocations: -34
";
        let log = parse(text).unwrap();
        let r = &log.relocations[0];
        assert_eq!((r.outcome, r.insn), (Outcome::Error, Some(2)));
        assert_eq!(
            r.reason.as_deref(),
            Some("insn #2 (LDX/ST/STX) value too big: 40000")
        );
        let text = "\
libbpf: sec 's': found 1 CO-RE relocations
libbpf: prog 'p': relo #0: target candidate search failed for [3] struct : -22
libbpf: prog 'p': relo #0: failed to relocate: -22
libbpf: failed to perform CO-RE relocations: -22
";
        let r = &parse(text).unwrap().relocations[0];
        assert_eq!(
            (r.outcome, r.insn, &r.kind, &r.local),
            (Outcome::Error, None, &None, &None)
        );
        let text = "\
libbpf: sec 's': found 1 CO-RE relocations
libbpf: prog 'p': relo #0: <byte_off> [5] struct corex_bits.f (0:0 @ offset 0)
libbpf: prog 'p': relo #0: matching candidate #0 <byte_off> [9] struct corex_bits.f (0:0 @ offset 7.4)
libbpf: prog 'p': relo 0 at insn #3 can't be satisfied for bitfield
libbpf: prog 'p': relo #0: failed to relocate: -7
";
        let r = &parse(text).unwrap().relocations[0];
        assert_eq!(r.outcome, Outcome::Error);
        assert_eq!(
            r.reason.as_deref(),
            Some("relo 0 at insn #3 can't be satisfied for bitfield")
        );
    }

    #[test]
    fn the_phase_ends_at_the_first_foreign_line() {
        let text = "\
libbpf: sec 's': found 1 CO-RE relocations
libbpf: prog 'p': relo #0: <type_exists> [5] struct x
libbpf: prog 'p': relo #0: patched insn #0 (ALU/ALU64) imm 1 -> 1
libbpf: prog 'p': missing BPF prog type, check ELF section name 's'
libbpf: prog 'p': relo #0: poisoning insn #4 that loads map #0 'm'
core_log: program p section s autoload 1
core_log: program q section ?t autoload 0
core_log: load returned -22
";
        let log = parse(text).unwrap();
        assert_eq!(log.relocations.len(), 1);
        assert!(!log.stopped);
        assert_eq!(log.not_autoloaded, [("q".into(), "?t".into())]);
    }

    #[test]
    fn an_unfinished_record_is_an_error() {
        let text = "\
libbpf: sec 's': found 1 CO-RE relocations
libbpf: prog 'p': relo #0: <type_exists> [5] struct x
";
        assert!(parse(text).is_err());
    }
}
