// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises every BTF kind clang 14 emits, for corex-btf's differential tests
 * against bpftool (crates/btf/tests/bpftool_compat.rs). Built by build.sh.
 *
 * INT, PTR, ARRAY, STRUCT, UNION (with bitfields), ENUM, FWD (struct and
 * union), TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC (static, global, extern),
 * FUNC_PROTO, VAR (static, global, extern), DATASEC (.data, .rodata, .bss,
 * .maps, .kconfig, .ksyms, a custom section), FLOAT, DECL_TAG, TYPE_TAG.
 * Clang 14 emits neither ENUM64 nor signed ENUM: the tests build those.
 */

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name
#define __tag(s) __attribute__((btf_decl_tag(s)))
#define __type_tag(s) __attribute__((btf_type_tag(s)))
#define __ksym __attribute__((section(".ksyms")))
#define __kconfig __attribute__((section(".kconfig")))

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef long long s64;
typedef _Bool bool;

enum color { RED, GREEN = 5, BLUE = 0xffffffff };
enum small : unsigned char { SMALL_A = 1, SMALL_B = 200 };
enum { ANON_ENUM_X = 7 };

struct fwd_only;      /* FWD struct */
union fwd_union;      /* FWD union */

struct bits {
	u32 a : 3;
	u32 b : 13;
	s8 c : 2;
	u64 d : 40;
	bool flag : 1;
	u16 tail;
} __tag("bits_struct");

union number {
	u32 word;
	float f;
	double d;
	struct {
		u8 lo : 4, hi : 4;
	} nibbles;
	u8 bytes[8];
};

struct node {
	int id __tag("node_id") __tag("second_tag");
	const volatile u64 counter;
	struct node *next;
	struct fwd_only *opaque;
	union fwd_union *opaque_union;
	enum color color;
	enum small small;
	union number num;
	struct bits bits;
	char name[16];
	int matrix[3][4];
	int __type_tag("user") *user_ptr;
	int __type_tag("rcu") __type_tag("percpu") *tagged_ptr;
	void (*callback)(struct node *, int);
	long double ld;
	char flex[];
};

typedef struct node node_t;
typedef node_t *node_ptr;
typedef int (*handler_t)(void *ctx, const char *restrict msg, ...);

/* .maps */
struct {
	__uint(type, 1 /* BPF_MAP_TYPE_HASH */);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct node);
} nodes SEC(".maps");

struct {
	__uint(type, 2 /* BPF_MAP_TYPE_ARRAY */);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, union number);
} numbers SEC(".maps");

/* .data, .rodata, .bss and a custom section */
int data_counter = 1;
static volatile u64 static_data = 42;
const volatile u32 rodata_limit = 10;
const char rodata_msg[] = "hello";
node_t bss_node;
enum color bss_color;
float bss_float;
double bss_double;
int *restrict restrict_ptr;
handler_t bss_handler;
node_ptr bss_node_ptr;
u64 custom_var SEC(".data.custom") = 3;
struct fwd_only *global_fwd_ptr;

/* extern VAR and FUNC: .kconfig and .ksyms */
extern u32 LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig __attribute__((weak));
extern int bpf_ext_func(struct node *n, u32 flags) __ksym;
extern const void bpf_ext_var __ksym;

static __attribute__((noinline)) int static_helper(struct node *n, int depth) __tag("helper")
{
	if (!n || depth > 4)
		return 0;
	return n->id + static_helper(n->next, depth + 1);
}

__attribute__((noinline)) int global_helper(const struct bits *b __tag("param_tag"), u64 x)
{
	return b->a + b->b + (int)x;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_exec(void *ctx)
{
	struct node *n = &bss_node;
	int r = static_helper(n, 0) + global_helper(&n->bits, static_data);

	if (LINUX_KERNEL_VERSION > rodata_limit && CONFIG_BPF_SYSCALL)
		r += bpf_ext_func(n, data_counter) + (int)(long)&bpf_ext_var;
	bss_color = (enum color)r;
	return r + rodata_msg[0] + (int)custom_var + (global_fwd_ptr != 0);
}

char LICENSE[] SEC("license") = "GPL";
