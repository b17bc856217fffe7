//! Module BTFs as libbpf's `load_module_btfs` finds them: every kernel BTF
//! object the kernel lists by id that is not vmlinux, its data parsed as
//! split BTF on vmlinux, its fd kept open (programs that call a module's
//! kfunc or attach to a module's function pass it to the kernel).

use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

use corex_btf::Btf;
use corex_object::load::KernelBtf;
use corex_sys::{BtfFd, ObjectKind};

/// A kernel module's BTF, open in the kernel.
pub struct ModuleBtf {
    btf: Arc<KernelBtf>,
    id: u32,
    fd: BtfFd,
}

impl ModuleBtf {
    /// The module's name (`nf_tables`).
    pub fn name(&self) -> &str {
        self.btf.name()
    }

    /// Its BTF, split on vmlinux, with its name index.
    pub fn btf(&self) -> &Arc<KernelBtf> {
        &self.btf
    }

    /// Its kernel BTF object id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// An fd for its kernel BTF object.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl std::fmt::Debug for ModuleBtf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleBtf")
            .field("name", &self.name())
            .field("id", &self.id)
            .finish()
    }
}

/// Every module BTF the kernel holds now, split on `vmlinux`.
pub(super) fn load(vmlinux: &Arc<Btf>) -> Result<Vec<ModuleBtf>, String> {
    let mut modules = Vec::new();
    for id in corex_sys::ids(ObjectKind::Btf) {
        let id = id.map_err(|e| format!("listing the kernel's BTF objects: {e}"))?;
        let fd = match BtfFd::from_id(id) {
            Ok(fd) => fd,
            // Freed between listing and opening (a program's BTF, usually).
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(format!("BTF object {id}: {e}")),
        };
        let info = fd.info().map_err(|e| format!("BTF object {id}: {e}"))?;
        if !info.kernel_btf || info.name == "vmlinux" {
            continue;
        }
        let data = fd
            .data()
            .map_err(|e| format!("BTF of module {}: {e}", corex_btf::printable(&info.name)))?;
        let btf = Btf::from_vec(data, Some(vmlinux.clone())).map_err(|e| {
            format!(
                "BTF of module {} (kernel BTF id {id}): {e}",
                corex_btf::printable(&info.name)
            )
        })?;
        modules.push(ModuleBtf {
            btf: Arc::new(KernelBtf::new(info.name, Arc::new(btf))),
            id,
            fd,
        });
    }
    Ok(modules)
}
