// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Field relocations on corex's test types (test_types.h): byte_off, byte_sz,
 * field_exists, signed, lshift_u64 and rshift_u64 over every member shape:
 * integers of each size and signedness, typedefs, enums, nested and
 * anonymous members, arrays (multi-dimensional, of structs, flexible),
 * pointers and bitfields; as ALU immediates (bpf_core_*, BPF_CORE_READ) and
 * as LDX/ST/STX offsets (direct access); flavors; a .text subprogram; two
 * programs in one section. (Signedness of an enum with negative values is in
 * err_enum_signed.bpf.c: clang 14 and libbpf disagree on it.)
 */
#include "test_types.h"

/* Direct loads: relocated LDX offsets (and memory sizes). */
SEC("raw_tp/corex_direct")
int direct_loads(u64 *ctx)
{
	struct corex_test_s *s = (void *)ctx[0];
	long acc = 0;

	KEEP(acc, s->i32);
	KEEP(acc, s->u32);
	KEEP(acc, s->i64);
	KEEP(acc, s->u8);
	KEEP(acc, s->s8);
	KEEP(acc, s->s16);
	KEEP(acc, s->u64);
	KEEP(acc, s->td32);
	KEEP(acc, s->color);
	KEEP(acc, s->inner.b);
	KEEP(acc, s->arr[3]);
	KEEP(acc, s->matrix[2][4]);
	KEEP(acc, s->inners[1].a);
	KEEP(acc, s->un_b);
	KEEP(acc, s->deep_y);
	KEEP(acc, s->flex[7]);
	return acc;
}

/* Direct stores: relocated ST (immediate) and STX (register) offsets. */
SEC("raw_tp/corex_direct")
int direct_stores(u64 *ctx)
{
	struct corex_test_s *s = (void *)ctx[0];

	s->u32 = 7;
	s->s16 = (short)ctx[1];
	s->u64 = ctx[2];
	s->inner.a = 3;
	return 0;
}

/* Pointer chains and array element addresses through probe reads. */
SEC("tracepoint/corex/reads")
int core_reads(void *ctx)
{
	struct corex_test_s *s = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(s, inner_ptr, b));
	KEEP(acc, BPF_CORE_READ(s, inner_ptr, tag[5]));
	KEEP(acc, BPF_CORE_READ(s, matrix[1][2]));
	KEEP(acc, BPF_CORE_READ(s, inners[1].tag[2]));
	KEEP(acc, BPF_CORE_READ(s, anon_x));
	KEEP(acc, BPF_CORE_READ(s, un_a));
	KEEP(acc, BPF_CORE_READ(s, gone));
	KEEP(acc, BPF_CORE_READ(&s[1], u8));
	return acc;
}

/* Offsets and sizes as immediates. */
SEC("tracepoint/corex/offsets")
int offsets_sizes(void *ctx)
{
	struct corex_test_s *s = ctx;
	long acc = 0;

	KEEP(acc, bpf_core_field_offset(s->i64));
	KEEP(acc, bpf_core_field_offset(s->color));
	KEEP(acc, bpf_core_field_offset(s->inner.tag));
	KEEP(acc, bpf_core_field_offset(s->matrix[2]));
	KEEP(acc, bpf_core_field_offset(s->flex));
	KEEP(acc, bpf_core_field_size(s->u8));
	KEEP(acc, bpf_core_field_size(s->td32));
	KEEP(acc, bpf_core_field_size(s->inner));
	KEEP(acc, bpf_core_field_size(s->inner_ptr));
	KEEP(acc, bpf_core_field_size(s->arr));
	KEEP(acc, bpf_core_field_size(s->matrix[1]));
	KEEP(acc, bpf_core_field_size(s->un_b));
	KEEP(acc, bpf_core_field_size(s->flex));
	return acc;
}

/* Existence, with the guarded reads that make it useful. */
SEC("tracepoint/corex/exists")
int exists(void *ctx)
{
	struct corex_test_s *s = ctx;
	struct corex_test_s___old *o = ctx;
	long acc = 0;

	if (bpf_core_field_exists(s->gone))
		KEEP(acc, BPF_CORE_READ(s, gone));
	if (bpf_core_field_exists(o->old_i32))
		KEEP(acc, BPF_CORE_READ(o, old_i32));
	else
		KEEP(acc, BPF_CORE_READ(s, i32));
	KEEP(acc, bpf_core_field_exists(s->u32));
	KEEP(acc, bpf_core_field_exists(o->u32));
	KEEP(acc, bpf_core_field_exists(s->deep_y));
	KEEP(acc, bpf_core_field_exists(s->arr[3]));
	KEEP(acc, bpf_core_field_exists(s->inner_ptr));
	return acc;
}

