// SPDX-License-Identifier: GPL-2.0
/*
 * corex execsnoop, BPF side. Built twice from this source (../build.sh):
 * execsnoop.bpf.o sends events through a ring buffer (EXECSNOOP_RINGBUF=1,
 * kernels 5.8+), execsnoop_perf.bpf.o through a perf event array (older
 * kernels, or --buffer perf). Both have the same programs, globals and other
 * maps; see README.md for the design and execsnoop.h for the event.
 *
 * Successful execs: one program per attach mode, all running after the new
 * image is in place (user space attaches exactly one of them):
 *   exec_tp            tracepoint/sched/sched_process_exec
 *   exec_raw_tp        raw_tracepoint/sched_process_exec
 *   exec_tp_btf        tp_btf/sched_process_exec
 *   exec_kprobe        kprobe/finalize_exec
 *   exec_kprobe_multi  kprobe.multi/finalize_exec
 *   exec_fentry        fentry/finalize_exec
 * Failed execs (user space attaches all four, and sets stage_failed, for -x):
 *   enter_execve, enter_execveat  stage the caller's path and argv pointers
 *   exit_execve, exit_execveat    report the exec if it failed, drop the stage
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "execsnoop.h"

#ifndef EXECSNOOP_RINGBUF
#error "build with -DEXECSNOOP_RINGBUF=1 (ring buffer) or -DEXECSNOOP_RINGBUF=0 (perf buffer)"
#endif

char LICENSE[] SEC("license") = "GPL";

/* ---- Configuration, set by user space before load ---- */

/* Arguments to send per exec (--max-args); clamped to EXECSNOOP_MAX_ARGS_LIMIT. */
const volatile u32 max_args = EXECSNOOP_DEFAULT_MAX_ARGS;
/* -u UID: report only execs whose real uid is target_uid. */
const volatile bool filter_uid = false;
const volatile u32 target_uid = 0;
/* -c CGROUP: report only execs of tasks under the cgroup whose descriptor user
 * space stored at index 0 of cgroup_filter. */
const volatile bool filter_cgroup = false;
/* false: the exec programs send nothing (failed-only reporting); they still
 * drop stale stages. */
const volatile bool report_success = true;
/*
 * Ring buffer only: 0 lets the kernel wake the reader whenever it has caught
 * up (every event at a low rate: an interrupt per event, which costs more than
 * building the event, ~25 us on a virtual machine). N > 0: wake it only when
 * N bytes are waiting; the reader then also polls with a timeout to pick up
 * what stays below N. (The perf buffer's wake-ups are set by user space when
 * it opens the perf events: wakeup_events / wakeup_watermark.)
 */
const volatile u32 wakeup_bytes = 0;
/* true when the syscall programs are attached (-x): the exec programs then
 * remove the exec'ing task's stage too, for kernels whose syscall exit does
 * not run after a successful exec. */
const volatile bool stage_failed = false;

/* ---- Maps ---- */

#if EXECSNOOP_RINGBUF
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20); /* bytes; user space may resize */
} events SEC(".maps");
#else
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
	/* max_entries: the loader sizes it to the possible CPUs */
} events SEC(".maps");
#endif

/* Per-CPU drop counters, keyed by enum execsnoop_drop. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EXECSNOOP_DROP_REASONS);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

/* The cgroup of -c, at index 0. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroup_filter SEC(".maps");

/*
 * A staged exec: what the syscall entry saw, for the exit to report if the
 * exec fails. Only user pointers are kept (24 bytes): a failed exec leaves the
 * caller's memory as it was, so the exit reads the strings then.
 */
struct stage {
	u64 path;  /* const char __user * */
	u64 argv;  /* const char __user *const __user * */
	u32 flags; /* EXECSNOOP_EXECVEAT or 0 */
	u32 reserved;
};

/*
 * Keyed by the exec'ing task's task_struct address, not its tid: a
 * non-leader thread's successful exec takes the leader's pid, so a tid key
 * would be looked up under another id at the exit and leak; the task_struct
 * stays the same. LRU and bounded: an entry that still leaked (a task killed
 * between entry and exit) is evicted, never fills the map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, u64);
	__type(value, struct stage);
} stages SEC(".maps");

/*
 * Where an event is built: the header, then a window of DATA_WINDOW bytes for
 * path and arguments, then as much slack, so that every (offset, size) pair
 * masked to the window stays inside the value in the verifier's eyes.
 */
