//! Attaching a loaded [`Program`]: by its section
//! ([`Program::attach`]), or explicitly for programs whose section names no
//! target (`SEC("kprobe")`, `SEC("uprobe")`), with the same options.

use super::{
    attach, attach_kprobe, attach_kprobe_multi, attach_ksyscall, attach_raw_tracepoint,
    attach_tracepoint, attach_tracing, attach_uprobe, AttachError, AttachOptions, AttachTarget,
    KprobeMultiOptions, KprobeMultiTarget, KprobeOptions, Link, Result, TracepointOptions,
    TracingOptions, UprobeOptions,
};
use crate::Program;

impl Program {
    /// Where its section says it attaches, with the expected attach type it
    /// was loaded with for BTF-attached kinds.
    pub fn attach_target(&self) -> Result<AttachTarget> {
        let point = self.attach_point().ok_or_else(|| AttachError::BadTarget {
            kind: corex_object::AttachKind::Other,
            target: self.section().to_owned(),
            why: "libbpf does not know this section: attach the program explicitly".into(),
        })?;
        let mut target = AttachTarget::from_attach_point(point)?;
        if let (AttachTarget::Tracing { attach_type, .. }, Some(loaded)) =
            (&mut target, self.expected_attach_type())
        {
            *attach_type = loaded;
        }
        Ok(target)
    }

    /// Attaches it where its section says.
    pub fn attach(&self) -> Result<Link> {
        self.attach_with(&AttachOptions::default())
    }

    /// Attaches it where its section says, with `options` (a BPF cookie, a
    /// uprobe's pid, the probe method).
    pub fn attach_with(&self, options: &AttachOptions) -> Result<Link> {
        attach(self.fd(), &self.attach_target()?, options)
    }

    /// Attaches it to `target`, whatever its section says.
    pub fn attach_to(&self, target: &AttachTarget, options: &AttachOptions) -> Result<Link> {
        attach(self.fd(), target, options)
    }

    /// Attaches it to tracepoint `category/name`.
    pub fn attach_tracepoint(
        &self,
        category: &str,
        name: &str,
        options: &TracepointOptions,
    ) -> Result<Link> {
        attach_tracepoint(self.fd(), category, name, options)
    }

    /// Attaches it to raw tracepoint `name`.
    pub fn attach_raw_tracepoint(&self, name: &str) -> Result<Link> {
        attach_raw_tracepoint(self.fd(), name)
    }

    /// Attaches it to the target it was loaded against (tp_btf, fentry,
    /// fexit, fmod_ret, lsm).
    pub fn attach_tracing(&self, options: &TracingOptions) -> Result<Link> {
        let name = self
            .attach_btf()
            .map_or_else(|| self.section().to_owned(), |b| b.name.clone());
        let attach_type = self
            .expected_attach_type()
            .ok_or_else(|| AttachError::BadTarget {
                kind: corex_object::AttachKind::Fentry,
                target: name.clone(),
                why: "the program was loaded without an expected attach type".into(),
            })?;
        attach_tracing(self.fd(), attach_type, &name, options)
    }

    /// Attaches it to kernel function `function`.
    pub fn attach_kprobe(&self, function: &str, options: &KprobeOptions) -> Result<Link> {
        attach_kprobe(self.fd(), function, options)
    }

    /// Attaches it to the entry (or return) of syscall `syscall`.
    pub fn attach_ksyscall(&self, syscall: &str, options: &KprobeOptions) -> Result<Link> {
        attach_ksyscall(self.fd(), syscall, options)
    }

    /// Attaches it to every kernel function of `target`.
    pub fn attach_kprobe_multi(
        &self,
        target: KprobeMultiTarget<'_>,
        options: &KprobeMultiOptions,
    ) -> Result<Link> {
        attach_kprobe_multi(self.fd(), target, options)
    }

    /// Attaches it to `binary` (a path, a library's or an executable's
    /// name) at `options.function` + `options.offset`.
    pub fn attach_uprobe(&self, binary: &str, options: &UprobeOptions) -> Result<Link> {
        attach_uprobe(self.fd(), binary, options)
    }
}
