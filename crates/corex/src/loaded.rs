//! A loaded object: its maps and programs by name, its global variables
//! readable and writable by name, everything released on drop (except
//! pins).

use std::os::fd::AsFd;

use corex_object::load::{BtfSource, LoadPlan, MapSource};
use corex_sys::{BtfFd, Mmap, Protection};
use corex_uapi::flags;

use crate::error::{Error, GlobalProblem, MapStep, Result};
use crate::load::Session;
use crate::map::{Map, MapOrigin};
use crate::program::{AttachBtf, Program};
use crate::OpenObject;

/// A global variable: the map of its section and where it is in it.
#[derive(Clone, Debug)]
struct Global {
    name: String,
    section: String,
    /// Index into the object's maps, `None` if the map was not created.
    map: Option<usize>,
    offset: u32,
    size: u32,
}

/// An object loaded into the kernel: libbpf's `struct bpf_object` after
/// `bpf_object__load`. Dropping it releases every map and program (maps
/// pinned in a BPF file system stay there).
///
/// ```no_run
/// let loaded = corex::OpenObject::open("prog.bpf.o")?.load()?;
/// let counts = loaded.map("counts").expect("declared");
/// for key in counts.keys() {
///     let key = key?;
///     println!("{key:?} -> {:?}", counts.lookup(&key)?);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LoadedObject {
    source: String,
    name: String,
    btf: Option<BtfFd>,
    btf_refused: Option<String>,
    maps: Vec<Map>,
    programs: Vec<Program>,
    globals: Vec<Global>,
}

/// The size of an mmap-able array's memory (libbpf's `bpf_map_mmap_sz`).
fn mmap_size(value_size: u32, max_entries: u32) -> usize {
    let page = corex_sys::page_size();
    (value_size.next_multiple_of(8) as usize * max_entries as usize).next_multiple_of(page)
}

impl LoadedObject {
    /// Takes what `session` made: maps (global data mapped where the
    /// kernel allows), programs, globals.
    pub(crate) fn assemble(
        open: &OpenObject,
        plan: &LoadPlan,
        session: Session<'_>,
    ) -> Result<LoadedObject> {
        let object = open.object();
        let source = open.source().to_owned();
        let Session {
            btf,
            btf_refused,
            maps: made_maps,
            programs: made_programs,
            kernel,
            ..
        } = session;
        let mut maps = Vec::new();
        let mut globals = Vec::new();
        for (i, made) in made_maps.into_iter().enumerate() {
            let p = &plan.maps[i];
            let origin = match p.source {
                MapSource::Kconfig => MapOrigin::Kconfig,
                MapSource::Data(d) => MapOrigin::GlobalData {
                    section: object.data[d].name.clone(),
                    read_only: p.freeze,
                },
                _ => MapOrigin::Declared,
            };
            if let MapSource::Data(d) = p.source {
                let data = &object.data[d];
                let map = made.as_ref().map(|_| maps.len());
                globals.extend(data.variables.iter().map(|v| Global {
                    name: v.name.clone(),
                    section: data.name.clone(),
                    map,
                    offset: v.offset,
                    size: v.size,
                }));
            }
            let Some(made) = made else { continue };
            let shape = made.fd.shape();
            let mmap =
                if shape.map_flags & flags::map::MMAPABLE != 0 && data_kind_is_mapped(&origin) {
                    let prot = if p.freeze {
                        Protection::Read
                    } else {
                        Protection::ReadWrite
                    };
                    let len = mmap_size(shape.value_size, shape.max_entries);
                    Some(
                        Mmap::map(made.fd.as_fd(), len, 0, prot).map_err(|e| Error::Map {
                            object: source.clone(),
                            map: p.name.clone(),
                            step: MapStep::Mmap,
                            source: Box::new(e),
                        })?,
                    )
                } else {
                    None
                };
            maps.push(Map {
                name: p.name.clone(),
                id: made.id,
                fd: made.fd,
                origin,
                pin: made.pin,
                reused: made.reused,
                mmap,
                object: source.clone(),
            });
        }
        let programs = made_programs
            .into_iter()
            .zip(&plan.programs)
            .filter_map(|(made, p)| {
                let made = made?;
                let attach_btf = p.attach_btf.map(|t| AttachBtf {
                    type_id: t.id.0,
                    name: p.attach_name.clone().unwrap_or_default(),
                    module: match t.source {
                        BtfSource::Vmlinux => None,
                        BtfSource::Module(m) => kernel
                            .module_btfs()
                            .ok()
                            .and_then(|mods| mods.get(m.0))
                            .map(|m| (m.name().to_owned(), m.id())),
                    },
                });
                Some(Program {
                    name: p.name.clone(),
                    section: p.section.clone(),
                    id: made.id,
                    fd: made.fd,
                    prog_type: p.prog_type,
                    expected_attach_type: p.expected_attach_type,
                    attach: object.programs[p.program].attach.clone(),
                    attach_btf,
                    object: source.clone(),
                })
            })
            .collect();
        Ok(LoadedObject {
            source,
            name: open.name().to_owned(),
            btf,
            btf_refused,
            maps,
            programs,
            globals,
        })
    }

