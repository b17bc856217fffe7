// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * clang 14 emits a 64-bit enumerator as a 32-bit BTF ENUM value (truncated
 * to 0) but loads the full value (1 << 32) into the instruction, so libbpf's
 * check of the instruction against the local spec fails whenever a target
 * has the enum ("unexpected insn (LDIMM64) value"). Without a candidate the
 * instruction is poisoned and nothing is checked.
 */
#include "common.h"

enum corex_e64 {
	COREX_E64_BIG = 0x100000000ULL,
};

SEC("tracepoint/corex/enum64_local")
int enum64_local(void *ctx)
{
	return bpf_core_enum_value(enum corex_e64, COREX_E64_BIG);
}
