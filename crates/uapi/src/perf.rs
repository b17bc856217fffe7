//! perf_event numbers (`linux/perf_event.h`) that BPF tracing uses: event
//! types, the BPF output counter, sample and record types, `perf_event_attr`
//! flag bits, ioctls and the layout of the mmap'd control page.

use crate::uapi_consts::uapi_consts;

uapi_consts! {
    /// `type`: a hardware counter.
    TYPE_HARDWARE: u32 = 0, "PERF_TYPE_HARDWARE";
    /// `type`: a software counter (`config` is a `PERF_COUNT_SW_*`).
    TYPE_SOFTWARE: u32 = 1, "PERF_TYPE_SOFTWARE";
    /// `type`: a tracepoint (`config` is its tracefs id).
    TYPE_TRACEPOINT: u32 = 2, "PERF_TYPE_TRACEPOINT";
    /// `config` of `TYPE_SOFTWARE`: the CPU clock.
    COUNT_SW_CPU_CLOCK: u64 = 0, "PERF_COUNT_SW_CPU_CLOCK";
    /// `config` of `TYPE_SOFTWARE`: the event `bpf_perf_event_output` writes to.
    COUNT_SW_BPF_OUTPUT: u64 = 10, "PERF_COUNT_SW_BPF_OUTPUT";
    /// `sample_type`: samples carry the raw data (BPF output records).
    SAMPLE_RAW: u64 = 1 << 10, "PERF_SAMPLE_RAW";
    /// Record type: samples were lost (`{ id: u64, lost: u64 }`).
    RECORD_LOST: u32 = 2, "PERF_RECORD_LOST";
    /// Record type: a sample (`{ size: u32, data[size] }` with `SAMPLE_RAW`).
    RECORD_SAMPLE: u32 = 9, "PERF_RECORD_SAMPLE";
    /// `perf_event_open` flag: close the fd on exec.
    FLAG_FD_CLOEXEC: u64 = 1 << 3, "PERF_FLAG_FD_CLOEXEC";
    /// ioctl: enable the event.
    IOC_ENABLE: u64 = 0x2400, "PERF_EVENT_IOC_ENABLE";
    /// ioctl: disable the event.
    IOC_DISABLE: u64 = 0x2401, "PERF_EVENT_IOC_DISABLE";
    /// ioctl: the event's id (writes a `u64`).
    IOC_ID: u64 = 0x8008_2407, "PERF_EVENT_IOC_ID";
    /// ioctl: attach a BPF program (argument: its fd).
    IOC_SET_BPF: u64 = 0x4004_2408, "PERF_EVENT_IOC_SET_BPF";
    /// `perf_event_attr` size with `sig_data`: what corex passes.
    ATTR_SIZE_VER7: u32 = 128, "PERF_ATTR_SIZE_VER7";
    /// Flag word bit: start disabled.
    ATTR_DISABLED: u64 = 1 << 0, "PERF_ATTR_BIT(disabled)";
    /// Flag word bit: children inherit the event.
    ATTR_INHERIT: u64 = 1 << 1, "PERF_ATTR_BIT(inherit)";
    /// Flag word bit: leave out user-space events.
    ATTR_EXCLUDE_USER: u64 = 1 << 4, "PERF_ATTR_BIT(exclude_user)";
    /// Flag word bit: leave out kernel events.
    ATTR_EXCLUDE_KERNEL: u64 = 1 << 5, "PERF_ATTR_BIT(exclude_kernel)";
    /// Flag word bit: `sample_freq` instead of `sample_period`.
    ATTR_FREQ: u64 = 1 << 10, "PERF_ATTR_BIT(freq)";
    /// Flag word bit: enable on the next exec.
    ATTR_ENABLE_ON_EXEC: u64 = 1 << 12, "PERF_ATTR_BIT(enable_on_exec)";
    /// Flag word bit: wake up after `wakeup_watermark` bytes, not events.
    ATTR_WATERMARK: u64 = 1 << 14, "PERF_ATTR_BIT(watermark)";
    /// Flag word bit: the ring is written backwards (overwritable).
    ATTR_WRITE_BACKWARD: u64 = 1 << 27, "PERF_ATTR_BIT(write_backward)";
    /// Control page: `data_head`, written by the kernel (read with acquire).
    MMAP_DATA_HEAD: usize = 1024, "offsetof(struct perf_event_mmap_page, data_head)";
    /// Control page: `data_tail`, written by the reader (store with release).
    MMAP_DATA_TAIL: usize = 1032, "offsetof(struct perf_event_mmap_page, data_tail)";
    /// Control page: `data_offset`, where the data area starts.
    MMAP_DATA_OFFSET: usize = 1040, "offsetof(struct perf_event_mmap_page, data_offset)";
    /// Control page: `data_size`, the data area's size.
    MMAP_DATA_SIZE: usize = 1048, "offsetof(struct perf_event_mmap_page, data_size)";
    /// Size of a record header (`struct perf_event_header`: type u32, misc u16, size u16).
    EVENT_HEADER_SIZE: usize = 8, "sizeof(struct perf_event_header)";
}