    /// libbpf's object name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file (or name) it was opened from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The kernel id of its program BTF, if it has one loaded.
    pub fn btf_id(&self) -> Option<u32> {
        self.btf.as_ref().and_then(|b| b.info().ok()).map(|i| i.id)
    }

    /// Why the kernel refused the object's program BTF, when it did: the
    /// object then loaded without it (maps without BTF types, programs
    /// without func and line info), as libbpf does.
    pub fn btf_refused(&self) -> Option<&str> {
        self.btf_refused.as_deref()
    }

    /// Its maps, in libbpf's order (declared maps, then global data, then
    /// `.kconfig`); maps not created are absent.
    pub fn maps(&self) -> impl Iterator<Item = &Map> + '_ {
        self.maps.iter()
    }

    /// The map called `name`.
    pub fn map(&self, name: &str) -> Option<&Map> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// Takes map `name` out of the object, to keep it beyond it.
    pub fn take_map(&mut self, name: &str) -> Option<Map> {
        let at = self.maps.iter().position(|m| m.name == name)?;
        for g in &mut self.globals {
            g.map = match g.map {
                Some(m) if m == at => None,
                Some(m) if m > at => Some(m - 1),
                other => other,
            };
        }
        Some(self.maps.remove(at))
    }

    /// Its loaded programs, in object order.
    pub fn programs(&self) -> impl Iterator<Item = &Program> + '_ {
        self.programs.iter()
    }

    /// The program called `name`.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// Takes program `name` out of the object, to keep it beyond it.
    pub fn take_program(&mut self, name: &str) -> Option<Program> {
        let at = self.programs.iter().position(|p| p.name == name)?;
        Some(self.programs.remove(at))
    }

    fn global_entry(&self, name: &str) -> Result<(&Global, &Map)> {
        let not_found = || Error::NotFound {
            object: self.source.clone(),
            kind: "global variable",
            name: name.to_owned(),
        };
        let g = self
            .globals
            .iter()
            .find(|g| g.name == name)
            .ok_or_else(not_found)?;
        let map = g
            .map
            .and_then(|m| self.maps.get(m))
            .ok_or_else(|| Error::Global {
                object: self.source.clone(),
                name: name.to_owned(),
                why: GlobalProblem::NotCreated {
                    section: g.section.clone(),
                },
            })?;
        Ok((g, map))
    }

    /// The current value of global variable `name` (its bytes), read from
    /// the map's memory where it is mapped, else with a map lookup.
    pub fn global(&self, name: &str) -> Result<Vec<u8>> {
        let (g, map) = self.global_entry(name)?;
        let mut out = vec![0u8; g.size as usize];
        if let Some(mem) = &map.mmap {
            mem.copy_to(g.offset as usize, &mut out);
            return Ok(out);
        }
        let value = map.lookup(&[0; 4])?.unwrap_or_default();
        let at = g.offset as usize;
        if let Some(bytes) = value.get(at..at + out.len()) {
            out.copy_from_slice(bytes);
        }
        Ok(out)
    }

    /// Writes `value` (exactly the variable's size) into global variable
    /// `name` of a writable section (`.data*`, `.bss`): through the map's
    /// memory where it is mapped (programs see it at once), else by
    /// rewriting the section's value (not atomic with programs' writes).
    pub fn set_global(&self, name: &str, value: &[u8]) -> Result<()> {
        let (g, map) = self.global_entry(name)?;
        let problem = |why| Error::Global {
            object: self.source.clone(),
            name: name.to_owned(),
            why,
        };
        if value.len() != g.size as usize {
            return Err(problem(GlobalProblem::Size {
                expected: g.size,
                given: value.len(),
            }));
        }
        if matches!(
            map.origin,
            MapOrigin::GlobalData {
                read_only: true,
                ..
            } | MapOrigin::Kconfig
        ) {
            return Err(problem(GlobalProblem::ReadOnly {
                section: g.section.clone(),
            }));
        }
        if let Some(mem) = &map.mmap {
            mem.copy_from(g.offset as usize, value);
            return Ok(());
        }
        let mut whole = map.lookup(&[0; 4])?.unwrap_or_default();
        let at = g.offset as usize;
        if let Some(dst) = whole.get_mut(at..at + value.len()) {
            dst.copy_from_slice(value);
        }
        map.update(&[0; 4], &whole, 0)
    }
}

/// Whether global data of this origin is mapped into memory (libbpf maps
/// every mmap-able internal map; `.kconfig` too).
fn data_kind_is_mapped(origin: &MapOrigin) -> bool {
    !matches!(origin, MapOrigin::Declared)
}
