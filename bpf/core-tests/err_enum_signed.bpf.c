// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * clang 14 calls an enum with a negative enumerator signed (instruction
 * imm 1) but writes no BTF kflag, from which libbpf computes 0: the check
 * of the instruction against the local spec fails whenever a target has
 * the field ("unexpected insn (ALU/ALU64) value").
 */
#include "common.h"

enum corex_sgn_enum {
	COREX_SGN_NEG = -1,
	COREX_SGN_POS = 1,
};

struct corex_sgn {
	int x;
	enum corex_sgn_enum e;
} __attribute__((preserve_access_index));

SEC("tracepoint/corex/enum_signed")
int enum_signed(void *ctx)
{
	struct corex_sgn *s = ctx;

	return corex_field_signed(s->x) + corex_field_signed(s->e);
}
