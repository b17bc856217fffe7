//! Maps: reuse a compatible pinned map or create the map (its inner map
//! template first; with BTF key and value types when the kernel takes
//! them, else again without), write its initial contents, freeze it, set
//! its map-in-map slots, pin it. Program arrays get their slots once the
//! programs are loaded.

use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

use corex_object::load::{MapCreate as PlannedCreate, MapId, PinnedMapInfo, SlotInit, SlotValue};
use corex_sys::{MapCreate, MapFd};

use super::{MadeMap, Session};
use crate::error::{Error, MapStep, Result};

/// Key 0 of an array map, where global data lives.
const KEY_ZERO: [u8; 4] = [0; 4];

impl Session<'_> {
    fn map_error(&self, id: MapId, step: MapStep, source: corex_sys::Error) -> Error {
        Error::Map {
            object: self.source.to_owned(),
            map: self.plan.maps[id.0].name.clone(),
            step,
            source: Box::new(source),
        }
    }

    /// Creates (or reuses) map `id` and sets it up.
    pub(super) fn create_map(&mut self, id: MapId) -> Result<()> {
        let plan = &self.plan.maps[id.0];
        if !plan.autocreate {
            return Ok(());
        }
        if let Some(path) = &plan.pin_path {
            if let Some(reused) = self.reuse_pinned(id, path)? {
                self.maps[id.0] = Some(reused);
                return Ok(());
            }
        }
        let inner = match &plan.inner {
            Some(inner) => Some(
                self.create_one(inner, None)
                    .map_err(|e| self.map_error(id, MapStep::CreateInner, e))?,
            ),
            None => None,
        };
        let fd = self
            .create_one(&plan.create, inner.as_ref())
            .map_err(|e| self.map_error(id, MapStep::Create, e))?;
        drop(inner);
        let info = fd
            .info()
            .map_err(|e| self.map_error(id, MapStep::Create, e))?;
        if let Some(value) = &plan.initial_value {
            fd.update(&KEY_ZERO, value, 0)
                .map_err(|e| self.map_error(id, MapStep::SetInitialValue, e))?;
        }
        if plan.freeze {
            fd.freeze()
                .map_err(|e| self.map_error(id, MapStep::Freeze, e))?;
        }
        let slots: Vec<SlotInit> = self
            .plan
            .map_slots
            .iter()
            .filter(|s| s.map == id)
            .copied()
            .collect();
        for slot in slots {
            self.set_slot(&fd, slot)?;
        }
        let mut pin = None;
        if let Some(path) = &plan.pin_path {
            self.pin(&fd, path)
                .map_err(|e| self.map_error(id, MapStep::Pin(path.clone()), e))?;
            pin = Some(path.into());
        }
        self.maps[id.0] = Some(MadeMap {
            fd,
            id: info.id,
            reused: false,
            pin,
        });
        Ok(())
    }

    /// The map pinned at `path` if there is one and it is compatible; an
    /// error naming the difference if it is not.
    fn reuse_pinned(&self, id: MapId, path: &str) -> Result<Option<MadeMap>> {
        let fd = match MapFd::from_pinned(Path::new(path), 0) {
            Ok(fd) => fd,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(self.map_error(id, MapStep::OpenPinned(path.to_owned()), e)),
        };
        let info = fd
            .info()
            .map_err(|e| self.map_error(id, MapStep::OpenPinned(path.to_owned()), e))?;
        let pinned = PinnedMapInfo {
            map_type: info.map_type,
            key_size: info.key_size,
            value_size: info.value_size,
            max_entries: info.max_entries,
            map_flags: info.map_flags,
            map_extra: info.map_extra,
        };
        if let Some(problem) = self.plan.maps[id.0].pin_mismatch(&pinned) {
            return Err(Error::PinnedMap {
                object: self.source.to_owned(),
                map: self.plan.maps[id.0].name.clone(),
                problem,
            });
        }
        Ok(Some(MadeMap {
            fd,
            id: info.id,
            reused: true,
            pin: Some(path.into()),
        }))
    }

    /// `BPF_MAP_CREATE` as planned, with the program BTF's key and value
    /// types when the map has them and the BTF is loaded; on failure, again
    /// without them (libbpf's retry).
    fn create_one(
        &self,
        planned: &PlannedCreate,
        inner: Option<&MapFd>,
    ) -> corex_sys::Result<MapFd> {
        let mut attrs = MapCreate::new(
            planned.map_type,
            planned.key_size,
            planned.value_size,
            planned.max_entries,
        );
        attrs.map_flags = planned.map_flags;
        attrs.numa_node = planned.numa_node;
        attrs.map_extra = planned.map_extra;
        attrs.name = &planned.name;
        attrs.inner_map = inner.map(AsFd::as_fd);
        if let (Some(btf), true) = (&self.btf, planned.has_btf_types()) {
            let mut with_btf = attrs.clone();
            with_btf.btf = Some(btf.as_fd());
            with_btf.btf_key_type_id = planned.btf_key_type_id.0;
            with_btf.btf_value_type_id = planned.btf_value_type_id.0;
            if let Ok(fd) = MapFd::create(&with_btf) {
                return Ok(fd);
            }
        }
        MapFd::create(&attrs)
    }

    /// Sets a map-in-map or program-array slot.
    fn set_slot(&self, outer: &MapFd, slot: SlotInit) -> Result<()> {
        let (fd, to) = match slot.value {
            SlotValue::Map(m) => (
                self.maps[m.0].as_ref().map(|made| made.fd.as_raw_fd()),
                self.plan.maps[m.0].name.clone(),
            ),
            SlotValue::Program(p) => {
                let index = self.plan.programs.iter().position(|x| x.program == p);
                (
                    index
                        .and_then(|i| self.programs[i].as_ref())
                        .map(|made| made.fd.as_raw_fd()),
                    index.map_or_else(String::new, |i| self.plan.programs[i].name.clone()),
                )
            }
        };
        let step = MapStep::SetSlot {
            slot: slot.slot,
            to,
        };
        let value = fd.unwrap_or(-1).to_ne_bytes();
        outer
            .update(&slot.slot.to_ne_bytes(), &value, 0)
            .map_err(|e| self.map_error(slot.map, step, e))
    }

    /// Puts the loaded programs into their program arrays.
    pub(super) fn fill_program_arrays(&mut self) -> Result<()> {
        for &slot in &self.plan.prog_slots {
            let Some(outer) = &self.maps[slot.map.0] else {
                continue;
            };
            if let Err(e) = self.set_slot(&outer.fd, slot) {
                self.culprit = Some(super::Culprit::Map(slot.map));
                return Err(e);
            }
        }
        Ok(())
    }
}