/* Signedness of integers, typedefs, enums, pointers and bitfields. */
SEC("tracepoint/corex/signed")
int signedness(void *ctx)
{
	struct corex_test_s *s = ctx;
	long acc = 0;

	KEEP(acc, corex_field_signed(s->i32));
	KEEP(acc, corex_field_signed(s->u32));
	KEEP(acc, corex_field_signed(s->s8));
	KEEP(acc, corex_field_signed(s->u8));
	KEEP(acc, corex_field_signed(s->td32));
	KEEP(acc, corex_field_signed(s->wide));
	KEEP(acc, corex_field_signed(s->inner.a));
	KEEP(acc, corex_field_signed(s->sbf));
	KEEP(acc, corex_field_signed(s->bf_b));
	return acc;
}

/* A union as the root type, and specs longer than libbpf's print buffer. */
SEC("tracepoint/corex/roots")
int other_roots(void *ctx)
{
	union corex_un *u = ctx;
	struct corex_long_names *ln = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(u, l));
	KEEP(acc, bpf_core_field_size(u->i));
	KEEP(acc, BPF_CORE_READ(ln,
		corex_the_outer_member_also_has_a_long_name_so_that_three_of_them_exceed_the_buffer
		.corex_another_member_with_a_very_long_name_that_goes_on_and_on_and_on_for_a_while
		.corex_a_member_name_long_enough_to_overflow_libbpfs_spec_buffer_when_nested_in_two_other_long_names));
	return acc;
}

/* Roots behind a typedef and a const qualifier. */
SEC("tracepoint/corex/qualified_roots")
int qualified_roots(void *ctx)
{
	corex_test_t *t = ctx;
	const struct corex_test_s *c = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ(t, i32));
	KEEP(acc, bpf_core_field_exists(t->gone));
	KEEP(acc, BPF_CORE_READ(c, u64));
	return acc;
}

/* Not loaded by default (`?`): libbpf skips its relocations. */
SEC("?tracepoint/corex/not_autoloaded")
int not_autoloaded(void *ctx)
{
	struct corex_test_s *s = ctx;

	return BPF_CORE_READ(s, i64) + bpf_core_field_size(s->arr);
}

/* Bitfields: byte_off/byte_sz of the load unit, lshift_u64, rshift_u64. */
SEC("raw_tp/corex_bitfields")
int bitfields_direct(u64 *ctx)
{
	struct corex_test_s *s = (void *)ctx[0];
	long acc = 0;

	KEEP(acc, BPF_CORE_READ_BITFIELD(s, bf_a));
	KEEP(acc, BPF_CORE_READ_BITFIELD(s, bf_c));
	KEEP(acc, BPF_CORE_READ_BITFIELD(s, sbf));
	return acc;
}

SEC("tracepoint/corex/bitfields")
int bitfields_probed(void *ctx)
{
	struct corex_test_s *s = ctx;
	long acc = 0;

	KEEP(acc, BPF_CORE_READ_BITFIELD_PROBED(s, bf_b));
	KEEP(acc, BPF_CORE_READ_BITFIELD_PROBED(s, bf_wide));
	/* Plain (non-bitfield) members through the bitfield macro. */
	KEEP(acc, BPF_CORE_READ_BITFIELD_PROBED(s, s16));
	return acc;
}

/* A .text subprogram with relocations of its own, called by two programs. */
static __noinline long inner_sum(struct corex_inner *in)
{
	return BPF_CORE_READ(in, a) + BPF_CORE_READ(in, tag[1]) + bpf_core_field_size(in->tag);
}

SEC("tracepoint/corex/subprog")
int subprog_caller_a(void *ctx)
{
	struct corex_test_s *s = ctx;

	return inner_sum(&s->inner) + bpf_core_field_offset(s->inners[1]);
}

SEC("tracepoint/corex/subprog")
int subprog_caller_b(void *ctx)
{
	return inner_sum(ctx);
}
