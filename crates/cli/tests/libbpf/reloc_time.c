// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * reloc_time: how long libbpf 1.1's CO-RE phase takes, in-process, or
 * how long it takes to open an object.
 *
 *   reloc_time OBJ TARGET_BTF RUNS
 *   reloc_time --open OBJ RUNS
 *
 * With --open, times bpf_object__open_file(OBJ) RUNS times: reading the
 * file, the ELF sections, programs, maps, relocations, .BTF and .BTF.ext,
 * what `corex inspect` parses (crates/object/examples/open_time.rs times
 * the same on corex's side); closing is not timed, the log is silenced.
 * It prints `programs=N runs=R mean_us=M min_us=M median_us=M`.
 *
 * Opens OBJ with `btf_custom_path = TARGET_BTF` and loads it, RUNS times.
 * libbpf has no hook around its CO-RE phase, so the print callback marks
 * it: the clock starts at the first `sec '...': found N CO-RE relocations`
 * message and stops at the last `prog '...': relo #N: ...` message (the
 * last relocation's patch). The window therefore holds everything libbpf
 * does per relocation — candidate search (a linear scan of the target BTF
 * per local type, cached), spec parsing, matching, formatting the specs it
 * logs, patching — and excludes reading and parsing the object and the
 * target BTF (done before the first message) and everything after CO-RE.
 * The callback only looks at the format string and reads the clock: it
 * formats nothing. As in core_log.c, programs are made BPF_PROG_TYPE_UNSPEC
 * so that libbpf stops before the kernel.
 *
 * Prints one line: `relocations=N runs=R mean_us=M min_us=M median_us=M`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

static struct timespec phase_start, phase_end;
static int in_phase, relocations;

static int mark(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)ap;
	if (strstr(fmt, "CO-RE relocations\n")) {
		if (!in_phase) {
			clock_gettime(CLOCK_MONOTONIC, &phase_start);
			in_phase = 1;
		}
	} else if (in_phase && strstr(fmt, "prog '%s': relo #%d: ")) {
		clock_gettime(CLOCK_MONOTONIC, &phase_end);
		/* The local spec line opens each relocation. */
		if (strstr(fmt, "relo #%d: %s\n"))
			relocations++;
	}
	return 0;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static double micros(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e6 + (b->tv_nsec - a->tv_nsec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints `runs=R mean_us=M min_us=M median_us=M` of the times (sorted here). */
static void summary(double *times, int runs)
{
	double sum = 0;
	int i;

	for (i = 0; i < runs; i++)
		sum += times[i];
	qsort(times, runs, sizeof(*times), cmp_double);
	printf("runs=%d mean_us=%.1f min_us=%.1f median_us=%.1f\n", runs, sum / runs, times[0],
	       times[runs / 2]);
}

/* reloc_time --open OBJ RUNS */
static int time_open(const char *path, double *times, int runs)
{
	int i, programs = 0;

	libbpf_set_print(quiet);
	for (i = 0; i < runs; i++) {
		struct timespec start, end;
		struct bpf_object *obj;
		struct bpf_program *prog;

		clock_gettime(CLOCK_MONOTONIC, &start);
		obj = bpf_object__open_file(path, NULL);
		clock_gettime(CLOCK_MONOTONIC, &end);
		if (!obj) {
			fprintf(stderr, "reloc_time: cannot open %s\n", path);
			return 1;
		}
		programs = 0;
		bpf_object__for_each_program(prog, obj)
			programs++;
		bpf_object__close(obj);
		times[i] = micros(&start, &end);
	}
	printf("programs=%d ", programs);
	summary(times, runs);
	return 0;
}

int main(int argc, char **argv)
{
	double *times;
	int runs, i, per_run = 0;
	int open_only = argc == 4 && strcmp(argv[1], "--open") == 0;

	if ((argc != 4) || (runs = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: %s OBJ TARGET_BTF RUNS\n       %s --open OBJ RUNS\n",
			argv[0], argv[0]);
		return 2;
	}
	times = calloc(runs, sizeof(*times));
	if (!times)
		return 2;
	if (open_only)
		return time_open(argv[2], times, runs);
	libbpf_set_print(mark);
	for (i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argv[2]);
		struct bpf_object *obj;
		struct bpf_program *prog;

		obj = bpf_object__open_file(argv[1], &opts);
		if (!obj) {
			fprintf(stderr, "reloc_time: cannot open %s\n", argv[1]);
			return 1;
		}
		bpf_object__for_each_program(prog, obj)
			bpf_program__set_type(prog, BPF_PROG_TYPE_UNSPEC);
		in_phase = 0;
		relocations = 0;
		bpf_object__load(obj);
		bpf_object__close(obj);
		if (!in_phase) {
			fprintf(stderr, "reloc_time: %s has no CO-RE relocations\n", argv[1]);
			return 1;
		}
		times[i] = micros(&phase_start, &phase_end);
		per_run = relocations;
	}
	printf("relocations=%d ", per_run);
	summary(times, runs);
	free(times);
	return 0;
}
