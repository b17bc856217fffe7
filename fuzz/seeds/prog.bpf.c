// Seed program for the fuzz corpus: exercises most BTF kinds in .BTF and
// func_info, line_info and every kind of CO-RE relocation in .BTF.ext.
// Rebuilt by fuzz/gen-corpus.sh.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define __tag __attribute__((btf_decl_tag("seed")))
#define __user __attribute__((btf_type_tag("user")))

enum state { RUNNING = 0, STOPPED = 4, NEGATIVE = -1 };
enum big { BIG = 0x1ffffffffULL };

struct task {
	int pid;
	unsigned flags : 3;
	unsigned prio : 5;
	enum state state;
	union {
		long l;
		char c[8];
	};
	struct task *parent;
	const volatile char __user *name;
	float load;
	enum big b;
} __attribute__((preserve_access_index));

typedef struct task task_t;
typedef int (*callback_t)(task_t *, ...);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, int);
	__type(value, task_t);
} tasks SEC(".maps");

int counter __tag = 1;
const volatile int config = 2;
char buf[16];
callback_t cb;

static __noinline int helper(struct task *t __tag, int x)
{
	return t->pid + x + bpf_core_field_exists(t->load);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int handle(void *ctx)
{
	struct task *t = (struct task *)ctx;
	int sz = bpf_core_field_size(t->state);
	sz += BPF_CORE_READ_BITFIELD(t, prio);
	sz += bpf_core_type_exists(struct task);
	sz += bpf_core_type_size(task_t);
	sz += bpf_core_enum_value_exists(enum state, STOPPED);
	sz += bpf_core_enum_value(enum state, NEGATIVE);
	sz += bpf_core_type_id_local(struct task);
	sz += bpf_core_type_id_kernel(struct task);
	sz += BPF_CORE_READ(t, parent, pid);
	counter += sz + config + buf[sz & 7];
	return helper(t, sz);
}

char LICENSE[] SEC("license") = "GPL";
