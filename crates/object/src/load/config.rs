//! What the user decides between opening an object and loading it
//! (libbpf's configure phase): which programs load, map sizes and whether
//! maps are created, global variables' initial values, the pin directory
//! and `kern_version`. Every setter checks the name against the object and
//! says what is wrong.

use std::collections::HashMap;

use super::error::{PlanError, Problem};
use super::globals::{self, GlobalValue};
use super::link::is_subprog;
use crate::Object;

/// libbpf's default pin directory.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf";

/// Choices made before loading one object.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    object_name: String,
    /// The file the object came from, for messages.
    source: Option<String>,
    pin_root: String,
    /// Per program (index into [`Object::programs`]): load it or not.
    autoload: HashMap<usize, bool>,
    max_entries: HashMap<String, u32>,
    autocreate: HashMap<String, bool>,
    /// Initial contents of global data sections (index into
    /// [`Object::data`]) that differ from the file's.
    data: HashMap<usize, Vec<u8>>,
    kern_version: Option<u32>,
}

impl LoadConfig {
    /// The defaults for an object called `object_name` (libbpf: the file
    /// name up to its first `.`; see [`object_name_of`]), which prefixes
    /// the names of `.data`, `.rodata`, `.bss` and `.kconfig` maps.
    pub fn new(object_name: &str) -> LoadConfig {
        LoadConfig {
            object_name: object_name.to_owned(),
            source: None,
            pin_root: DEFAULT_PIN_ROOT.to_owned(),
            autoload: HashMap::new(),
            max_entries: HashMap::new(),
            autocreate: HashMap::new(),
            data: HashMap::new(),
            kern_version: None,
        }
    }

    /// The defaults for the object read from `path`: its object name is
    /// [`object_name_of`] the path, and errors name the path.
    pub fn for_file(path: &str) -> LoadConfig {
        let mut config = LoadConfig::new(&object_name_of(path));
        config.source = Some(path.to_owned());
        config
    }

    /// The object name.
    pub fn object_name(&self) -> &str {
        &self.object_name
    }

