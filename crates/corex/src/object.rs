//! The open and configure phases: a BPF object parsed (no kernel touched)
//! and the choices made before loading it.

use std::path::Path;
use std::sync::Arc;

use corex_object::load::{GlobalValue, KernelBtf, LoadConfig, PlanError};
use corex_object::{AttachPoint, Object};

use crate::error::{Error, Result};
use crate::kernel::display_path;
use crate::loaded::LoadedObject;
use crate::Kernel;

/// A BPF object opened from a file or bytes, not yet loaded: libbpf's
/// `struct bpf_object` between `bpf_object__open` and `bpf_object__load`.
/// Loading does not consume it, so one parsed object can be loaded several
/// times (into the same kernel, or planned against several).
///
/// ```no_run
/// let mut obj = corex::OpenObject::open("prog.bpf.o")?;
/// obj.load_only(&["handle_exec"])?;
/// obj.set_pin_root("/sys/fs/bpf/myapp");
/// let loaded = obj.load()?;
/// # Ok::<(), corex::Error>(())
/// ```
pub struct OpenObject {
    source: String,
    object: Object,
    config: LoadConfig,
    core_btf: Option<Arc<KernelBtf>>,
}

/// A program of an open object, as the object declares it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OpenProgram<'o> {
    /// Its name.
    pub name: &'o str,
    /// Its ELF section.
    pub section: &'o str,
    /// What the section says about its type and attach point (`None` for
    /// a section libbpf does not know).
    pub attach: Option<&'o AttachPoint>,
    /// Whether it will be loaded, as configured so far.
    pub autoload: bool,
}

