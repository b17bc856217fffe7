/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The local (program side) view of corex's own test types. No kernel has
 * them: only the synthetic target BTFs of crates/cli/tests/reloc_libbpf.rs
 * do, built from target_types.c's definitions and then edited (renamed,
 * moved, retyped, duplicated members and enumerators). Against a kernel's
 * BTF every relocation on them finds no candidate.
 */
#ifndef COREX_CORE_TESTS_TEST_TYPES_H
#define COREX_CORE_TESTS_TEST_TYPES_H

#include "common.h"

enum corex_color {
	COREX_RED = 0,
	COREX_GREEN = 1,
	COREX_BLUE = 2,
	COREX_NEG = -5,
};

/* Made an ENUM64 with a value above 2^32 by one synthetic target. */
enum corex_wide {
	COREX_WIDE_LOW = 1,
	COREX_WIDE_HIGH = 2,
};

typedef unsigned int corex_u32_t;
typedef enum corex_color corex_color_t;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct corex_inner {
	int a;
	unsigned short b;
	char tag[6];
};

union corex_un {
	int i;
	long l;
};

struct corex_test_s {
	int i32;
	unsigned int u32;
	long i64;
	unsigned char u8;
	signed char s8;
	short s16;
	unsigned long long u64;
	corex_u32_t td32;
	enum corex_color color;
	enum corex_wide wide;
	struct corex_inner inner;
	struct corex_inner *inner_ptr;
	int arr[4];
	int matrix[3][5];
	struct corex_inner inners[2];
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
	unsigned int bf_a : 3, bf_b : 7, bf_c : 22;
	long long sbf : 12;
	unsigned long long bf_wide : 40;
	int gone;
	char flex[];
};

/* An older layout of the same type: `i32` was called `old_i32`. */
struct corex_test_s___old {
	int old_i32;
	unsigned int u32;
};

/*
 * Member names long enough that libbpf's formatted spec (a 256-byte buffer
 * in bpf_core_calc_relo_insn) is cut short.
 */
struct corex_long_leaf {
	int corex_a_member_name_long_enough_to_overflow_libbpfs_spec_buffer_when_nested_in_two_other_long_names;
};

struct corex_long_mid {
	struct corex_long_leaf corex_another_member_with_a_very_long_name_that_goes_on_and_on_and_on_for_a_while;
};

struct corex_long_names {
	int first;
	struct corex_long_mid corex_the_outer_member_also_has_a_long_name_so_that_three_of_them_exceed_the_buffer;
};

/* A root type behind a typedef: libbpf searches candidates by the typedef's name. */
typedef struct corex_test_s corex_test_t;

#pragma clang attribute pop

/* A typedef of an anonymous struct: type relocations go by the typedef's name. */
typedef struct {
	int x;
	int y;
} corex_anon_t;

/* type_matches flavors (see common.h). */
struct corex_inner___tm {
	int a;
	unsigned short b;
	char tag[6];
};

struct corex_test_s___tm {
	int i32;
	unsigned int u32;
	struct corex_inner *inner_ptr;
};

/* Function pointers: same arity and matching parameter types. */
struct corex_fn___tm {
	int (*cb)(int, long);
};

/* Only declared in the target: a FWD behind the pointer matches a struct. */
struct corex_opaque {
	int hidden;
};

struct corex_opaque_holder___tm {
	struct corex_opaque *p;
};

enum corex_color___tm {
	COREX_RED___tm = 0,
	COREX_GREEN___tm = 1,
};

/* No target BTF has this type. */
struct corex_absent {
	int x;
};

#endif
