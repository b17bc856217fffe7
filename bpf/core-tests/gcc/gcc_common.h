/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The GCC corpus's replacement for ../common.h. GCC 12's BPF backend cannot
 * call libbpf 1.1's helpers (`static long (*bpf_x)(...) = (void *)N` is an
 * indirect call to it), so the helpers used here are declared with GCC's
 * kernel_helper attribute, and only <bpf/bpf_core_read.h> is taken from
 * libbpf. Defining ../common.h's include guard lets ../test_types.h be
 * shared with the clang corpus (its `#pragma clang attribute` is ignored by
 * GCC, so only __builtin_preserve_access_index makes relocations on them).
 */
#ifndef COREX_GCC_COMMON_H
#define COREX_GCC_COMMON_H
#define COREX_CORE_TESTS_COMMON_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef _Bool bool;

#define SEC(name) __attribute__((section(name), used))
#define PAI __attribute__((preserve_access_index))

static long bpf_probe_read_kernel(void *dst, __u32 size, const void *src)
	__attribute__((kernel_helper(113)));
static __u64 bpf_get_current_task(void) __attribute__((kernel_helper(35)));

#include <bpf/bpf_core_read.h>

/* Keeps a value alive so that the relocated instruction is not optimised out. */
#define KEEP(acc, x) ((acc) += (long)(x))

char LICENSE[] SEC("license") = "GPL";

#endif
