// SPDX-License-Identifier: GPL-2.0
/*
 * Loader test: `.kconfig` externs, one of each kind libbpf resolves, copied
 * into `kconfig_seen` (.bss) by BPF_PROG_TEST_RUN of `read_kconfig` (raw_tp).
 * The test compares each value with /proc/config.gz or
 * /boot/config-$(uname -r) and the kernel itself:
 *
 * extern                          C type                 expected
 * LINUX_KERNEL_VERSION            u32                    KERNEL_VERSION(a, b, c) of uname -r (c capped at 255)
 * LINUX_HAS_BPF_COOKIE            bool                   1 on kernels with bpf_get_attach_cookie (5.15+)
 * LINUX_HAS_SYSCALL_WRAPPER       bool                   1 where the syscall entry takes pt_regs (x86_64 4.17+)
 * CONFIG_BPF_SYSCALL              bool                   1 (y)
 * CONFIG_BLK_DEV_LOOP             enum libbpf_tristate   TRI_YES for y, TRI_MODULE for m (Debian: m)
 * CONFIG_CGROUPS                  char                   'y'
 * CONFIG_HZ                       int                    e.g. 250
 * CONFIG_LOG_BUF_SHIFT            u8                     a small int in a 1-byte extern
 * CONFIG_PHYSICAL_START           u64                    hex, e.g. 0x1000000
 * CONFIG_ILLEGAL_POINTER_VALUE    u64                    hex above 2^63 (0xdead000000000000 on x86_64)
 * CONFIG_DEFAULT_HOSTNAME         char[16]               a string, e.g. "(none)"
 * CONFIG_COREX_ABSENT_INT         int, __weak            0: no such option
 * CONFIG_COREX_ABSENT_BOOL        bool, __weak           0
 * CONFIG_COREX_ABSENT_TRISTATE    tristate, __weak       TRI_NO
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern u32 LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BLK_DEV_LOOP __kconfig;
extern char CONFIG_CGROUPS __kconfig;
extern int CONFIG_HZ __kconfig;
extern u8 CONFIG_LOG_BUF_SHIFT __kconfig;
extern u64 CONFIG_PHYSICAL_START __kconfig;
extern u64 CONFIG_ILLEGAL_POINTER_VALUE __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern int CONFIG_COREX_ABSENT_INT __kconfig __weak;
extern bool CONFIG_COREX_ABSENT_BOOL __kconfig __weak;
extern enum libbpf_tristate CONFIG_COREX_ABSENT_TRISTATE __kconfig __weak;

struct kconfig_seen {
	u64 physical_start;
	u64 illegal_pointer_value;
	u32 kernel_version;
	s32 hz;
	u32 blk_dev_loop;
	s32 absent_int;
	u32 absent_tristate;
	u8 has_bpf_cookie;
	u8 has_syscall_wrapper;
	u8 bpf_syscall;
	u8 cgroups;
	u8 log_buf_shift;
	u8 absent_bool;
	char default_hostname[16];
} kconfig_seen;

SEC("raw_tp")
int read_kconfig(void *ctx)
{
	u32 i;

	kconfig_seen.kernel_version = LINUX_KERNEL_VERSION;
	kconfig_seen.has_bpf_cookie = LINUX_HAS_BPF_COOKIE;
	kconfig_seen.has_syscall_wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	kconfig_seen.bpf_syscall = CONFIG_BPF_SYSCALL;
	kconfig_seen.blk_dev_loop = CONFIG_BLK_DEV_LOOP;
	kconfig_seen.cgroups = CONFIG_CGROUPS;
	kconfig_seen.hz = CONFIG_HZ;
	kconfig_seen.log_buf_shift = CONFIG_LOG_BUF_SHIFT;
	kconfig_seen.physical_start = CONFIG_PHYSICAL_START;
	kconfig_seen.illegal_pointer_value = CONFIG_ILLEGAL_POINTER_VALUE;
	for (i = 0; i < sizeof(CONFIG_DEFAULT_HOSTNAME); i++)
		kconfig_seen.default_hostname[i] = CONFIG_DEFAULT_HOSTNAME[i];
	kconfig_seen.absent_int = CONFIG_COREX_ABSENT_INT;
	kconfig_seen.absent_bool = CONFIG_COREX_ABSENT_BOOL;
	kconfig_seen.absent_tristate = CONFIG_COREX_ABSENT_TRISTATE;
	return 0;
}
