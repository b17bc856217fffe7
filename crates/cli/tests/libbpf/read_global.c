// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * read_global: what libbpf 1.1 hands a program, seen from its global data.
 *
 *   read_global OBJ PROG MAP
 *
 * Opens and loads OBJ with default options (bpf_object__load, all or
 * nothing), runs PROG once with BPF_PROG_TEST_RUN (no context: raw
 * tracepoint and the like), reads key 0 of MAP (a global data section by
 * its section name, e.g. ".bss") and prints its bytes in hex on one line.
 * Closes the object, so nothing stays loaded. Errors go to stderr, exit 1.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what)
{
	fprintf(stderr, "read_global: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fail("usage: read_global OBJ PROG MAP");
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return fail("bpf_object__open_file failed");
	int rc = 1;
	if (bpf_object__load(obj)) {
		fail("bpf_object__load failed");
		goto out;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, argv[2]);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, argv[3]);
	if (!prog || !map) {
		fail("no such program or map");
		goto out;
	}
	LIBBPF_OPTS(bpf_test_run_opts, run);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &run)) {
		fail("BPF_PROG_TEST_RUN failed");
		goto out;
	}
	size_t size = bpf_map__value_size(map);
	unsigned char *value = calloc(1, size);
	int key = 0;
	if (!value || bpf_map_lookup_elem(bpf_map__fd(map), &key, value)) {
		fail("reading the map failed");
		free(value);
		goto out;
	}
	for (size_t i = 0; i < size; i++)
		printf("%02x", value[i]);
	printf("\n");
	free(value);
	rc = 0;
out:
	bpf_object__close(obj);
	return rc;
}
