// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The target side of corex's test types: how a "kernel" lays them out. Not a
 * BPF program: crates/cli/tests/reloc_libbpf.rs appends this object's BTF to
 * the running kernel's to make the `base` synthetic target BTF, then edits
 * copies of it (renames, moves, retypes, duplicates) with corex's BTF
 * writer. The layouts differ from the local ones (test_types.h and the
 * err_*.bpf.c programs) on purpose: members are reordered, some are wider,
 * some are missing.
 */
typedef unsigned int corex_u32_t;

enum corex_color {
	COREX_RED = 0,
	COREX_GREEN = 1,
	COREX_BLUE = 2,
	COREX_YELLOW = 3,
	COREX_NEG = -5,
};

enum corex_wide {
	COREX_WIDE_LOW = 1,
	COREX_WIDE_HIGH = 2,
};

/* The test rewrites it as an ENUM64 whose value is 1 << 32. */
enum corex_e64 {
	COREX_E64_BIG = 1,
};

struct corex_inner {
	int a;
	char pad;
	unsigned short b;
	char tag[8];
};

union corex_un {
	int i;
	long l;
	char c;
};

struct corex_test_s {
	unsigned long target_only;
	int i32;
	unsigned int u32;
	unsigned long long u64;
	long i64;
	signed char s8;
	unsigned char u8;
	short s16;
	corex_u32_t td32;
	enum corex_wide wide;
	enum corex_color color;
	struct corex_inner inner;
	struct corex_inner *inner_ptr;
	int arr[8];
	int matrix[4][5];
	struct corex_inner inners[3];
	union {
		int un_a;
		long un_b;
	};
	struct {
		int anon_x;
		struct {
			short deep_y;
		};
	};
	unsigned int bf_b : 9, bf_a : 3, bf_c : 20;
	long long sbf : 12;
	unsigned long long bf_wide : 40;
	char flex[];
};

struct corex_long_leaf {
	int corex_pad;
	int corex_a_member_name_long_enough_to_overflow_libbpfs_spec_buffer_when_nested_in_two_other_long_names;
};

struct corex_long_mid {
	struct corex_long_leaf corex_another_member_with_a_very_long_name_that_goes_on_and_on_and_on_for_a_while;
};

struct corex_long_names {
	long first;
	struct corex_long_mid corex_the_outer_member_also_has_a_long_name_so_that_three_of_them_exceed_the_buffer;
};

typedef struct corex_test_s corex_test_t;
typedef enum corex_color corex_color_t;

typedef struct {
	int x;
	int y;
} corex_anon_t;

struct corex_fn {
	int (*cb)(int, long);
};

/* Declared, never defined: BTF has a FWD behind the pointer. */
struct corex_opaque;

struct corex_opaque_holder {
	struct corex_opaque *p;
};

/* Candidates by essential name (names.bpf.c); `x` sits at a different offset in each. */
struct corex_flv {
	int x;
};

struct corex_flv___a {
	int pad[1];
	int x;
};

struct corex_flv___a___z {
	int pad[2];
	int x;
};

struct corex_flv____odd {
	int pad[3];
	int x;
};

struct corex_flv___ {
	int pad[4];
	int x;
};

struct corex_flv___7 {
	int pad[5];
	int x;
};

struct corex_flv_x {
	int pad[6];
	int x;
};

typedef int (*corex_cb_t)(int a, long b);

/* The error cases' types (err_*.bpf.c); the `dup` and `errors` targets edit them. */
struct corex_amb {
	int a;
	int b;
};

struct corex_amb2 {
	int a;
	long b;
};

struct corex_big {
	int x;
};

struct corex_wide_mem {
	unsigned int v;
};

struct corex_bits {
	unsigned long long f : 10;
};

enum corex_sgn_enum {
	COREX_SGN_NEG = -1,
	COREX_SGN_POS = 1,
};

struct corex_sgn {
	int x;
	enum corex_sgn_enum e;
};

/* Variables of every type above, so that clang emits their full definitions. */
struct corex_test_s corex_keep_test_s;
union corex_un corex_keep_un;
enum corex_e64 corex_keep_e64;
struct corex_long_names corex_keep_long_names;
struct corex_amb corex_keep_amb;
struct corex_amb2 corex_keep_amb2;
struct corex_big corex_keep_big;
struct corex_wide_mem corex_keep_wide_mem;
struct corex_bits corex_keep_bits;
struct corex_sgn corex_keep_sgn;
corex_test_t *corex_keep_test_t;
corex_color_t corex_keep_color_t;
corex_anon_t corex_keep_anon_t;
struct corex_fn corex_keep_fn;
struct corex_opaque_holder corex_keep_opaque_holder;
struct corex_flv corex_keep_flv;
struct corex_flv___a corex_keep_flv___a;
struct corex_flv___a___z corex_keep_flv___a___z;
struct corex_flv____odd corex_keep_flv____odd;
struct corex_flv___ corex_keep_flv___;
struct corex_flv___7 corex_keep_flv___7;
struct corex_flv_x corex_keep_flv_x;
corex_cb_t corex_keep_cb;
