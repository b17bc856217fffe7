//! The kernel's numbers the load plan writes: program, attach and map types,
//! flags, helper ids and `ld_imm64`/`call` pseudo sources. The one place they
//! live until `corex-uapi` (shared with `corex-sys`) replaces this module.

/// Names of `BPF_PROG_TYPE_*`, indexed by number (libbpf's names).
const PROG_TYPE_NAMES: &[&str] = &[
    "unspec",
    "socket_filter",
    "kprobe",
    "sched_cls",
    "sched_act",
    "tracepoint",
    "xdp",
    "perf_event",
    "cgroup_skb",
    "cgroup_sock",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "sock_ops",
    "sk_skb",
    "cgroup_device",
    "sk_msg",
    "raw_tracepoint",
    "cgroup_sock_addr",
    "lwt_seg6local",
    "lirc_mode2",
    "sk_reuseport",
    "flow_dissector",
    "cgroup_sysctl",
    "raw_tracepoint_writable",
    "cgroup_sockopt",
    "tracing",
    "struct_ops",
    "ext",
    "lsm",
    "sk_lookup",
    "syscall",
];

/// Names of `enum bpf_attach_type`, indexed by number (libbpf's names).
const ATTACH_TYPE_NAMES: &[&str] = &[
    "cgroup_inet_ingress",
    "cgroup_inet_egress",
    "cgroup_inet_sock_create",
    "cgroup_sock_ops",
    "sk_skb_stream_parser",
    "sk_skb_stream_verdict",
    "cgroup_device",
    "sk_msg_verdict",
    "cgroup_inet4_bind",
    "cgroup_inet6_bind",
    "cgroup_inet4_connect",
    "cgroup_inet6_connect",
    "cgroup_inet4_post_bind",
    "cgroup_inet6_post_bind",
    "cgroup_udp4_sendmsg",
    "cgroup_udp6_sendmsg",
    "lirc_mode2",
    "flow_dissector",
    "cgroup_sysctl",
    "cgroup_udp4_recvmsg",
    "cgroup_udp6_recvmsg",
    "cgroup_getsockopt",
    "cgroup_setsockopt",
    "trace_raw_tp",
    "trace_fentry",
    "trace_fexit",
    "modify_return",
    "lsm_mac",
    "trace_iter",
    "cgroup_inet4_getpeername",
    "cgroup_inet6_getpeername",
    "cgroup_inet4_getsockname",
    "cgroup_inet6_getsockname",
    "xdp_devmap",
    "cgroup_inet_sock_release",
    "xdp_cpumap",
    "sk_lookup",
    "xdp",
    "sk_skb_verdict",
    "sk_reuseport_select",
    "sk_reuseport_select_or_migrate",
    "perf_event",
    "trace_kprobe_multi",
    "lsm_cgroup",
];

/// A `BPF_PROG_TYPE_*` number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProgType(pub u32);

impl ProgType {
    /// `BPF_PROG_TYPE_SOCKET_FILTER`.
    pub const SOCKET_FILTER: ProgType = ProgType(1);
    /// `BPF_PROG_TYPE_KPROBE`.
    pub const KPROBE: ProgType = ProgType(2);
    /// `BPF_PROG_TYPE_XDP`.
    pub const XDP: ProgType = ProgType(6);
    /// `BPF_PROG_TYPE_TRACING`.
    pub const TRACING: ProgType = ProgType(26);
    /// `BPF_PROG_TYPE_STRUCT_OPS`.
    pub const STRUCT_OPS: ProgType = ProgType(27);
    /// `BPF_PROG_TYPE_EXT`.
    pub const EXT: ProgType = ProgType(28);
    /// `BPF_PROG_TYPE_LSM`.
    pub const LSM: ProgType = ProgType(29);

    /// libbpf's name (`kprobe`, `tracing`, ...), if the number is known.
    pub fn name(self) -> Option<&'static str> {
        PROG_TYPE_NAMES.get(self.0 as usize).copied()
    }

    /// The program type libbpf calls `name`.
    pub fn from_name(name: &str) -> Option<ProgType> {
        position(PROG_TYPE_NAMES, name).map(ProgType)
    }
}

/// An `enum bpf_attach_type` number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttachType(pub u32);

impl AttachType {
    /// `BPF_TRACE_RAW_TP`.
    pub const TRACE_RAW_TP: AttachType = AttachType(23);
    /// `BPF_LSM_MAC`.
    pub const LSM_MAC: AttachType = AttachType(27);
    /// `BPF_TRACE_ITER`.
    pub const TRACE_ITER: AttachType = AttachType(28);
    /// `BPF_LSM_CGROUP`.
    pub const LSM_CGROUP: AttachType = AttachType(43);

    /// libbpf's name (`trace_fentry`, ...), if the number is known.
    pub fn name(self) -> Option<&'static str> {
        ATTACH_TYPE_NAMES.get(self.0 as usize).copied()
    }

    /// The attach type libbpf calls `name`.
    pub fn from_name(name: &str) -> Option<AttachType> {
        position(ATTACH_TYPE_NAMES, name).map(AttachType)
    }
}

/// A `BPF_MAP_TYPE_*` number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapType(pub u32);

