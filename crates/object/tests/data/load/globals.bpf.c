// SPDX-License-Identifier: GPL-2.0
/* Global data: .rodata (const volatile, frozen), .data, .bss, custom
 * .data.* and .rodata.* sections, a hidden variable (libbpf treats it as
 * static: its map may lose BPF_F_MMAPABLE), static variables, a string
 * literal in .rodata.str1.1, and a section with only a hidden variable.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 min_pid = 10;
const volatile __s16 delta = -3;
const volatile char comm[8] = "init";
const volatile _Bool verbose = 0;

enum mode { MODE_OFF, MODE_ON = 5 };
const volatile enum mode mode = MODE_ON;

__u64 counter = 7;
__u32 hits[4];
static __u32 static_hits;

__u64 custom_data SEC(".data.custom") = 42;
const volatile __u64 custom_ro SEC(".rodata.custom") = 43;
__attribute__((visibility("hidden"))) __u32 hidden_only SEC(".data.hidden") = 1;

SEC("tp/sched/sched_switch")
int use_globals(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (pid < min_pid || !verbose)
		return 0;
	counter += delta + mode + comm[0];
	hits[pid & 3]++;
	static_hits++;
	custom_data += custom_ro + hidden_only;
	bpf_printk("pid %d", pid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
