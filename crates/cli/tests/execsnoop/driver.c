// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The execs corex execsnoop's tests look for (built by the tests):
 *
 *   driver report ARG...                 print what this process is:
 *                                        "report pid=P comm=HEX cmdline=HEX"
 *   driver execve PATH ARGV0 ARG...      execve(PATH, [ARGV0, ARG...])
 *   driver execveat-dir DIR NAME ARGV0 ARG...
 *                                        execveat(open(DIR), NAME, ...)
 *   driver execveat-fd PATH ARGV0 ARG... execveat(open(PATH), "", ...,
 *                                        AT_EMPTY_PATH)
 *   driver thread PATH ARGV0 ARG...      execve from a second thread
 *   driver execve-mapped PATH ARGV0 ARG...
 *                                        execve(PATH, [ARGV0, ARG...]) with
 *                                        each ARG in a file mapping this
 *                                        process never touched: at syscall
 *                                        entry no page of it is mapped in
 *                                        (a tracer reading them there gets
 *                                        EFAULT), prints "mapped=1"
 *
 * Each prints "fd=N" or "tid=N" (flushed) before it execs, and
 * "errno=N" if the exec fails (then exits 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void print_hex_file(const char *label, const char *path, int strip_newline)
{
	unsigned char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (strip_newline && n > 0 && buf[n - 1] == '\n')
		n--;
	printf(" %s=", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", buf[i]);
}

static int report(void)
{
	printf("report pid=%d", getpid());
	print_hex_file("comm", "/proc/self/comm", 1);
	print_hex_file("cmdline", "/proc/self/cmdline", 0);
	printf("\n");
	return 0;
}

static int failed(void)
{
	printf("errno=%d\n", errno);
	return 0;
}

static char **thread_argv;

static void *exec_from_thread(void *path)
{
	printf("tid=%ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	execve(path, thread_argv, environ);
	failed();
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int fd;

	if (!strcmp(cmd, "report"))
		return report();
	if (!strcmp(cmd, "execve") && argc >= 4) {
		execve(argv[2], &argv[3], environ);
		return failed();
	}
	if (!strcmp(cmd, "execveat-dir") && argc >= 5) {
		fd = open(argv[2], O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			return failed();
		printf("fd=%d\n", fd);
		fflush(stdout);
		syscall(SYS_execveat, fd, argv[3], &argv[4], environ, 0);
		return failed();
	}
	if (!strcmp(cmd, "execveat-fd") && argc >= 4) {
		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return failed();
		printf("fd=%d\n", fd);
		fflush(stdout);
		syscall(SYS_execveat, fd, "", &argv[3], environ, AT_EMPTY_PATH);
		return failed();
	}
	if (!strcmp(cmd, "thread") && argc >= 4) {
		pthread_t thread;

		thread_argv = &argv[3];
		if (pthread_create(&thread, NULL, exec_from_thread, argv[2]))
			return 1;
		pthread_join(thread, NULL);
		return 1;
	}
	if (!strcmp(cmd, "execve-mapped") && argc >= 4) {
		char file[] = "/tmp/corex-es-mapped-XXXXXX";
		char **args = calloc(argc - 2, sizeof(*args));
		size_t total = 0, at = 0;
		char *map;

		fd = mkstemp(file);
		if (fd < 0 || !args || unlink(file))
			return 1;
		for (int i = 4; i < argc; i++) {
			size_t len = strlen(argv[i]) + 1;

			if (write(fd, argv[i], len) != (ssize_t)len)
				return 1;
			total += len;
		}
		/* MAP_PRIVATE and never read here: the page cache has the
		 * bytes, this process's page tables do not. */
		map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			return 1;
		args[0] = argv[3];
		for (int i = 4; i < argc; i++) {
			args[i - 3] = map + at;
			at += strlen(argv[i]) + 1;
		}
		printf("mapped=1\n");
		fflush(stdout);
		execve(argv[2], args, environ);
		return failed();
	}
	fprintf(stderr, "usage: see the comment at the top of driver.c\n");
	return 2;
}