impl MapType {
    /// `BPF_MAP_TYPE_ARRAY`.
    pub const ARRAY: MapType = MapType(2);
    /// `BPF_MAP_TYPE_PROG_ARRAY`.
    pub const PROG_ARRAY: MapType = MapType(3);
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
    pub const PERF_EVENT_ARRAY: MapType = MapType(4);
    /// `BPF_MAP_TYPE_STACK_TRACE`.
    pub const STACK_TRACE: MapType = MapType(7);
    /// `BPF_MAP_TYPE_CGROUP_ARRAY`.
    pub const CGROUP_ARRAY: MapType = MapType(8);
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
    pub const ARRAY_OF_MAPS: MapType = MapType(12);
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`.
    pub const HASH_OF_MAPS: MapType = MapType(13);
    /// `BPF_MAP_TYPE_DEVMAP`.
    pub const DEVMAP: MapType = MapType(14);
    /// `BPF_MAP_TYPE_SOCKMAP`.
    pub const SOCKMAP: MapType = MapType(15);
    /// `BPF_MAP_TYPE_CPUMAP`.
    pub const CPUMAP: MapType = MapType(16);
    /// `BPF_MAP_TYPE_XSKMAP`.
    pub const XSKMAP: MapType = MapType(17);
    /// `BPF_MAP_TYPE_SOCKHASH`.
    pub const SOCKHASH: MapType = MapType(18);
    /// `BPF_MAP_TYPE_QUEUE`.
    pub const QUEUE: MapType = MapType(22);
    /// `BPF_MAP_TYPE_STACK`.
    pub const STACK: MapType = MapType(23);
    /// `BPF_MAP_TYPE_DEVMAP_HASH`.
    pub const DEVMAP_HASH: MapType = MapType(25);
    /// `BPF_MAP_TYPE_STRUCT_OPS`.
    pub const STRUCT_OPS: MapType = MapType(26);
    /// `BPF_MAP_TYPE_RINGBUF`.
    pub const RINGBUF: MapType = MapType(27);
    /// `BPF_MAP_TYPE_USER_RINGBUF`.
    pub const USER_RINGBUF: MapType = MapType(31);

    /// libbpf's name (`hash`, `ringbuf`, ...), if the number is known.
    pub fn name(self) -> Option<&'static str> {
        crate::maps::map_type_name(self.0)
    }

    /// Whether maps of this type hold other maps.
    pub fn is_map_in_map(self) -> bool {
        self == MapType::ARRAY_OF_MAPS || self == MapType::HASH_OF_MAPS
    }

    /// Whether this is a ring buffer (kernel or user), whose size must be a
    /// power-of-two multiple of the page size.
    pub fn is_ringbuf(self) -> bool {
        self == MapType::RINGBUF || self == MapType::USER_RINGBUF
    }

    /// Whether the kernel refuses BTF key/value types for this map type, so
    /// libbpf never passes them (`bpf_object__create_map`).
    pub fn refuses_btf_types(self) -> bool {
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
        .contains(&self)
    }
}

fn position(names: &[&str], name: &str) -> Option<u32> {
    names
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u32::try_from(i).ok())
}

/// `BPF_F_RDONLY_PROG`: programs may only read the map.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_MMAPABLE`: the array map can be mmap()ed.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;
/// `BPF_F_SLEEPABLE`: the program may sleep.
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;
/// `BPF_F_XDP_HAS_FRAGS`: the XDP program handles multi-buffer packets.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// `ld_imm64` source: the immediate is a map fd.
pub const PSEUDO_MAP_FD: u8 = 1;
/// `ld_imm64` source: map fd in the first immediate, value offset in the second.
pub const PSEUDO_MAP_VALUE: u8 = 2;
/// `ld_imm64` source: a kernel BTF VAR id, module BTF fd in the second immediate.
pub const PSEUDO_BTF_ID: u8 = 3;

/// `bpf_probe_read` helper id.
pub const HELPER_PROBE_READ: i32 = 4;
/// `bpf_probe_read_str` helper id.
pub const HELPER_PROBE_READ_STR: i32 = 45;
/// `bpf_probe_read_user` helper id.
pub const HELPER_PROBE_READ_USER: i32 = 112;
/// `bpf_probe_read_kernel` helper id.
pub const HELPER_PROBE_READ_KERNEL: i32 = 113;
/// `bpf_probe_read_user_str` helper id.
pub const HELPER_PROBE_READ_USER_STR: i32 = 114;
/// `bpf_probe_read_kernel_str` helper id.
pub const HELPER_PROBE_READ_KERNEL_STR: i32 = 115;

/// Longest object name (maps, programs) the kernel keeps, without its NUL.
pub const OBJ_NAME_LEN: usize = 15;

/// libbpf's `KERNEL_VERSION(a, b, c)`: the patch level saturates at 255.
pub fn kernel_version(major: u32, minor: u32, patch: u32) -> u32 {
    (major << 16) + (minor << 8) + patch.min(255)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_numbers() {
        assert_eq!(ProgType::from_name("tracing"), Some(ProgType::TRACING));
        assert_eq!(ProgType::from_name("lsm"), Some(ProgType::LSM));
        assert_eq!(ProgType(31).name(), Some("syscall"));
        assert_eq!(
            AttachType::from_name("trace_raw_tp"),
            Some(AttachType::TRACE_RAW_TP)
        );
        assert_eq!(
            AttachType::from_name("lsm_cgroup"),
            Some(AttachType::LSM_CGROUP)
        );
        assert_eq!(AttachType(42).name(), Some("trace_kprobe_multi"));
        assert_eq!(MapType::RINGBUF.name(), Some("ringbuf"));
        assert_eq!(MapType::USER_RINGBUF.name(), Some("user_ringbuf"));
        assert_eq!(kernel_version(6, 1, 300), 0x0006_01ff);
    }
}
