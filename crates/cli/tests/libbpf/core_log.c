// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * core_log: the libbpf oracle for corex's CO-RE engine.
 *
 *   core_log OBJ TARGET_BTF
 *
 * Opens the BPF object OBJ with `btf_custom_path = TARGET_BTF`, captures
 * every message libbpf prints (all levels, debug included) and runs
 * bpf_object__load(). Its CO-RE phase logs each relocation of each program
 * (`sec '...': found N CO-RE relocations`, `prog '...': relo #N: ...`)
 * before anything reaches the kernel. The captured messages are printed to
 * stdout verbatim, followed by one `core_log: program NAME section SEC autoload 0|1`
 * line per program (libbpf does not relocate programs whose autoload is
 * off, e.g. those in `?` sections) and one `core_log: load returned ERR`
 * line.
 *
 * To keep the kernel out of it, every program's type is set to
 * BPF_PROG_TYPE_UNSPEC after open: libbpf's CO-RE phase never looks at the
 * program type (it only skips programs whose autoload is off, which is why
 * autoload is left alone), and libbpf refuses to load an UNSPEC program
 * without a syscall, so no program is verified or loaded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

static char *log_buf;
static size_t log_len, log_cap;

static void log_append(const char *s, size_t n)
{
	if (log_len + n + 1 > log_cap) {
		size_t cap = log_cap ? log_cap : 1 << 16;

		while (log_len + n + 1 > cap)
			cap *= 2;
		log_buf = realloc(log_buf, cap);
		if (!log_buf) {
			perror("core_log: realloc");
			exit(2);
		}
		log_cap = cap;
	}
	memcpy(log_buf + log_len, s, n);
	log_len += n;
	log_buf[log_len] = '\0';
}

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char small[1024];
	va_list copy;
	int n;

	(void)level;
	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return 0;
	if ((size_t)n < sizeof(small)) {
		log_append(small, n);
	} else {
		char *big = malloc(n + 1);

		if (!big) {
			perror("core_log: malloc");
			exit(2);
		}
		vsnprintf(big, n + 1, fmt, ap);
		log_append(big, n);
		free(big);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OBJ TARGET_BTF\n", argv[0]);
		return 2;
	}
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = argv[2]);

	libbpf_set_print(capture);
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		fputs(log_buf ? log_buf : "", stdout);
		fprintf(stderr, "core_log: cannot open %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_type(prog, BPF_PROG_TYPE_UNSPEC);
	err = bpf_object__load(obj);
	fputs(log_buf ? log_buf : "", stdout);
	bpf_object__for_each_program(prog, obj)
		printf("core_log: program %s section %s autoload %d\n", bpf_program__name(prog),
		       bpf_program__section_name(prog), bpf_program__autoload(prog));
	printf("core_log: load returned %d\n", err);
	bpf_object__close(obj);
	free(log_buf);
	return 0;
}
