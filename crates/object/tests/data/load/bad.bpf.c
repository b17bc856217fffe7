// SPDX-License-Identifier: GPL-2.0
/* Objects the plan must refuse, one mistake each, chosen by -DCASE=N
 * (build.sh builds bad_N.bpf.o for each case).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rq {
	int cpu;
};

#if CASE == 1 /* an extern in a section other than .kconfig and .ksyms */
extern int in_odd_section __attribute__((section(".odd")));
#define USE in_odd_section
#elif CASE == 2 /* a kconfig extern of a struct type */
struct cfg {
	int a;
};
extern struct cfg CONFIG_STRUCTURED __kconfig;
#define USE CONFIG_STRUCTURED.a
#elif CASE == 3 /* a LINUX_ extern libbpf does not provide, not weak */
extern int LINUX_MADE_UP __kconfig;
#define USE LINUX_MADE_UP
#elif CASE == 4 /* a typed ksym the kernel does not have, not weak */
extern const int corex_no_such_ksym __ksym;
#define USE (*(int *)bpf_this_cpu_ptr(&corex_no_such_ksym))
#elif CASE == 5 /* a typed ksym declared with the wrong type */
extern const struct rq bpf_prog_active __ksym;
#define USE (((struct rq *)bpf_this_cpu_ptr(&bpf_prog_active))->cpu)
#elif CASE == 6 /* a kfunc the kernel does not have, not weak */
extern void corex_no_such_kfunc(void) __ksym;
#define USE (corex_no_such_kfunc(), 0)
#elif CASE == 7 /* an array map with 8-byte keys */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} wide_keys SEC(".maps");
#define USE (bpf_map_lookup_elem(&wide_keys, &(__u64){0}) != 0)
#elif CASE == 8 /* a stack trace map whose values are not 8-byte words */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4);
	__uint(key_size, 4);
	__uint(value_size, 12);
} odd_stacks SEC(".maps");
#define USE (bpf_map_lookup_elem(&odd_stacks, &(__u32){0}) != 0)
#elif CASE == 9 /* a ring buffer without a size */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
} no_size SEC(".maps");
#define USE bpf_ringbuf_output(&no_size, &(int){0}, 4, 0)
#elif CASE == 10 /* a map definition with a field libbpf does not know */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
	__uint(colour, 3);
} strange SEC(".maps");
#define USE (bpf_map_lookup_elem(&strange, &(__u32){0}) != 0)
#endif

#if CASE == 11 /* a static program */
SEC("tp/sched/sched_switch")
static __attribute__((used)) int hidden_prog(void *ctx)
{
	return 0;
}
#elif CASE == 12 /* a section no program type goes with */
SEC("corex_unknown/thing")
int unknown_section(void *ctx)
{
	return 0;
}
#elif CASE == 13 /* an fentry on a function the kernel does not have */
SEC("fentry/corex_no_such_function")
int missing_target(void *ctx)
{
	return 0;
}
#elif CASE == 14 /* a tp_btf on a tracepoint the kernel does not have */
SEC("tp_btf/corex_no_such_tracepoint")
int missing_tracepoint(void *ctx)
{
	return 0;
}
#else
SEC("tp/sched/sched_switch")
int uses(void *ctx)
{
	return USE;
}
#endif

char LICENSE[] SEC("license") = "GPL";
