// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * Type-based relocations (local_type_id, target_type_id, type_exists,
 * type_size, type_matches) and enumerator relocations (enumval_exists,
 * enumval_value) on kernel types and on corex's test types: structs,
 * unions, typedefs, enums (signed, with negative values, against ENUM64
 * targets), flavors, and types no target has.
 */
#include "kernel_types.h"
#include "test_types.h"

typedef struct task_struct corex_task_t;

SEC("tracepoint/corex/type_exists")
int type_exists(void *ctx)
{
	long acc = 0;

	KEEP(acc, bpf_core_type_exists(struct task_struct));
	KEEP(acc, bpf_core_type_exists(struct task_struct___old));
	KEEP(acc, bpf_core_type_exists(corex_task_t));
	KEEP(acc, bpf_core_type_exists(struct corex_test_s));
	KEEP(acc, bpf_core_type_exists(union corex_un));
	KEEP(acc, bpf_core_type_exists(enum corex_color));
	KEEP(acc, bpf_core_type_exists(enum pid_type));
	KEEP(acc, bpf_core_type_exists(corex_u32_t));
	KEEP(acc, bpf_core_type_exists(corex_anon_t));
	KEEP(acc, bpf_core_type_exists(corex_color_t));
	KEEP(acc, bpf_core_type_exists(struct corex_absent));
	return acc;
}

SEC("tracepoint/corex/type_size")
int type_size(void *ctx)
{
	long acc = 0;

	KEEP(acc, bpf_core_type_size(struct task_struct));
	KEEP(acc, bpf_core_type_size(struct tcphdr));
	KEEP(acc, bpf_core_type_size(struct trace_event_raw_sys_enter));
	KEEP(acc, bpf_core_type_size(struct corex_test_s));
	KEEP(acc, bpf_core_type_size(struct corex_inner));
	KEEP(acc, bpf_core_type_size(union corex_un));
	KEEP(acc, bpf_core_type_size(enum corex_color));
	KEEP(acc, bpf_core_type_size(enum corex_wide));
	KEEP(acc, bpf_core_type_size(corex_u32_t));
	KEEP(acc, bpf_core_type_size(corex_anon_t));
	KEEP(acc, bpf_core_type_size(struct corex_absent));
	return acc;
}

SEC("tracepoint/corex/type_matches")
int type_matches(void *ctx)
{
	long acc = 0;

	KEEP(acc, corex_type_matches(struct trace_entry___tm));
	KEEP(acc, corex_type_matches(struct list_head___tm));
	KEEP(acc, corex_type_matches(enum pid_type___tm));
	KEEP(acc, corex_type_matches(struct tcphdr___tm));
	KEEP(acc, corex_type_matches(struct corex_inner___tm));
	KEEP(acc, corex_type_matches(struct corex_test_s___tm));
	KEEP(acc, corex_type_matches(enum corex_color___tm));
	KEEP(acc, corex_type_matches(struct corex_fn___tm));
	KEEP(acc, corex_type_matches(struct corex_opaque_holder___tm));
	return acc;
}

SEC("tracepoint/corex/enum_kernel")
int enum_kernel(void *ctx)
{
	long acc = 0;

	KEEP(acc, bpf_core_enum_value_exists(enum pid_type, PIDTYPE_TGID));
	KEEP(acc, bpf_core_enum_value_exists(enum pid_type, COREX_PIDTYPE_NOPE));
	KEEP(acc, bpf_core_enum_value(enum pid_type, PIDTYPE_SID));
	KEEP(acc, bpf_core_enum_value(enum pid_type, PIDTYPE_MAX));
	KEEP(acc, bpf_core_enum_value(enum pid_type, COREX_PIDTYPE_NOPE));
	KEEP(acc, bpf_core_enum_value(enum perf_event_state, PERF_EVENT_STATE_DEAD));
	KEEP(acc, bpf_core_enum_value(enum perf_event_state, PERF_EVENT_STATE_OFF));
	KEEP(acc, bpf_core_enum_value_exists(enum perf_callchain_context, PERF_CONTEXT_USER));
	KEEP(acc, bpf_core_enum_value(enum perf_callchain_context, PERF_CONTEXT_HV));
	return acc;
}

SEC("tracepoint/corex/enum_test")
int enum_test(void *ctx)
{
	long acc = 0;

	KEEP(acc, bpf_core_enum_value_exists(enum corex_color, COREX_BLUE));
	KEEP(acc, bpf_core_enum_value(enum corex_color, COREX_RED));
	KEEP(acc, bpf_core_enum_value(enum corex_color, COREX_GREEN));
	KEEP(acc, bpf_core_enum_value(enum corex_color, COREX_BLUE));
	KEEP(acc, bpf_core_enum_value(enum corex_color, COREX_NEG));
	KEEP(acc, bpf_core_enum_value_exists(enum corex_wide, COREX_WIDE_HIGH));
	KEEP(acc, bpf_core_enum_value(enum corex_wide, COREX_WIDE_LOW));
	KEEP(acc, bpf_core_enum_value(enum corex_wide, COREX_WIDE_HIGH));
	KEEP(acc, bpf_core_enum_value(enum corex_color___tm, COREX_GREEN___tm));
	KEEP(acc, bpf_core_enum_value(corex_color_t, COREX_BLUE));
	return acc;
}

/*
 * Last: libbpf fails a target_type_id relocation with more than one
 * matching candidate (the object's own `task_struct___old` when relocated
 * against itself; `corex_test_s___dup` in the `dup` target) and stops there.
 */
SEC("tracepoint/corex/type_ids")
int type_ids(void *ctx)
{
	long acc = 0;

	KEEP(acc, bpf_core_type_id_local(struct corex_test_s));
	KEEP(acc, bpf_core_type_id_local(enum corex_color));
	KEEP(acc, bpf_core_type_id_kernel(struct task_struct));
	KEEP(acc, bpf_core_type_id_kernel(struct corex_test_s));
	KEEP(acc, bpf_core_type_id_kernel(union corex_un));
	KEEP(acc, bpf_core_type_id_kernel(corex_u32_t));
	KEEP(acc, bpf_core_type_id_kernel(struct corex_absent));
	KEEP(acc, bpf_core_type_id_kernel(corex_anon_t));
	return acc;
}
