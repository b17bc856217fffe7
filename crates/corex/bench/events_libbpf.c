// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * libbpf's side of scripts/bench-events.sh: loads bpf/loader-tests/buffers.bpf.o
 * with libbpf 1.1, and while one thread runs a producer program RUNS times
 * (BPF_PROG_TEST_RUN, BATCH records a run), another reads the records with
 * ring_buffer__poll or perf_buffer__poll. The corex side
 * (crates/corex/examples/events_bench.rs) does the same with corex.
 *
 *   events_libbpf OBJ ring|perf live|drain RUNS BATCH SIZE
 *
 * live: the reader reads while the producer produces (the clock runs from
 * the first run until every record not dropped has arrived); drain: the
 * producer fills the buffer first, then the clock runs while the reader
 * drains it (the reader's own speed). SIZE: the ring buffer's size in
 * bytes (a power of two), or the perf buffer's pages per CPU.
 *
 * Prints one line: kind= produced= delivered= lost= perf_lost= wall_ns=
 * reader_user_ticks= reader_sys_ticks= reader_cpu_ns= reader_sleeps= (the
 * reader thread's user and system time from /proc/thread-self/stat, in
 * USER_HZ ticks, its CPU time from /proc/thread-self/schedstat, and how many
 * times it slept, as the corex side reads them).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_ullong delivered;
static atomic_ullong perf_lost;
static atomic_int stop;
static int is_ring;
static struct ring_buffer *rb;
static struct perf_buffer *pb;
static unsigned long long reader_user, reader_sys, reader_cpu_ns, reader_sleeps;

static int on_ring(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
	return 0;
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	(void)ctx, (void)cpu, (void)data, (void)size;
	atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
}

static void on_lost(void *ctx, int cpu, __u64 count)
{
	(void)ctx, (void)cpu;
	atomic_fetch_add_explicit(&perf_lost, count, memory_order_relaxed);
}

/* utime and stime (fields 14 and 15) of /proc/thread-self/stat, the CPU
 * time from /proc/thread-self/schedstat, and the times the thread slept
 * (voluntary_ctxt_switches of /proc/thread-self/status). */
static void thread_times(unsigned long long *user, unsigned long long *sys, unsigned long long *cpu_ns,
			 unsigned long long *sleeps)
{
	char buf[1024];
	FILE *f = fopen("/proc/thread-self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	char *p;
	int field;

	if (f)
		fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	*user = *sys = 0;
	/* After "comm)" come fields 3, 4, ...: skip to 14. */
	for (field = 2; p && field < 14; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu %llu", user, sys);
	f = fopen("/proc/thread-self/schedstat", "r");
	*cpu_ns = 0;
	if (f) {
		if (fscanf(f, "%llu", cpu_ns) != 1)
			*cpu_ns = 0;
		fclose(f);
	}
	f = fopen("/proc/thread-self/status", "r");
	*sleeps = 0;
	if (f) {
		char line[256];

		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "voluntary_ctxt_switches: %llu", sleeps) == 1)
				break;
		fclose(f);
	}
}

static void *reader(void *arg)
{
	(void)arg;
	unsigned long long u0, s0, c0, w0;

	thread_times(&u0, &s0, &c0, &w0);
	while (!atomic_load(&stop)) {
		int err = is_ring ? ring_buffer__poll(rb, 100) : perf_buffer__poll(pb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "poll: %s\n", strerror(-err));
			exit(1);
		}
	}
	/* What is left. */
	if (is_ring)
		ring_buffer__consume(rb);
	else
		perf_buffer__consume(pb);
	thread_times(&reader_user, &reader_sys, &reader_cpu_ns, &reader_sleeps);
	reader_user -= u0, reader_sys -= s0, reader_cpu_ns -= c0, reader_sleeps -= w0;
	return NULL;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s OBJ ring|perf live|drain RUNS BATCH SIZE\n", argv[0]);
		return 2;
	}
	is_ring = strcmp(argv[2], "ring") == 0;
	int drain = strcmp(argv[3], "drain") == 0;
	unsigned long runs = strtoul(argv[4], NULL, 0);
	unsigned int batch = strtoul(argv[5], NULL, 0);
	unsigned long size = strtoul(argv[6], NULL, 0);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s failed\n", argv[1]);
		return 1;
	}
	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	size_t rodata_size;
	const void *initial = bpf_map__initial_value(rodata, &rodata_size);
	if (!initial || rodata_size < sizeof(batch)) {
		fprintf(stderr, "no .rodata with batch\n");
		return 1;
	}
	/* batch is the only .rodata variable. */
	unsigned char *copy = malloc(rodata_size);
	memcpy(copy, initial, rodata_size);
	memcpy(copy, &batch, sizeof(batch));
	if (bpf_map__set_initial_value(rodata, copy, rodata_size)) {
		fprintf(stderr, "cannot set batch\n");
		return 1;
	}
	free(copy);
	if (is_ring && bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "ring"), size)) {
		fprintf(stderr, "cannot resize the ring\n");
		return 1;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog),
						       is_ring ? "ringbuf_produce" : "perf_produce") == 0);
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	int prog_fd = bpf_program__fd(bpf_object__find_program_by_name(
		obj, is_ring ? "ringbuf_produce" : "perf_produce"));
	int map_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, is_ring ? "ring" : "perf"));
	if (is_ring)
		rb = ring_buffer__new(map_fd, on_ring, NULL, NULL);
	else
		pb = perf_buffer__new(map_fd, size, on_perf, on_lost, NULL, NULL);
	if (is_ring ? !rb : !pb) {
		fprintf(stderr, "reader setup failed\n");
		return 1;
	}
	pthread_t thread;
	unsigned long long start = 0;
	for (int pass = 0; pass < 2; pass++) {
		/* live: start, then produce; drain: produce, then start. */
		if (pass == drain) {
			start = now_ns();
			pthread_create(&thread, NULL, reader, NULL);
			continue;
		}
		for (unsigned long run = 0; run < runs; run++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts);
			if (bpf_prog_test_run_opts(prog_fd, &opts)) {
				fprintf(stderr, "test run failed: %s\n", strerror(errno));
				return 1;
			}
		}
	}
	/* Wait until every record not dropped has arrived. */
	struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	__u64 counters[4];
	__u32 zero = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(bss), &zero, counters)) {
		fprintf(stderr, ".bss lookup failed\n");
		return 1;
	}
	/* u64 ring_next_seq, ring_lost, perf_next_seq, perf_lost (in order). */
	unsigned long long produced = is_ring ? counters[0] : counters[2];
	unsigned long long lost = is_ring ? counters[1] : counters[3];
	while (atomic_load(&delivered) + lost < produced)
		usleep(100);
	unsigned long long wall = now_ns() - start;
	atomic_store(&stop, 1);
	pthread_join(thread, NULL);
	printf("kind=%s mode=%s produced=%llu delivered=%llu lost=%llu perf_lost=%llu wall_ns=%llu "
	       "reader_user_ticks=%llu reader_sys_ticks=%llu reader_cpu_ns=%llu reader_sleeps=%llu\n",
	       argv[2], argv[3], produced, (unsigned long long)atomic_load(&delivered), lost,
	       (unsigned long long)atomic_load(&perf_lost), wall, reader_user, reader_sys,
	       reader_cpu_ns, reader_sleeps);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bpf_object__close(obj);
	return 0;
}