#define DATA_WINDOW 8192 /* >= EXECSNOOP_PATH_MAX + EXECSNOOP_ARGS_MAX, a power of two */
#define HEAP_DATA (2 * DATA_WINDOW)
#define EVENT_MAX (sizeof(struct execsnoop_event) + EXECSNOOP_PATH_MAX + EXECSNOOP_ARGS_MAX)

struct heap {
	u64 cursor; /* read_args' position in the new image's arguments */
	u8 bytes[sizeof(struct execsnoop_event) + HEAP_DATA]; /* a struct execsnoop_event */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct heap);
} heap SEC(".maps");

/* Keeps the compiler from moving a bounds check away from the value's uses. */
#define pin_value(var) asm volatile("" : "+r"(var))

/* Map-memory accesses the compiler may neither cache nor drop (see read_args). */
#define load_u16(p) (*(volatile u16 *)(p))
#define load_u64(p) (*(volatile u64 *)(p))
#define store_u16(p, v) (*(volatile u16 *)(p) = (v))
#define store_u64(p, v) (*(volatile u64 *)(p) = (v))

static __always_inline void count_drop(u32 reason)
{
	u64 *counter = bpf_map_lookup_elem(&drops, &reason);

	/* Atomic even though the value is this CPU's: a program preempted on
	 * this CPU (migrate_disable only) may be interrupted by another. */
	if (counter)
		__sync_fetch_and_add(counter, 1);
}

