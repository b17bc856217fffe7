//! The enums' behaviour: names both ways, unknown numbers, Debug.

use corex_uapi::{AttachType, BpfCmd, HelperId, LinkType, MapType, ProgType};

#[test]
fn names_round_trip() {
    for t in ProgType::KNOWN {
        assert_eq!(ProgType::from_name(t.name().unwrap()), Some(*t));
    }
    for t in MapType::KNOWN {
        assert_eq!(MapType::from_name(&t.to_string()), Some(*t));
    }
    for t in AttachType::KNOWN {
        assert_eq!(AttachType::from_name(t.name().unwrap()), Some(*t));
    }
    for t in HelperId::KNOWN {
        assert_eq!(HelperId::from_name(t.name().unwrap()), Some(*t));
    }
    assert_eq!(ProgType::from_name("kprobe"), Some(ProgType::KPROBE));
    assert_eq!(
        AttachType::from_name("trace_kprobe_multi"),
        Some(AttachType::TRACE_KPROBE_MULTI)
    );
    assert_eq!(ProgType::from_name("Kprobe"), None);
}

#[test]
fn well_known_values() {
    assert_eq!(HelperId::PROBE_READ_USER_STR.0, 114);
    assert_eq!(
        HelperId::PROBE_READ_USER_STR.to_string(),
        "bpf_probe_read_user_str"
    );
    assert_eq!(BpfCmd::MAP_CREATE.to_string(), "BPF_MAP_CREATE");
    assert_eq!(BpfCmd::PROG_RUN, BpfCmd::PROG_TEST_RUN);
    assert_eq!(MapType::RINGBUF.0, 27);
    assert_eq!(LinkType::PERF_EVENT.to_string(), "perf_event");
    assert_eq!(AttachType::PERF_EVENT.c_name(), Some("BPF_PERF_EVENT"));
    assert!(MapType::PERCPU_ARRAY.is_per_cpu() && !MapType::ARRAY.is_per_cpu());
    assert!(MapType::HASH_OF_MAPS.is_map_in_map());
}

/// A number from a kernel newer than the tables keeps its value and prints
/// as bpftool prints it.
#[test]
fn unknown_numbers() {
    let p = ProgType(4242);
    assert!(!p.is_known());
    assert_eq!(p.name(), None);
    assert_eq!(p.c_name(), None);
    assert_eq!(p.to_string(), "type 4242");
    assert_eq!(format!("{p:?}"), "ProgType(4242)");
    assert_eq!(u32::from(p), 4242);
    assert_eq!(AttachType(900).to_string(), "attach_type 900");
    assert_eq!(HelperId(195896080).to_string(), "helper#195896080");
    assert_eq!(BpfCmd(77).to_string(), "BPF command 77");
    assert_eq!(
        format!("{:?}", ProgType::TRACEPOINT),
        "ProgType::TRACEPOINT"
    );
}

/// Tables are in the kernel's order without duplicate values.
#[test]
fn tables_are_ordered() {
    fn strictly_increasing(v: impl Iterator<Item = u32>) -> bool {
        let v: Vec<u32> = v.collect();
        v.windows(2).all(|w| w[0] < w[1])
    }
    assert!(strictly_increasing(ProgType::KNOWN.iter().map(|t| t.0)));
    assert!(strictly_increasing(MapType::KNOWN.iter().map(|t| t.0)));
    assert!(strictly_increasing(AttachType::KNOWN.iter().map(|t| t.0)));
    assert!(strictly_increasing(LinkType::KNOWN.iter().map(|t| t.0)));
    assert!(strictly_increasing(HelperId::KNOWN.iter().map(|t| t.0)));
    assert!(strictly_increasing(BpfCmd::KNOWN.iter().map(|t| t.0)));
}
