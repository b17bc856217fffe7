// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * load_one: loads one program of a BPF object into the running kernel with
 * libbpf 1.1, to see whether the verifier accepts it.
 *
 *   load_one OBJ PROGRAM
 *
 * Opens OBJ (CO-RE against the running kernel's BTF), turns autoload off
 * for every other program, loads, and prints `load_one: loaded` or
 * `load_one: failed ERR` followed by libbpf's messages (the verifier log
 * included). The object is closed before exiting, so nothing stays in the
 * kernel. Exit status 0 either way; 2 on usage or open errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stdout, fmt, ap);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int found = 0, err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJ PROGRAM\n", argv[0]);
		return 2;
	}
	libbpf_set_print(print);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "load_one: cannot open %s\n", argv[1]);
		return 2;
	}
	bpf_object__for_each_program(prog, obj) {
		int mine = strcmp(bpf_program__name(prog), argv[2]) == 0;

		found |= mine;
		bpf_program__set_autoload(prog, mine);
	}
	if (!found) {
		fprintf(stderr, "load_one: no program %s in %s\n", argv[2], argv[1]);
		bpf_object__close(obj);
		return 2;
	}
	err = bpf_object__load(obj);
	fflush(stdout);
	if (err)
		printf("\nload_one: failed %d\n", err);
	else
		printf("\nload_one: loaded\n");
	bpf_object__close(obj);
	return 0;
}
