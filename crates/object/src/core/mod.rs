//! The CO-RE relocation engine, deciding exactly as libbpf 1.1 does.
//!
//! The computation is pure: [`Relocator::resolve`] turns a `.BTF.ext`
//! record, the object's BTF and a [`Target`] into a [`Resolution`] (the
//! local and target specs as libbpf prints them, and a [`Fixup`]); [`apply`]
//! patches an instruction with it. [`Object::relocate_core`](crate::Object::relocate_core)
//! runs both over a whole object.
//!
//! ```no_run
//! use corex_object::{core::Target, Object};
//! let obj = Object::parse(&std::fs::read("prog.bpf.o").unwrap()).unwrap();
//! let vmlinux = corex_btf::Btf::parse(&std::fs::read("/sys/kernel/btf/vmlinux").unwrap()).unwrap();
//! let report = obj.relocate_core(&Target::new(&vmlinux));
//! for r in &report.results {
//!     println!("{} relo #{}: <{}> {}", r.program, r.index, r.kind, r.local);
//! }
//! ```

mod calc;
mod candidates;
mod compat;
mod format;
mod kind;
mod matches;
mod matching;
mod member;
mod patch;
mod relocate;
mod resolve;
mod spec;
mod work;

pub use calc::Fixup;
pub(crate) use candidates::CoreWants;
pub use candidates::{CandidateCache, Target};
pub use format::{
    format_offset, format_spec, format_spec_full, kind_str, type_desc, type_name, SPEC_BUF_SIZE,
};
pub use kind::RelocKind;
pub use matching::Mismatch;
pub(crate) use matching::{match_candidate, CandidateMatch};
pub use patch::{apply, Patched};
pub use relocate::{CoreReport, Outcome, RelocResult, Skipped};
pub use resolve::{Relocator, Resolution};
pub use spec::{parse_spec, Accessor, Spec, MAX_SPEC_LEN};
pub use work::{MAX_RELO_STEPS, MAX_TOTAL_STEPS};

/// libbpf's `bpf_core_types_are_compat`, which also judges typed ksyms and
/// kfuncs against the kernel's declarations.
pub(crate) fn types_compat(
    local: &corex_btf::Btf,
    local_id: corex_btf::TypeId,
    targ: &corex_btf::Btf,
    targ_id: corex_btf::TypeId,
) -> Result<bool, String> {
    let mut m = work::Matcher::new(MAX_RELO_STEPS);
    compat::types_are_compat(&mut m, local, local_id, targ, targ_id, compat::MAX_DEPTH).map_err(
        |stop| match stop {
            work::Stop::Limit(why) => why,
            work::Stop::Work => {
                format!("the comparison takes more than {MAX_RELO_STEPS} steps")
            }
        },
    )
}