impl OpenObject {
    /// Reads and parses the BPF object at `path`. Errors name the file and
    /// what is wrong with it (section, offset); nothing reaches the kernel.
    pub fn open(path: impl AsRef<Path>) -> Result<OpenObject> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        let source = display_path(path);
        let object = Object::parse(&bytes).map_err(|source_err| Error::Parse {
            object: source.clone(),
            source: source_err,
        })?;
        let config = LoadConfig::for_file(&path.to_string_lossy());
        Ok(OpenObject {
            source,
            object,
            config,
            core_btf: None,
        })
    }

    /// Parses a BPF object held in memory; `name` names it in messages and
    /// gives libbpf's object name (the part before the first `.`), which
    /// prefixes the names of its global data maps.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<OpenObject> {
        let object = Object::parse(bytes).map_err(|source| Error::Parse {
            object: name.to_owned(),
            source,
        })?;
        Ok(OpenObject {
            source: name.to_owned(),
            object,
            config: LoadConfig::for_file(name),
            core_btf: None,
        })
    }

    /// libbpf's object name (`execsnoop` for `execsnoop.bpf.o`).
    pub fn name(&self) -> &str {
        self.config.object_name()
    }

    /// The file (or name) messages call the object.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed object: programs, maps, global data, externs, BTF.
    pub fn object(&self) -> &Object {
        &self.object
    }

    /// The programs (not the `.text` functions they call), in object order.
    pub fn programs(&self) -> impl Iterator<Item = OpenProgram<'_>> + '_ {
        self.object
            .programs
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.subprog)
            .map(|(i, p)| OpenProgram {
                name: &p.name,
                section: &p.section,
                attach: p.attach.as_ref(),
                autoload: self.config.loads(&self.object, i),
            })
    }

    fn plan_error(&self, e: PlanError) -> Error {
        Error::Plan(e.in_object(&self.source))
    }

    /// Loads program `name` or not (libbpf's `bpf_program__set_autoload`).
    pub fn set_autoload(&mut self, name: &str, load: bool) -> Result<()> {
        self.config
            .set_autoload(&self.object, name, load)
            .map_err(|e| self.plan_error(e))
    }

    /// Loads exactly the programs in `names` and none of the others.
    pub fn load_only(&mut self, names: &[&str]) -> Result<()> {
        self.config
            .load_only(&self.object, names)
            .map_err(|e| self.plan_error(e))
    }

    /// Sets the `max_entries` of map `name` (libbpf's
    /// `bpf_map__set_max_entries`).
    pub fn set_max_entries(&mut self, name: &str, entries: u32) -> Result<()> {
        self.config
            .set_max_entries(&self.object, name, entries)
            .map_err(|e| self.plan_error(e))
    }

    /// Creates map `name` or not (libbpf's `bpf_map__set_autocreate`).
    pub fn set_autocreate(&mut self, name: &str, create: bool) -> Result<()> {
        self.config
            .set_autocreate(&self.object, name, create)
            .map_err(|e| self.plan_error(e))
    }

    /// Sets global variable `name` (in `.rodata*`, `.data*` or `.bss`)
    /// before loading, checked against its size and BTF type: how a
    /// `const volatile` parameter gets its value.
    ///
    /// ```no_run
    /// # let mut obj = corex::OpenObject::open("prog.bpf.o")?;
    /// use corex::GlobalValue;
    /// obj.set_global("min_duration_ns", GlobalValue::Int(1_000_000))?;
    /// obj.set_global("filter_comm", GlobalValue::Str("bash"))?;
    /// # Ok::<(), corex::Error>(())
    /// ```
    pub fn set_global(&mut self, name: &str, value: GlobalValue<'_>) -> Result<()> {
        self.config
            .set_global(&self.object, name, value)
            .map_err(|e| self.plan_error(e))
    }

    /// Pins maps declared with `LIBBPF_PIN_BY_NAME` under `dir` (default
    /// `/sys/fs/bpf`), which must be in a BPF file system.
    pub fn set_pin_root(&mut self, dir: impl AsRef<Path>) {
        self.config.set_pin_root(&dir.as_ref().to_string_lossy());
    }

    /// Relocates CO-RE against the BTF in `path` (raw, ELF, `.xz` or
    /// BTFHub's `.tar.xz`) instead of the running kernel's (libbpf's
    /// `btf_custom_path`); module BTFs are then not searched for CO-RE.
    pub fn set_core_btf(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let btf = crate::kernel::read_btf(path).map_err(|why| Error::Kernel {
            input: "the BTF given for CO-RE",
            why,
        })?;
        self.core_btf = Some(Arc::new(KernelBtf::new(display_path(path), btf)));
        Ok(())
    }

    /// Relocates CO-RE against BTF held in memory (raw BTF, or any form
    /// [`set_core_btf`](Self::set_core_btf) reads), called `name` in
    /// messages: BTF a program carries for kernels without their own.
    pub fn set_core_btf_bytes(&mut self, name: &str, btf: &[u8]) -> Result<()> {
        let loaded = corex_btf::load_vec(btf.to_vec(), None).map_err(|e| Error::Kernel {
            input: "the BTF given for CO-RE",
            why: format!("{}: {e}", corex_btf::printable(name)),
        })?;
        self.core_btf = Some(Arc::new(KernelBtf::new(name, Arc::new(loaded.btf))));
        Ok(())
    }

    /// Gives programs `version` as `kern_version`, whatever the object or
    /// the kernel say (libbpf's `bpf_object__set_kversion`).
    pub fn set_kern_version(&mut self, version: u32) {
        self.config.set_kern_version(version);
    }

    /// Loads the object into the running kernel: libbpf's
    /// `bpf_object__load`. All or nothing: on failure everything made so
    /// far is released (and maps it pinned are unpinned), and the error
    /// says what failed and why, with the verifier's log for a refused
    /// program.
    pub fn load(&self) -> Result<LoadedObject> {
        self.load_into(Kernel::running()?)
    }

    /// [`OpenObject::load`] into `kernel` (a fresh [`Kernel`], or one that
    /// pretends to lack features).
    pub fn load_into(&self, kernel: &Kernel) -> Result<LoadedObject> {
        crate::load::load(self, kernel)
    }

    pub(crate) fn parts(&self) -> (&Object, &LoadConfig, Option<&Arc<KernelBtf>>) {
        (&self.object, &self.config, self.core_btf.as_ref())
    }
}

impl std::fmt::Debug for OpenObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenObject")
            .field("source", &self.source)
            .field("programs", &self.object.programs.len())
            .field("maps", &self.object.maps.len())
            .finish_non_exhaustive()
    }
}