/* Whether the current task passes -u and -c. */
static __always_inline bool wanted(void)
{
	if (filter_uid && (u32)bpf_get_current_uid_gid() != target_uid)
		return false;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

static __always_inline u64 current_task_key(void)
{
	return (u64)bpf_get_current_task();
}

/* Whether the byte at user address p is NUL (false if it cannot be read). */
static __always_inline bool user_nul_at(const char *p)
{
	char c = 1;

	return bpf_probe_read_user(&c, 1, p) == 0 && c == 0;
}

static __always_inline bool kernel_nul_at(const char *p)
{
	char c = 1;

	return bpf_probe_read_kernel(&c, 1, p) == 0 && c == 0;
}

/* Fills the header fields common to every event; path and args come later. */
static __always_inline void fill_header(struct execsnoop_event *ev, s32 retval, u32 flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 pid_tgid = bpf_get_current_pid_tgid();

	ev->ktime_ns = bpf_ktime_get_ns();
	ev->pid = pid_tgid >> 32;
	ev->tid = (u32)pid_tgid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (u32)bpf_get_current_uid_gid();
	ev->retval = retval;
	ev->flags = flags;
	ev->args_count = 0;
	ev->args_size = 0;
	ev->path_size = 0;
	ev->reserved = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/*
 * Copies the path into the start of data: from kernel memory (the kernel's
 * bprm->filename) or from user memory (a failed exec's argument).
 */
static __always_inline void read_path(struct execsnoop_event *ev, const char *path, bool user)
{
	long n;

	if (user)
		n = bpf_probe_read_user_str(ev->data, EXECSNOOP_PATH_MAX, path);
	else
		n = bpf_probe_read_kernel_str(ev->data, EXECSNOOP_PATH_MAX, path);
	if (n <= 0) {
		/* 0 is an empty string: the helpers return 0 for it, not 1, and copy no NUL */
		ev->data[0] = '\0';
		ev->path_size = 1;
		if (n < 0)
			ev->flags |= EXECSNOOP_PATH_FAULT;
		return;
	}
	/* A full buffer is a cut path unless the source's NUL sits right there. */
	if (n == EXECSNOOP_PATH_MAX &&
	    !(user ? user_nul_at(path + n - 1) : kernel_nul_at(path + n - 1)))
		ev->flags |= EXECSNOOP_PATH_CUT;
	ev->path_size = n;
}

/*
 * Copies up to max_args NUL-terminated arguments into data after the path,
 * from user memory: when argv is 0, from the block [h->cursor, end) of
 * consecutive strings (the new image's mm->arg_start..arg_end); otherwise
 * from the argv array the caller of a failed exec passed. Sets args_count,
 * args_size and the ARGS_* flags exactly. A BPF subprogram: the loop is
 * verified once per program instead of being copied into each.
 *
 * The loop keeps its running values (bytes used, arguments sent, the cursor)
 * in the map value, read and written through volatile accesses, not in
 * registers: the verifier does not track map memory, so every iteration
 * reaches the loop head in the same state and verifying costs one pass per
 * iteration (with registers, each iteration's exact ranges would keep the
 * states apart and 60 arguments would exceed the verifier's 1M-instruction
 * budget).
 */
static __noinline void read_args(struct heap *h, unsigned long end, const char *const *argv)
{
	struct execsnoop_event *ev = (struct execsnoop_event *)h->bytes;
	u32 limit = max_args < EXECSNOOP_MAX_ARGS_LIMIT ? max_args : EXECSNOOP_MAX_ARGS_LIMIT;
	u32 base = ev->path_size;
	const char *arg;
	u32 i, used, room, off;
	long n;

	store_u16(&ev->args_count, 0);
	store_u16(&ev->args_size, 0);
	for (i = 0; i <= EXECSNOOP_MAX_ARGS_LIMIT; i++) {
		if (argv) {
			if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i])) {
				ev->flags |= EXECSNOOP_ARGS_FAULT;
				break;
			}
			if (!arg)
				break;
		} else {
			arg = (const char *)load_u64(&h->cursor);
			if ((unsigned long)arg >= end)
				break;
		}
		/* There is one more argument: is there leave to send it? */
		if (i >= limit) {
			ev->flags |= EXECSNOOP_ARGS_TRUNCATED;
			break;
		}
		used = load_u16(&ev->args_size);
		if (used >= EXECSNOOP_ARGS_MAX) {
			ev->flags |= EXECSNOOP_ARGS_CUT;
			break;
		}
		/* The masks change nothing (room <= ARGS_MAX, base + used <
		 * DATA_WINDOW); they show the verifier both are bounded, and
		 * pin_value keeps the compiler from proving them useless. */
		room = EXECSNOOP_ARGS_MAX - used;
		off = base + used;
		pin_value(room);
		pin_value(off);
		room &= DATA_WINDOW - 1;
		off &= DATA_WINDOW - 1;
		n = bpf_probe_read_user_str(ev->data + off, room, arg);
		if (n < 0) {
			ev->flags |= EXECSNOOP_ARGS_FAULT;
			break;
		}
		if (n == 0) {
			/* An empty argument: the helper returns 0 for it, not 1,
			 * and copies no NUL. */
			ev->data[off] = '\0';
			n = 1;
		}
		store_u16(&ev->args_count, load_u16(&ev->args_count) + 1);
		store_u16(&ev->args_size, used + n);
		/* Filled the room: cut, unless the argument's own NUL is the last byte. */
		if (n == room && !user_nul_at(arg + n - 1)) {
			ev->flags |= EXECSNOOP_ARGS_CUT;
			break;
		}
		store_u64(&h->cursor, (u64)arg + n);
	}
}

/* Sends the event built in ev: exactly its header, path and arguments. */
static __always_inline void output(void *ctx, struct execsnoop_event *ev)
{
	u64 size = sizeof(*ev) + ev->path_size + ev->args_size;
	long err;

	pin_value(size);
	if (size > EVENT_MAX)
		return; /* cannot happen: path_size and args_size are bounded */
#if EXECSNOOP_RINGBUF
	u64 flags = 0;

	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP :
				BPF_RB_NO_WAKEUP;
	err = bpf_ringbuf_output(&events, ev, size, flags);
#else
	err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, size);
#endif
	if (err)
		count_drop(EXECSNOOP_DROP_OUTPUT);
}

/*
 * A successful exec, from any attach mode: path is the kernel's copy of the
 * executed name (bprm->filename); the arguments come from the new image.
 */
