/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Shared by the CO-RE test corpus: the basic integer types (instead of the
 * kernel's uapi headers, which need the host's asm/ directory), libbpf's BPF
 * helper and CO-RE macros, and corex_type_matches().
 */
#ifndef COREX_CORE_TESTS_COMMON_H
#define COREX_CORE_TESTS_COMMON_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u16 __sum16;
typedef __u32 __wsum;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * bpf_core_type_matches() needs clang >= 15 (clang 14 aborts on the
 * BPF_TYPE_MATCHES flag). Instead, the corpus asks for a TYPE_EXISTS
 * relocation on a `___tm` flavor of the type, and build.sh rewrites every
 * TYPE_EXISTS record whose local root type is named `*___tm` into a
 * TYPE_MATCHES record (set_type_matches.py). The instruction is the same
 * (`r = 1`) for both kinds, and the flavor suffix is ignored by candidate
 * search, so the result is exactly what clang 15 would emit.
 */
#define corex_type_matches(type) bpf_core_type_exists(type)

/* A FIELD_SIGNED relocation (libbpf 1.1's headers have no macro for it). */
#define corex_field_signed(field) __builtin_preserve_field_info(field, BPF_FIELD_SIGNED)

/* Keeps a value alive so that the relocated instruction is not optimised out. */
#define KEEP(acc, x) ((acc) += (long)(x))

char LICENSE[] SEC("license") = "GPL";

#endif