    /// What errors call the object: its file, else its name.
    pub fn source(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.object_name)
    }

    /// Where maps pinned by name go (default `/sys/fs/bpf`).
    pub fn pin_root(&self) -> &str {
        &self.pin_root
    }

    /// Pins maps declared with `LIBBPF_PIN_BY_NAME` under `dir`.
    pub fn set_pin_root(&mut self, dir: &str) {
        self.pin_root = dir.trim_end_matches('/').to_owned();
        if self.pin_root.is_empty() {
            self.pin_root.push('/');
        }
    }

    fn program(obj: &Object, name: &str) -> Result<usize, PlanError> {
        let index = obj
            .programs
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| Problem::NoSuchProgram {
                name: name.to_owned(),
            })?;
        if is_subprog(obj, index) {
            return Err(Problem::NotAProgram {
                name: name.to_owned(),
            }
            .into());
        }
        Ok(index)
    }

    /// Loads program `name` or not (libbpf's `bpf_program__set_autoload`).
    pub fn set_autoload(&mut self, obj: &Object, name: &str, load: bool) -> Result<(), PlanError> {
        let index = LoadConfig::program(obj, name)?;
        self.autoload.insert(index, load);
        Ok(())
    }

    /// Loads exactly the programs in `names`, none of the others.
    pub fn load_only(&mut self, obj: &Object, names: &[&str]) -> Result<(), PlanError> {
        let chosen = names
            .iter()
            .map(|n| LoadConfig::program(obj, n))
            .collect::<Result<Vec<_>, _>>()?;
        for index in 0..obj.programs.len() {
            if !is_subprog(obj, index) {
                self.autoload.insert(index, chosen.contains(&index));
            }
        }
        Ok(())
    }

    /// Whether program `index` (of [`Object::programs`]) loads: its own
    /// setting, else libbpf's default (every program not in a `?` section).
    pub fn loads(&self, obj: &Object, index: usize) -> bool {
        !is_subprog(obj, index)
            && self
                .autoload
                .get(&index)
                .copied()
                .unwrap_or(obj.programs[index].autoload)
    }

    fn map_exists(obj: &Object, name: &str) -> Result<(), PlanError> {
        if obj.maps.iter().any(|m| m.name == name) {
            return Ok(());
        }
        Err(Problem::NoSuchMap {
            name: name.to_owned(),
        }
        .into())
    }

    /// Overrides the `max_entries` of the map declared as `name`.
    pub fn set_max_entries(&mut self, obj: &Object, name: &str, n: u32) -> Result<(), PlanError> {
        LoadConfig::map_exists(obj, name)?;
        self.max_entries.insert(name.to_owned(), n);
        Ok(())
    }

    /// The `max_entries` override of map `name`.
    pub(crate) fn max_entries(&self, name: &str) -> Option<u32> {
        self.max_entries.get(name).copied()
    }

    /// Creates map `name` or not (libbpf's `bpf_map__set_autocreate`); a
    /// program that uses a map not created fails verification with a
    /// message naming the map.
    pub fn set_autocreate(
        &mut self,
        obj: &Object,
        name: &str,
        create: bool,
    ) -> Result<(), PlanError> {
        LoadConfig::map_exists(obj, name)?;
        self.autocreate.insert(name.to_owned(), create);
        Ok(())
    }

    /// The autocreate setting of map `name`.
    pub(crate) fn autocreate(&self, name: &str) -> Option<bool> {
        self.autocreate.get(name).copied()
    }

    /// Sets global variable `name` (in `.data*`, `.rodata*` or `.bss`) to
    /// `value`, checked against its size and BTF type.
    pub fn set_global(
        &mut self,
        obj: &Object,
        name: &str,
        value: GlobalValue<'_>,
    ) -> Result<(), PlanError> {
        let place = globals::find(obj, name)?;
        let bytes = globals::encode(obj, name, &place, value)?;
        let section = &obj.data[place.data];
        let contents = self.data.entry(place.data).or_insert_with(|| {
            let mut init = section.init.clone();
            init.resize(usize::try_from(section.size).unwrap_or(init.len()), 0);
            init
        });
        let at = place.offset as usize;
        match contents.get_mut(at..at + bytes.len()) {
            Some(dst) => dst.copy_from_slice(&bytes),
            None => {
                return Err(Problem::Variable {
                    name: name.to_owned(),
                    why: super::error::VariableProblem::NotLoaded {
                        section: section.name.clone(),
                    },
                }
                .into())
            }
        }
        Ok(())
    }

    /// The initial contents of global data section `index` of
    /// [`Object::data`], with the values set so far.
    pub fn data_contents(&self, obj: &Object, index: usize) -> Vec<u8> {
        self.data.get(&index).cloned().unwrap_or_else(|| {
            let d = &obj.data[index];
            let mut init = d.init.clone();
            init.resize(usize::try_from(d.size).unwrap_or(init.len()), 0);
            init
        })
    }

    /// Gives programs `version` as `kern_version` (libbpf's
    /// `bpf_object__set_kversion`), whatever the object or kernel say.
    pub fn set_kern_version(&mut self, version: u32) {
        self.kern_version = Some(version);
    }

    /// The `kern_version` override.
    pub(crate) fn kern_version(&self) -> Option<u32> {
        self.kern_version
    }
}

/// libbpf's object name for a file path: the file name cut to 15 bytes,
/// then up to its first `.` (`execsnoop` for `/tmp/execsnoop.bpf.o`).
pub fn object_name_of(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let file = super::abi::cut(file, super::abi::OBJ_NAME_LEN);
    file.split('.').next().unwrap_or(file).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names() {
        assert_eq!(object_name_of("/tmp/execsnoop.bpf.o"), "execsnoop");
        assert_eq!(object_name_of("prog.o"), "prog");
        assert_eq!(object_name_of("noext"), "noext");
        assert_eq!(object_name_of(".hidden.o"), "");
        assert_eq!(
            object_name_of("a_very_long_object_name.o"),
            "a_very_long_obj"
        );
    }
}
