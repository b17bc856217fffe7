//! Event decoding on arbitrary input: any bytes decode or fail with an
//! error, never a panic; any fields encode into a record that decodes back
//! to them (within the BPF side's limits), and every truncation or padding
//! beyond what a perf buffer adds is refused.

use corex_execsnoop::event::{COMM_LEN, HEADER_SIZE};
use corex_execsnoop::{Args, DecodeError, Event, Flags};
use proptest::prelude::*;

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_decode_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(e) = Event::parse(&bytes) {
            prop_assert!(HEADER_SIZE + e.path.len() < bytes.len());
            prop_assert_eq!(e.args.iter().count(), e.args.len());
            prop_assert!(e.comm.len() <= COMM_LEN);
        }
    }

    #[test]
    fn fields_round_trip(
        ktime_ns in any::<u64>(),
        ids in any::<(u32, u32, u32, u32)>(),
        retval in any::<i32>(),
        flags in any::<u32>(),
        comm in prop::collection::vec(1u8..=255, 0..=COMM_LEN),
        path in arg(),
        args in prop::collection::vec(arg(), 0..30),
        padding in 0usize..8,
    ) {
        let arg_refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let event = Event {
            ktime_ns,
            pid: ids.0,
            tid: ids.1,
            ppid: ids.2,
            uid: ids.3,
            retval,
            flags: Flags::from_bits(flags),
            comm: &comm,
            path: &path,
            args: Args::List(&arg_refs),
        };
        let mut record = event.encode();
        let exact = record.len();
        record.resize(exact + padding, 0);
        let e = Event::parse(&record).unwrap();
        prop_assert_eq!(e.ktime_ns, ktime_ns);
        prop_assert_eq!((e.pid, e.tid, e.ppid, e.uid), ids);
        prop_assert_eq!(e.retval, retval);
        prop_assert_eq!(e.flags.bits(), flags);
        prop_assert_eq!(e.comm, &comm[..]);
        prop_assert_eq!(e.path, &path[..]);
        prop_assert_eq!(e.args.iter().collect::<Vec<_>>(), arg_refs);
        record.truncate(exact - 1);
        let refused = matches!(
            Event::parse(&record),
            Err(DecodeError::Sizes { .. } | DecodeError::Short { .. })
        );
        prop_assert!(refused);
        record.resize(exact + 8, 0);
        let refused = matches!(Event::parse(&record), Err(DecodeError::Sizes { .. }));
        prop_assert!(refused);
    }
}
