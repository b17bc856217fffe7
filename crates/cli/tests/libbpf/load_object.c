// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * load_object: the libbpf oracle for `corex load`.
 *
 *   load_object OBJ [PROG...]
 *
 * Opens OBJ with default options, keeps only the PROGs (when given) to load
 * (bpf_program__set_autoload), runs bpf_object__load() (libbpf's
 * all-or-nothing load into the running kernel) and closes the object, so
 * nothing stays loaded. Prints `result ok` or `result fail ERRNO` (the
 * positive errno bpf_object__load returned; `open-fail ERRNO` if the
 * object does not open), then every warning libbpf printed, one per line
 * prefixed `warn: `.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

static int warnings(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	char *start = line, *nl;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	while ((nl = strchr(start, '\n'))) {
		*nl = '\0';
		if (*start)
			printf("warn: %s\n", start);
		start = nl + 1;
	}
	if (*start)
		printf("warn: %s\n", start);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: load_object OBJ [PROG...]\n");
		return 2;
	}
	libbpf_set_print(warnings);
	obj = bpf_object__open_file(argv[1], NULL);
	err = libbpf_get_error(obj);
	if (err) {
		printf("open-fail %d\n", -err);
		return 0;
	}
	if (argc > 2) {
		bpf_object__for_each_program(prog, obj) {
			bool keep = false;

			for (int i = 2; i < argc; i++)
				keep = keep || strcmp(bpf_program__name(prog), argv[i]) == 0;
			bpf_program__set_autoload(prog, keep);
		}
	}
	err = bpf_object__load(obj);
	if (err)
		printf("result fail %d\n", -err);
	else
		printf("result ok\n");
	bpf_object__close(obj);
	return 0;
}