static __noinline int report_exec(void *ctx, const char *path)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct execsnoop_event *ev;
	struct heap *h;
	u32 zero = 0;

	if (stage_failed) {
		u64 key = current_task_key();

		bpf_map_delete_elem(&stages, &key);
	}
	if (!report_success || !wanted())
		return 0;
	h = bpf_map_lookup_elem(&heap, &zero);
	if (!h)
		return 0;
	ev = (struct execsnoop_event *)h->bytes;
	fill_header(ev, 0, 0);
	read_path(ev, path, false);
	h->cursor = BPF_CORE_READ(task, mm, arg_start);
	read_args(h, BPF_CORE_READ(task, mm, arg_end), 0);
	output(ctx, ev);
	return 0;
}

/* ---- Successful execs, one program per attach mode ---- */

SEC("tracepoint/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	/* __data_loc: the low 16 bits are the string's offset in the record. */
	u32 loc = ctx->__data_loc_filename;

	return report_exec(ctx, (const char *)ctx + (loc & 0xffff));
}

SEC("raw_tracepoint/sched_process_exec")
int exec_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	/* TP_PROTO(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];

	return report_exec(ctx, BPF_CORE_READ(bprm, filename));
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_tp_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return report_exec(ctx, bprm->filename);
}

/*
 * finalize_exec(bprm) runs at the end of loading the new image (binfmt_elf
 * calls it after create_elf_tables() set mm->arg_start/arg_end, just before
 * start_thread()), once per successful exec, from which nothing fails. It is a
 * global, exported, out-of-line function in every kernel from 4.18 on; see
 * README.md for the check on Debian's 5.10, 6.1 and 6.12.
 */
SEC("kprobe/finalize_exec")
int BPF_KPROBE(exec_kprobe, struct linux_binprm *bprm)
{
	return report_exec(ctx, BPF_CORE_READ(bprm, filename));
}

SEC("kprobe.multi/finalize_exec")
int BPF_KPROBE(exec_kprobe_multi, struct linux_binprm *bprm)
{
	return report_exec(ctx, BPF_CORE_READ(bprm, filename));
}

SEC("fentry/finalize_exec")
int BPF_PROG(exec_fentry, struct linux_binprm *bprm)
{
	return report_exec(ctx, bprm->filename);
}

/* ---- Failed execs: stage at entry, report at exit ---- */

static __always_inline int stage_exec(u64 path, u64 argv, u32 flags)
{
	struct stage stage = { .path = path, .argv = argv, .flags = flags };
	u64 key = current_task_key();

	if (!wanted())
		return 0;
	if (bpf_map_update_elem(&stages, &key, &stage, BPF_ANY))
		count_drop(EXECSNOOP_DROP_STAGE);
	return 0;
}

static __always_inline int report_failure(void *ctx, long ret)
{
	u64 key = current_task_key();
	struct stage *stage;
	struct heap *h;
	u32 zero = 0;

	stage = bpf_map_lookup_elem(&stages, &key);
	if (!stage)
		return 0;
	if (ret < 0 && (h = bpf_map_lookup_elem(&heap, &zero))) {
		struct execsnoop_event *ev = (struct execsnoop_event *)h->bytes;

		fill_header(ev, ret, stage->flags);
		read_path(ev, (const char *)stage->path, true);
		read_args(h, 0, (const char *const *)stage->argv);
		output(ctx, ev);
	}
	bpf_map_delete_elem(&stages, &key);
	return 0;
}

/* execve(const char *filename, const char *const *argv, const char *const *envp) */
SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct syscall_trace_enter *ctx)
{
	return stage_exec(ctx->args[0], ctx->args[1], 0);
}

/* execveat(int dfd, const char *filename, const char *const *argv, const char *const *envp, int flags) */
SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct syscall_trace_enter *ctx)
{
	return stage_exec(ctx->args[1], ctx->args[2], EXECSNOOP_EXECVEAT);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct syscall_trace_exit *ctx)
{
	return report_failure(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct syscall_trace_exit *ctx)
{
	return report_failure(ctx, ctx->ret);
}
