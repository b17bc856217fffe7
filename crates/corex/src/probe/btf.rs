//! BTF and its kinds, probed as libbpf probes them: the load plan's tiny
//! BTF for each feature (the same bytes libbpf loads) given to
//! `BPF_BTF_LOAD`; module BTF by asking for a BTF object's name, which
//! kernels with module BTF answer.

use corex_btf::Endian;
use corex_object::load::{probe_btf, Feature};
use corex_sys::BtfFd;

use super::{Availability, Cause, Missing};

/// BTF, its kinds and module BTF, in libbpf's order.
pub(super) fn btf_features() -> impl Iterator<Item = Feature> {
    Feature::ALL
        .into_iter()
        .filter(|f| f.name().starts_with("btf") || *f == Feature::ModuleBtf)
}

/// Whether the kernel loads the probe BTF of `feature` (and, for module
/// BTF, names BTF objects).
pub(super) fn probe(feature: Feature) -> Availability {
    let Some(bytes) = probe_btf(feature, Endian::native()) else {
        return Availability::Missing(Missing {
            errno: None,
            cause: Cause::Unexpected {
                what: format!("no probe BTF exists for {feature}"),
            },
        });
    };
    let fd = match BtfFd::load(&bytes, None) {
        Ok(fd) => fd,
        Err(e) => {
            let cause = if feature == Feature::Btf || feature == Feature::ModuleBtf {
                super::usual_cause(e.errno())
            } else {
                Cause::BtfKindRefused
            };
            return Availability::Missing(Missing {
                errno: e.errno(),
                cause,
            });
        }
    };
    if feature != Feature::ModuleBtf {
        return Availability::Supported;
    }
    super::from_call(fd.info(), |_| Cause::Unknown)
}
