// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * GCC 12's CO-RE on corex's test types (../test_types.h, shared with the
 * clang corpus; GCC ignores their clang attribute pragma, so every access
 * is wrapped in __builtin_preserve_access_index): loads of every integer
 * size, typedef and enum members, nested members, arrays (of
 * scalars, of structs), a pointer member, a union root, a
 * typedef root, and stores (ST with an immediate, STX). GCC 12 emits only
 * field byte offsets (no __builtin_preserve_field_info), and attaches a
 * record to the wrong instruction when several accesses are scheduled
 * together (see err_gcc_misplaced.bpf.c), so each access here is
 * separated from the next by an empty asm statement. Members of anonymous
 * structs and unions are left out: GCC 12 crashes on them (internal compiler
 * error in the RTL expand pass), and so are multi-dimensional arrays (see
 * err_gcc_matrix.bpf.c).
 */
#include "gcc_common.h"
#include "../test_types.h"

/* One relocated load, kept apart from its neighbours. */
#define LOAD(acc, expr)                                          \
	do {                                                     \
		long __v = __builtin_preserve_access_index(expr); \
		asm volatile("" : "+r"(__v));                    \
		(acc) += __v;                                    \
	} while (0)

SEC("raw_tp/corex_fields")
int gcc_fields(u64 *ctx)
{
	struct corex_test_s *s = (void *)ctx[0];
	long acc = 0;

	LOAD(acc, s->i32);
	LOAD(acc, s->u32);
	LOAD(acc, s->i64);
	LOAD(acc, s->u8);
	LOAD(acc, s->s8);
	LOAD(acc, s->s16);
	LOAD(acc, s->u64);
	LOAD(acc, s->td32);
	LOAD(acc, s->color);
	LOAD(acc, s->inner.b);
	LOAD(acc, s->inner.tag[5]);
	LOAD(acc, s->arr[3]);
	LOAD(acc, s->inners[1].a);
	LOAD(acc, s->gone);
	LOAD(acc, (long)s->inner_ptr);
	return acc;
}

SEC("raw_tp/corex_roots")
int gcc_roots(u64 *ctx)
{
	union corex_un *u = (void *)ctx[0];
	corex_test_t *t = (void *)ctx[1];
	struct corex_test_s___old *old = (void *)ctx[2];
	struct corex_absent *absent = (void *)ctx[3];
	long acc = 0;

	LOAD(acc, u->l);
	LOAD(acc, t->u32);
	LOAD(acc, old->old_i32);
	LOAD(acc, absent->x);
	return acc;
}

/*
 * Stores need an lvalue, which __builtin_preserve_access_index is not:
 * they go through a flavor carrying GCC's preserve_access_index attribute
 * (candidate search ignores the `___w` suffix). GCC picks ST for
 * constants, STX for registers.
 */
struct corex_inner___w {
	int a;
	unsigned short b;
	char tag[6];
} PAI;

struct corex_test_s___w {
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
	struct corex_inner___w inner;
} PAI;

SEC("raw_tp/corex_stores")
int gcc_stores(u64 *ctx)
{
	struct corex_test_s___w *s = (void *)ctx[0];
	long v = ctx[1];

	asm volatile("" : "+r"(v));
	s->i32 = 7;
	asm volatile("" ::: "memory");
	s->u8 = 1;
	asm volatile("" ::: "memory");
	s->u64 = v;
	asm volatile("" ::: "memory");
	s->inner.tag[1] = 'x';
	asm volatile("" ::: "memory");
	s->s16 = v;
	return 0;
}
