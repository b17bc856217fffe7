// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * open_time: how long libbpf 1.1 takes to open a BPF object, in-process.
 *
 *   open_time OBJ RUNS
 *
 * Times bpf_object__open_file(OBJ) RUNS times: reading the file, the ELF
 * sections, programs, maps, relocations, .BTF and .BTF.ext: what
 * `corex inspect` parses (crates/object/examples/open_time.rs times the
 * same on corex's side). Closing the object is not timed. libbpf's log is
 * silenced.
 *
 * Prints one line: `programs=N runs=R mean_us=M min_us=M median_us=M`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double *times, sum = 0;
	int runs, i, programs = 0;

	if (argc != 3 || (runs = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s OBJ RUNS\n", argv[0]);
		return 2;
	}
	times = calloc(runs, sizeof(*times));
	if (!times)
		return 2;
	libbpf_set_print(quiet);
	for (i = 0; i < runs; i++) {
		struct timespec start, end;
		struct bpf_object *obj;
		struct bpf_program *prog;

		clock_gettime(CLOCK_MONOTONIC, &start);
		obj = bpf_object__open_file(argv[1], NULL);
		clock_gettime(CLOCK_MONOTONIC, &end);
		if (!obj) {
			fprintf(stderr, "open_time: cannot open %s\n", argv[1]);
			return 1;
		}
		programs = 0;
		bpf_object__for_each_program(prog, obj)
			programs++;
		bpf_object__close(obj);
		times[i] = (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
		sum += times[i];
	}
	qsort(times, runs, sizeof(*times), cmp_double);
	printf("programs=%d runs=%d mean_us=%.1f min_us=%.1f median_us=%.1f\n", programs, runs,
	       sum / runs, times[0], times[runs / 2]);
	free(times);
	return 0;
}
