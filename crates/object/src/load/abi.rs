//! libbpf's rules about the kernel's numbers that the numbers themselves
//! (`corex-uapi`) do not say: which map types take no BTF types, which are
//! ring buffers, how long kernel object names are, `KERNEL_VERSION()`.

use corex_uapi::MapType;

/// Longest object name (maps, programs) the kernel keeps, without its NUL.
pub(crate) const OBJ_NAME_LEN: usize = corex_uapi::flags::sizes::OBJ_NAME_LEN - 1;

/// `s` cut to at most `max` bytes on a character boundary (what libbpf's
/// `libbpf_strlcpy` into a fixed buffer keeps).
pub(crate) fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `t` is a ring buffer (kernel or user), whose size must be a
/// power-of-two multiple of the page size.
pub(crate) fn is_ringbuf(t: MapType) -> bool {
    t == MapType::RINGBUF || t == MapType::USER_RINGBUF
}

/// Whether libbpf creates maps of type `t` without BTF key and value types
/// (`bpf_object__create_map`: the kernel refuses them for these types).
pub(crate) fn refuses_btf_types(t: MapType) -> bool {
    [
        MapType::PERF_EVENT_ARRAY,
        MapType::CGROUP_ARRAY,
        MapType::STACK_TRACE,
        MapType::ARRAY_OF_MAPS,
        MapType::HASH_OF_MAPS,
        MapType::DEVMAP,
        MapType::DEVMAP_HASH,
        MapType::CPUMAP,
        MapType::XSKMAP,
        MapType::SOCKMAP,
        MapType::SOCKHASH,
        MapType::QUEUE,
        MapType::STACK,
    ]
    .contains(&t)
}

/// libbpf's `KERNEL_VERSION(a, b, c)`: the patch level saturates at 255.
pub fn kernel_version(major: u32, minor: u32, patch: u32) -> u32 {
    (major << 16) + (minor << 8) + patch.min(255)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libbpf_rules() {
        assert!(is_ringbuf(MapType::USER_RINGBUF) && !is_ringbuf(MapType::ARRAY));
        assert!(refuses_btf_types(MapType::PERF_EVENT_ARRAY));
        assert!(!refuses_btf_types(MapType::HASH));
        assert_eq!(kernel_version(6, 1, 300), 0x0006_01ff);
        assert_eq!(OBJ_NAME_LEN, 15);
    }
}
