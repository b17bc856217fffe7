// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: global data. `.rodata` (const volatile, set by user space
 * before load, then frozen), `.data`, `.bss`, and custom `.rodata.*` /
 * `.data.*` sections, each its own array map. BPF_PROG_TEST_RUN of
 * `snapshot` (raw_tp, ctx ignored) copies every global into `out[0]` (struct
 * snapshot) and then changes the writable ones, so a test sets the read-only
 * values, runs the program twice and reads back:
 *
 * - out[0]: the values the program saw on its last run (user-set rodata,
 *   initial or updated data);
 * - the .bss map: bss_runs == 2, bss_squares[i] == i * i;
 * - the .data map: data_u64 == initial + 2; .data.custom: data_custom == 79.
 *
 * Initial values are in the declarations below; `static` globals too
 * (static_counter) land in the same maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum ro_mode { RO_MODE_A = 1, RO_MODE_B = 2, RO_MODE_C = 0x7fffffff };

struct ro_pair {
	u32 a;
	s64 b;
};

/* .rodata: user space overrides these before load. */
const volatile u8 ro_u8 = 0x11;
const volatile s16 ro_s16 = -2;
const volatile u32 ro_u32 = 0x33333333;
const volatile u64 ro_u64 = 0x4444444444444444ULL;
const volatile bool ro_bool = false;
const volatile char ro_str[12] = "rodata";
const volatile struct ro_pair ro_pair = { .a = 5, .b = -6 };
const volatile enum ro_mode ro_mode = RO_MODE_A;
const volatile u32 ro_zero; /* zero-initialised, still .rodata */

/* Custom read-only sections: one map each. */
const volatile u64 ro_custom SEC(".rodata.custom") = 0xc0de;
const volatile u32 ro_custom_arr[3] SEC(".rodata.custom") = { 7, 8, 9 };
const volatile u16 ro_other SEC(".rodata.other") = 0xbeef;

/* .data and custom .data.* sections: initial values, written by the program. */
u64 data_u64 = 0x1122334455667788ULL;
s32 data_arr[4] = { 1, -2, 3, -4 };
char data_str[8] = "data";
u64 data_custom SEC(".data.custom") = 77;
u32 data_other SEC(".data.other") = 88;
static volatile u64 static_counter = 99;

/* .bss */
u64 bss_runs;
u32 bss_squares[8];

struct snapshot {
	u64 ro_u64;
	s64 ro_pair_b;
	u32 ro_u32;
	u32 ro_pair_a;
	u32 ro_mode;
	u32 ro_zero;
	s16 ro_s16;
	u8 ro_u8;
	u8 ro_bool;
	char ro_str[12];
	u64 ro_custom;
	u32 ro_custom_arr[3];
	u16 ro_other;
	u16 pad;
	u64 data_u64;
	s32 data_arr[4];
	char data_str[8];
	u64 data_custom;
	u32 data_other;
	u32 pad2;
	u64 static_counter;
	u64 bss_runs;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct snapshot);
} out SEC(".maps");

SEC("raw_tp")
int snapshot(void *ctx)
{
	u32 zero = 0, i;
	struct snapshot *s = bpf_map_lookup_elem(&out, &zero);

	if (!s)
		return 1;
	s->ro_u8 = ro_u8;
	s->ro_s16 = ro_s16;
	s->ro_u32 = ro_u32;
	s->ro_u64 = ro_u64;
	s->ro_bool = ro_bool;
	for (i = 0; i < sizeof(ro_str); i++)
		s->ro_str[i] = ro_str[i];
	s->ro_pair_a = ro_pair.a;
	s->ro_pair_b = ro_pair.b;
	s->ro_mode = ro_mode;
	s->ro_zero = ro_zero;
	s->ro_custom = ro_custom;
	for (i = 0; i < 3; i++)
		s->ro_custom_arr[i] = ro_custom_arr[i];
	s->ro_other = ro_other;
	s->data_u64 = data_u64;
	for (i = 0; i < 4; i++)
		s->data_arr[i] = data_arr[i];
	for (i = 0; i < sizeof(data_str); i++)
		s->data_str[i] = data_str[i];
	s->data_custom = data_custom;
	s->data_other = data_other;
	s->static_counter = static_counter;
	s->bss_runs = bss_runs;

	/* Change the writable globals, so a second run shows the first one's writes. */
	data_u64++;
	data_custom++;
	static_counter++;
	bss_runs++;
	for (i = 0; i < 8; i++)
		bss_squares[i] = i * i;
	return 0;
}
