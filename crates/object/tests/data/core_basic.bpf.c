// Test object for corex-object: programs in several sections (two in one),
// .text subprograms, BTF and legacy-free maps, global data, externs, and
// CO-RE relocations of every kind clang 14 emits. Own minimal types keep it
// independent of any kernel's headers. Rebuild with build.sh.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define PAI __attribute__((preserve_access_index))

struct mm_struct {
	unsigned long start_code;
	unsigned long arg_start;
} PAI;

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags : 3;
	int prio : 5;
	unsigned long long big : 60;
	struct task_struct *real_parent;
	struct mm_struct *mm;
	char comm[16];
	union {
		int anon_a;
		unsigned short anon_b;
	};
	int tail[];
} PAI;

struct task_struct___old {
	long state;
} PAI;

struct task_struct___new {
	unsigned int __state;
} PAI;

enum pid_type { PIDTYPE_PID, PIDTYPE_TGID, PIDTYPE_PGID = 7 };
enum big_enum___x { BIG_ONE = 1, BIG_HUGE = 0x7ffffff0 };

typedef struct { int a; int b; } pair_t;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, 1024);
	__type(key, int);
	__type(value, pair_t);
} pairs SEC(".maps");

const volatile int target_pid = 0;
int hits = 1;
__u64 last_seen;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

char LICENSE[] SEC("license") = "GPL";

__noinline int read_pid(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, pid);
}

static __noinline int twice(int x)
{
	return x * 2;
}

static __noinline int read_comm0(struct task_struct *t)
{
	return twice(BPF_CORE_READ(t, comm[1])) + bpf_core_field_size(t->comm);
}

SEC("tracepoint/sched/sched_process_exec")
int exec_one(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	__u32 key = 0;
	__u64 one = 1;
	int pid = read_pid(t) + read_comm0(t);

	if (pid == target_pid)
		return 0;
	bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	last_seen = LINUX_KERNEL_VERSION + hits;
	return bpf_core_field_exists(t->mm) + BPF_CORE_READ(t, mm, arg_start);
}

SEC("tracepoint/sched/sched_process_exec")
int exec_two(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	long v = 0;

	if (bpf_core_field_exists(((struct task_struct___old *)t)->state))
		v = BPF_CORE_READ((struct task_struct___old *)t, state);
	else
		v = BPF_CORE_READ((struct task_struct___new *)t, __state);
	v += BPF_CORE_READ_BITFIELD_PROBED(t, flags);
	v += BPF_CORE_READ_BITFIELD_PROBED(t, prio);
	v += BPF_CORE_READ_BITFIELD_PROBED(t, big);
	v += __builtin_preserve_field_info(t->prio, 3 /* BPF_FIELD_SIGNED */);
	return v + read_pid(t);
}

SEC("raw_tp/sched_switch")
int types(void *ctx)
{
	long v = 0;

	v += bpf_core_type_exists(struct task_struct___old);
	v += bpf_core_type_size(struct mm_struct);
	v += bpf_core_type_id_local(struct mm_struct);
	v += bpf_core_type_id_kernel(struct task_struct);
	v += bpf_core_type_size(pair_t);
	v += bpf_core_enum_value_exists(enum pid_type, PIDTYPE_PGID);
	v += bpf_core_enum_value(enum pid_type, PIDTYPE_PGID);
	v += bpf_core_enum_value(enum big_enum___x, BIG_HUGE);
	return v;
}

SEC("tp_btf/sched_switch")
int arrays(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct *arr = t;
	int v = BPF_CORE_READ(t, tail[3]);

	v += BPF_CORE_READ(&arr[2], tgid);
	v += BPF_CORE_READ(t, anon_b);
	bpf_ringbuf_output(&events, &v, sizeof(v), 0);
	return v;
}

SEC("?kprobe/do_unlinkat")
int not_loaded(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	return BPF_CORE_READ(t, tgid);
}

SEC("xdp")
int xdp_pass(void *ctx)
{
	return 2;
}
