/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * corex execsnoop: what the BPF side (execsnoop.bpf.c) sends to user space.
 * User space mirrors these definitions (the Rust side as #[repr(C)] structs);
 * every layout below is part of the contract and only grows at the end.
 *
 * The header includes nothing: BPF code gets __u16/__u32/__u64/__s32 from
 * vmlinux.h, user-space C from <linux/types.h>.
 */
#ifndef COREX_EXECSNOOP_H
#define COREX_EXECSNOOP_H

/* Length of a task's comm, NUL included (the kernel's TASK_COMM_LEN). */
#define EXECSNOOP_COMM_LEN 16
/* Most bytes of the executed path sent, its NUL included (PATH_MAX). */
#define EXECSNOOP_PATH_MAX 4096
/* Most bytes of arguments sent, every argument's NUL included. */
#define EXECSNOOP_ARGS_MAX 4096
/* Most arguments user space may ask for (max_args is clamped to it). */
#define EXECSNOOP_MAX_ARGS_LIMIT 256
/* max_args when user space leaves it alone. */
#define EXECSNOOP_DEFAULT_MAX_ARGS 20

/*
 * event.flags. Every flag is exact: it is set only when something was really
 * left out, never on a guess (exactly max_args arguments is not truncated, an
 * argument that exactly fills the space left is not cut).
 */
/* The exec had more than max_args arguments: the first max_args were sent,
 * complete unless EXECSNOOP_ARGS_CUT also says otherwise. */
#define EXECSNOOP_ARGS_TRUNCATED (1u << 0)
/* The arguments (within max_args) did not fit in EXECSNOOP_ARGS_MAX bytes: the
 * last argument sent is a prefix of the real one, or the arguments after the
 * last one sent were dropped (or both). */
#define EXECSNOOP_ARGS_CUT (1u << 1)
/* The executed path was longer than EXECSNOOP_PATH_MAX - 1 bytes: a prefix. */
#define EXECSNOOP_PATH_CUT (1u << 2)
/* Reading an argument (or the argv array) faulted: the arguments sent are
 * those read before the fault. Possible only for failed execs, whose argv
 * lives in the caller's memory and may not be resident. */
#define EXECSNOOP_ARGS_FAULT (1u << 3)
/* Reading the path faulted: path is empty. */
#define EXECSNOOP_PATH_FAULT (1u << 4)
/* A failed execveat (retval < 0): path is the string the caller passed, which
 * is relative to the call's directory descriptor unless it is absolute (and
 * empty with AT_EMPTY_PATH). Successful execs always carry the kernel's
 * resolved name (bprm->filename: as given to execve, or /dev/fd/N[/NAME] for
 * execveat on a descriptor). */
#define EXECSNOOP_EXECVEAT (1u << 5)

/*
 * One exec, sent through the ring buffer (execsnoop.bpf.o) or the perf buffer
 * (execsnoop_perf.bpf.o) as one record of exactly
 * offsetof(struct execsnoop_event, data) + path_size + args_size bytes (a perf
 * buffer record may carry up to 7 bytes of padding after it: use the sizes).
 *
 * Successful execs (retval == 0) are captured after the new image is in place
 * (sched_process_exec, or finalize_exec for kprobe/fentry), so pid, uid, comm
 * and the arguments are the new program's: the arguments are read from its
 * memory (mm->arg_start..arg_end), as /proc/PID/cmdline shows them. Failed
 * execs (retval < 0, only when the syscall programs are attached) are
 * reported at the syscall's exit, with the caller's pid, tid, uid and comm and
 * the path and argv the caller passed.
 *
 * data holds path_size bytes of path (NUL-terminated, path_size >= 1), then
 * args_size bytes of arguments: args_count NUL-terminated strings back to back,
 * argv[0] first, exactly as /proc/PID/cmdline shows them (a cut last argument
 * still ends with a NUL). Bytes are the program's own, not UTF-8 checked.
 *
 * offset size field
 *      0    8 ktime_ns    bpf_ktime_get_ns() at capture: CLOCK_MONOTONIC, ns
 *      8    4 pid         thread-group id (after a non-leader thread's exec:
 *                         the leader's id, which the process keeps)
 *     12    4 tid         thread id (== pid after a successful exec)
 *     16    4 ppid        real parent's thread-group id
 *     20    4 uid         real uid (of the new credentials after an exec)
 *     24    4 retval      0, or the failed exec's -errno
 *     28    4 flags       EXECSNOOP_* above
 *     32    2 args_count  arguments in data
 *     34    2 args_size   bytes of arguments in data
 *     36    2 path_size   bytes of path in data, NUL included
 *     38    2 reserved    0
 *     40   16 comm        NUL-terminated
 *     56    - data        path, then arguments
 */
struct execsnoop_event {
	__u64 ktime_ns;
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__s32 retval;
	__u32 flags;
	__u16 args_count;
	__u16 args_size;
	__u16 path_size;
	__u16 reserved;
	char comm[EXECSNOOP_COMM_LEN];
	char data[];
};

/*
 * Keys of the per-CPU `drops` array map: what each CPU's counter counts. User
 * space sums the CPUs' values (and reads them while it runs to report drops as
 * they happen).
 */
enum execsnoop_drop {
	/* An event was lost: the ring buffer had no room, or the perf buffer
	 * output failed (no room, or no reader on that CPU). */
	EXECSNOOP_DROP_OUTPUT = 0,
	/* A failed exec could not be staged at syscall entry (map update
	 * failed), so its failure is not reported. */
	EXECSNOOP_DROP_STAGE = 1,
	EXECSNOOP_DROP_REASONS = 2,
};

#endif /* COREX_EXECSNOOP_H */
