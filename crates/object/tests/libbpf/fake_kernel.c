// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * fake_kernel: libbpf 1.1 as the oracle for corex's load plan, with no kernel.
 *
 *   fake_kernel OBJ
 *
 * Opens OBJ with Debian's libbpf (linked statically) and runs
 * bpf_object__load() against a fake kernel: this file defines syscall(),
 * so every bpf(2) call libbpf makes lands here. The fake answers libbpf's
 * feature probes as a kernel missing the features named in FAKE_MISSING
 * would, hands out fake objects (each backed by a memfd, so close() and
 * dup() work and fstat() names the object) and prints one line per call:
 *
 *   btf_load obj=N result=ok|EINVAL data=HEX
 *   map_create obj=N result=ok|EINVAL type=T name=S key=K value=V max=M
 *       flags=F inner=OBJ numa=N btf=OBJ key_id=I value_id=I extra=X
 *   map_update map=OBJ key=HEX value=HEX|obj:OBJ (fds of map-in-maps and
 *       program arrays name the object)
 *   map_freeze map=OBJ
 *   prog_load obj=N result=ok type=T name=S license=S exp=E flags=F kver=K
 *       attach_btf_id=I attach_btf_obj=OBJ btf=OBJ insns=HEX fdrefs=I:OBJ,...
 *       func_info=RECSIZE:HEX line_info=RECSIZE:HEX fd_array=OBJ,...
 *   obj_pin obj=OBJ path=P
 *   prog_bind_map prog=OBJ map=OBJ
 *   module obj=N name=S       (a module BTF, when libbpf first lists them)
 *   load result=ERRNO
 *
 * OBJ is a fake object number (0 for none). In printed instructions the
 * file descriptors libbpf wrote (ld_imm64 of a map or map value, the module
 * BTF fd of a typed ksym) are zeroed and listed in fdrefs as
 * instruction:object instead, so they compare with a plan's placeholders.
 *
 * The environment describes the fake kernel:
 *   FAKE_MISSING      comma-separated features it lacks (btf, btf_func,
 *                     btf_global_func, btf_datasec, btf_float, btf_decl_tag,
 *                     btf_type_tag, btf_enum64, global_data, array_mmap,
 *                     exp_attach_type, probe_read_kernel, prog_name,
 *                     prog_bind_map, module_btf, bpf_cookie, perf_link,
 *                     syscall_wrapper)
 *   FAKE_VMLINUX      raw BTF served as /sys/kernel/btf/vmlinux
 *   FAKE_MODULES      name=path,... raw split BTFs served as module BTF objects
 *   FAKE_KALLSYMS     file served as /proc/kallsyms
 *   FAKE_KCONFIG      file served as /boot/config-RELEASE
 *   FAKE_RELEASE      uname release (kernel version)
 *   FAKE_POSSIBLE     file served as /sys/devices/system/cpu/possible
 *   FAKE_PINNED       path:type:key:value:max:flags:extra;... pinned maps
 *   FAKE_PIN_ROOT     pin_root_path (a directory; treated as BPF FS)
 * and what libbpf's user does between open and load:
 *   FAKE_OBJ_NAME     object_name open option
 *   FAKE_AUTOLOAD_OFF programs to set_autoload(false)
 *   FAKE_AUTOLOAD_ON  programs to set_autoload(true)
 *   FAKE_MAX_ENTRIES  map=N,... bpf_map__set_max_entries
 *   FAKE_SET          map:offset:HEX;... bytes written into a map's initial value
 * libbpf's own messages (debug level included) go to stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define MAX_OBJS 4096
#define BPF_FS_MAGIC 0xcafe4a11

enum obj_kind { K_NONE, K_BTF, K_MAP, K_PROG, K_PERF };

struct fake_obj {
	enum obj_kind kind;
	ino_t ino;
	/* BTF objects served to libbpf (module BTFs) */
	void *data;
	size_t size;
	char name[64];
	int kernel_btf;
	/* maps */
	struct bpf_map_info info;
};

static struct fake_obj objs[MAX_OBJS];
static int nobjs = 1; /* 0 means "none" */

static int missing(const char *feat)
{
	const char *m = getenv("FAKE_MISSING");
	size_t n = strlen(feat);

	while (m && *m) {
		if (!strncmp(m, feat, n) && (m[n] == ',' || m[n] == '\0'))
			return 1;
		m = strchr(m, ',');
		if (m)
			m++;
	}
	return 0;
}

/* A new fd naming object `id`: a memfd, of which a copy stays open so
 * its inode number is never reused. */
static int track(int id)
{
	struct stat st;
	int fd;

	fd = memfd_create("fake-bpf-object", MFD_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || dup(fd) < 0) {
		perror("fake_kernel: memfd_create");
		exit(2);
	}
	objs[id].ino = st.st_ino;
	return fd;
}

static int new_obj(enum obj_kind kind)
{
	if (nobjs >= MAX_OBJS) {
		fprintf(stderr, "fake_kernel: too many objects\n");
		exit(2);
	}
	objs[nobjs].kind = kind;
	return track(nobjs++);
}

static int obj_of_fd(int fd)
{
	struct stat st;
	int i;

	if (fd <= 0 || fstat(fd, &st))
		return 0;
	for (i = 1; i < nobjs; i++)
		if (objs[i].ino == st.st_ino)
			return i;
	return 0;
}

static void print_hex(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	if (!n)
		putchar('-');
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static long fail(int err)
{
	errno = err;
	return -1;
}

/* Whether a BTF blob uses something the fake kernel lacks. */
static int btf_rejected(const void *data, size_t size)
{
	const struct btf_header *h = data;
	const unsigned char *p, *end;

	if (missing("btf"))
		return 1;
	if (size < sizeof(*h) || h->hdr_len + h->type_off + h->type_len > size)
		return 1;
	p = (const unsigned char *)data + h->hdr_len + h->type_off;
	end = p + h->type_len;
	while (p + sizeof(struct btf_type) <= end) {
		const struct btf_type *t = (const void *)p;
		int kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
		size_t extra = 0;

		switch (kind) {
		case BTF_KIND_INT: extra = 4; break;
		case BTF_KIND_ARRAY: extra = 12; break;
		case BTF_KIND_STRUCT: case BTF_KIND_UNION: extra = 12 * vlen; break;
		case BTF_KIND_ENUM: extra = 8 * vlen; break;
		case BTF_KIND_FUNC_PROTO: extra = 8 * vlen; break;
		case BTF_KIND_VAR: extra = 4; break;
		case BTF_KIND_DATASEC: extra = 12 * vlen; break;
		case BTF_KIND_DECL_TAG: extra = 4; break;
		case BTF_KIND_ENUM64: extra = 12 * vlen; break;
		default: break;
		}
		if ((kind == BTF_KIND_FUNC || kind == BTF_KIND_FUNC_PROTO) && missing("btf_func"))
			return 1;
		if (kind == BTF_KIND_FUNC && vlen == BTF_FUNC_GLOBAL && missing("btf_global_func"))
			return 1;
		if ((kind == BTF_KIND_VAR || kind == BTF_KIND_DATASEC) && missing("btf_datasec"))
			return 1;
		if (kind == BTF_KIND_FLOAT && missing("btf_float"))
			return 1;
		if (kind == BTF_KIND_DECL_TAG && missing("btf_decl_tag"))
			return 1;
		if (kind == BTF_KIND_TYPE_TAG && missing("btf_type_tag"))
			return 1;
		if ((kind == BTF_KIND_ENUM64 || (kind == BTF_KIND_ENUM && BTF_INFO_KFLAG(t->info))) &&
		    missing("btf_enum64"))
			return 1;
		p += sizeof(*t) + extra;
	}
	return 0;
}

static long do_btf_load(union bpf_attr *a)
{
	const void *data = (const void *)(uintptr_t)a->btf;
	int rejected = btf_rejected(data, a->btf_size), fd = 0;

	if (!rejected)
		fd = new_obj(K_BTF);
	printf("btf_load obj=%d result=%s data=", rejected ? 0 : nobjs - 1,
	       rejected ? "EINVAL" : "ok");
	print_hex(data, a->btf_size);
	putchar('\n');
	return rejected ? fail(EINVAL) : fd;
}

static long do_map_create(union bpf_attr *a)
{
	int rejected = (a->map_flags & BPF_F_MMAPABLE) && missing("array_mmap");
	int fd = 0, id = 0;

	if (!rejected) {
		fd = new_obj(K_MAP);
		id = nobjs - 1;
		objs[id].info.type = a->map_type;
		objs[id].info.key_size = a->key_size;
		objs[id].info.value_size = a->value_size;
		objs[id].info.max_entries = a->max_entries;
		objs[id].info.map_flags = a->map_flags;
		objs[id].info.map_extra = a->map_extra;
		memcpy(objs[id].info.name, a->map_name, sizeof(a->map_name));
	}
	printf("map_create obj=%d result=%s type=%u name=%.16s key=%u value=%u max=%u flags=%u "
	       "inner=%d numa=%u btf=%d key_id=%u value_id=%u extra=%llu\n",
	       id, rejected ? "EINVAL" : "ok", a->map_type, a->map_name[0] ? a->map_name : "-",
	       a->key_size, a->value_size, a->max_entries, a->map_flags,
	       obj_of_fd(a->inner_map_fd), a->numa_node, obj_of_fd(a->btf_fd),
	       a->btf_key_type_id, a->btf_value_type_id, (unsigned long long)a->map_extra);
	return rejected ? fail(EINVAL) : fd;
}

static long do_map_update(union bpf_attr *a)
{
	int map = obj_of_fd(a->map_fd);

	if (!map || objs[map].kind != K_MAP)
		return fail(EBADF);
	printf("map_update map=%d key=", map);
	print_hex((void *)(uintptr_t)a->key, objs[map].info.key_size);
	switch (objs[map].info.type) {
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		/* the value is an fd: name the object */
		printf(" value=obj:%d\n", obj_of_fd(*(int *)(uintptr_t)a->value));
		return 0;
	default:
		break;
	}
	printf(" value=");
	print_hex((void *)(uintptr_t)a->value, objs[map].info.value_size);
	putchar('\n');
	return 0;
}

static int uses_helper(const struct bpf_insn *insns, unsigned int n, int helper)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 0 &&
		    insns[i].imm == helper)
			return 1;
	return 0;
}

static int uses_map_value(const struct bpf_insn *insns, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    insns[i].src_reg == BPF_PSEUDO_MAP_VALUE)
			return 1;
	return 0;
}

static void print_info(const char *what, uint32_t rec, uint64_t ptr, uint32_t cnt)
{
	printf(" %s=%u:", what, rec);
	print_hex((void *)(uintptr_t)ptr, (size_t)rec * cnt);
}

static long do_prog_load(union bpf_attr *a)
{
	struct bpf_insn *insns = (void *)(uintptr_t)a->insns, *copy;
	unsigned int n = a->insn_cnt, i, fd_cnt = 0;
	const int *fd_array = (const int *)(uintptr_t)a->fd_array;
	int rejected = 0, fd = 0, first = 1;

	if (a->prog_name[0] && missing("prog_name"))
		rejected = 1;
	if (uses_map_value(insns, n) && missing("global_data"))
		rejected = 1;
	if (a->prog_type == BPF_PROG_TYPE_CGROUP_SOCK && a->expected_attach_type &&
	    missing("exp_attach_type"))
		rejected = 1;
	if (uses_helper(insns, n, BPF_FUNC_probe_read_kernel) && missing("probe_read_kernel"))
		rejected = 1;
	if (uses_helper(insns, n, BPF_FUNC_get_attach_cookie) && missing("bpf_cookie"))
		rejected = 1;
	if (!rejected)
		fd = new_obj(K_PROG);
	printf("prog_load obj=%d result=%s type=%u name=%.16s license=%s exp=%u flags=%u kver=%u "
	       "attach_btf_id=%u attach_btf_obj=%d btf=%d insns=",
	       rejected ? 0 : nobjs - 1, rejected ? "EINVAL" : "ok", a->prog_type,
	       a->prog_name[0] ? a->prog_name : "-", (const char *)(uintptr_t)a->license,
	       a->expected_attach_type, a->prog_flags, a->kern_version, a->attach_btf_id,
	       obj_of_fd(a->attach_btf_obj_fd), obj_of_fd(a->prog_btf_fd));
	copy = malloc(n * sizeof(*copy) + 1);
	memcpy(copy, insns, n * sizeof(*copy));
	for (i = 0; i < n; i++) {
		if (copy[i].code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < n &&
		    (copy[i].src_reg == BPF_PSEUDO_MAP_FD || copy[i].src_reg == BPF_PSEUDO_MAP_VALUE))
			copy[i].imm = 0;
		if (copy[i].code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < n &&
		    copy[i].src_reg == BPF_PSEUDO_BTF_ID)
			copy[i + 1].imm = 0;
		if (copy[i].code == (BPF_JMP | BPF_CALL) && copy[i].src_reg == BPF_PSEUDO_KFUNC_CALL &&
		    copy[i].off >= 0 && (unsigned int)copy[i].off + 1 > fd_cnt)
			fd_cnt = copy[i].off + 1;
	}
	print_hex(copy, n * sizeof(*copy));
	free(copy);
	printf(" fdrefs=");
	for (i = 0; i + 1 < n; i++) {
		int obj = 0;

		if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE)
			obj = obj_of_fd(insns[i].imm);
		else if (insns[i].src_reg == BPF_PSEUDO_BTF_ID && insns[i + 1].imm)
			obj = obj_of_fd(insns[i + 1].imm);
		if (!obj)
			continue;
		printf("%s%u:%d", first ? "" : ",", i, obj);
		first = 0;
	}
	if (first)
		putchar('-');
	print_info("func_info", a->func_info_rec_size, a->func_info, a->func_info_cnt);
	print_info("line_info", a->line_info_rec_size, a->line_info, a->line_info_cnt);
	printf(" fd_array=");
	for (i = 0; i < fd_cnt && fd_array; i++)
		printf("%s%d", i ? "," : "", obj_of_fd(fd_array[i]));
	if (!fd_cnt || !fd_array)
		putchar('-');
	putchar('\n');
	return rejected ? fail(EINVAL) : fd;
}

/* Module BTF objects: ids 2.. (id 1 is vmlinux), from FAKE_MODULES. */
static int nmodules;
static int module_obj[64];

static void load_modules(void)
{
	static int loaded;
	char *spec, *item, *save = NULL;

	if (loaded)
		return;
	loaded = 1;
	if (!getenv("FAKE_MODULES"))
		return;
	spec = strdup(getenv("FAKE_MODULES"));
	for (item = strtok_r(spec, ",", &save); item && nmodules < 64;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		FILE *f;
		int id;

		if (!eq)
			continue;
		*eq = '\0';
		f = fopen(eq + 1, "rb");
		if (!f) {
			perror(eq + 1);
			exit(2);
		}
		new_obj(K_BTF);
		id = nobjs - 1;
		fseek(f, 0, SEEK_END);
		objs[id].size = ftell(f);
		fseek(f, 0, SEEK_SET);
		objs[id].data = malloc(objs[id].size);
		if (fread(objs[id].data, 1, objs[id].size, f) != objs[id].size) {
			perror(eq + 1);
			exit(2);
		}
		fclose(f);
		snprintf(objs[id].name, sizeof(objs[id].name), "%s", item);
		objs[id].kernel_btf = 1;
		module_obj[nmodules++] = id;
		printf("module obj=%d name=%s\n", id, item);
	}
}

static long do_obj_info(union bpf_attr *a)
{
	int id = obj_of_fd(a->info.bpf_fd);

	if (!id)
		return fail(EBADF);
	if (objs[id].kind == K_MAP) {
		struct bpf_map_info info = objs[id].info;
		size_t n = a->info.info_len < sizeof(info) ? a->info.info_len : sizeof(info);

		memcpy((void *)(uintptr_t)a->info.info, &info, n);
		return 0;
	}
	if (objs[id].kind == K_BTF) {
		struct bpf_btf_info *info = (void *)(uintptr_t)a->info.info;

		if (missing("module_btf") && info->name)
			return fail(EINVAL);
		if (info->name && info->name_len)
			snprintf((char *)(uintptr_t)info->name, info->name_len, "%s", objs[id].name);
		info->kernel_btf = objs[id].kernel_btf;
		info->id = id;
		if (info->btf && info->btf_size >= objs[id].size)
			memcpy((void *)(uintptr_t)info->btf, objs[id].data, objs[id].size);
		info->btf_size = objs[id].size;
		return 0;
	}
	return fail(EINVAL);
}

static long do_btf_next_id(union bpf_attr *a)
{
	int i;

	load_modules();
	for (i = 0; i < nmodules; i++) {
		if ((uint32_t)module_obj[i] > a->start_id) {
			a->next_id = module_obj[i];
			return 0;
		}
	}
	return fail(ENOENT);
}

static long do_btf_fd_by_id(union bpf_attr *a)
{
	int id = a->btf_id;

	load_modules();
	if (id <= 0 || id >= nobjs || objs[id].kind != K_BTF || !objs[id].kernel_btf)
		return fail(ENOENT);
	return track(id);
}

static long do_obj_get(union bpf_attr *a)
{
	const char *path = (const char *)(uintptr_t)a->pathname;
	const char *spec = getenv("FAKE_PINNED");
	size_t n = strlen(path);

	while (spec && *spec) {
		if (!strncmp(spec, path, n) && spec[n] == ':') {
			unsigned int type, key, value, max, flags;
			unsigned long long extra;
			int fd, id;

			if (sscanf(spec + n + 1, "%u:%u:%u:%u:%u:%llu", &type, &key, &value, &max,
				   &flags, &extra) != 6)
				break;
			fd = new_obj(K_MAP);
			id = nobjs - 1;
			objs[id].info.type = type;
			objs[id].info.key_size = key;
			objs[id].info.value_size = value;
			objs[id].info.max_entries = max;
			objs[id].info.map_flags = flags;
			objs[id].info.map_extra = extra;
			printf("obj_get path=%s obj=%d\n", path, id);
			return fd;
		}
		spec = strchr(spec, ';');
		if (spec)
			spec++;
	}
	return fail(ENOENT);
}

static long fake_bpf(int cmd, union bpf_attr *uattr, unsigned int size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	memcpy(&a, uattr, size < sizeof(a) ? size : sizeof(a));
	switch (cmd) {
	case BPF_BTF_LOAD:
		return do_btf_load(&a);
	case BPF_MAP_CREATE:
		return do_map_create(&a);
	case BPF_MAP_UPDATE_ELEM:
		return do_map_update(&a);
	case BPF_MAP_FREEZE:
		printf("map_freeze map=%d\n", obj_of_fd(a.map_fd));
		return 0;
	case BPF_PROG_LOAD:
		return do_prog_load(&a);
	case BPF_OBJ_PIN:
		printf("obj_pin obj=%d path=%s\n", obj_of_fd(a.bpf_fd),
		       (const char *)(uintptr_t)a.pathname);
		return 0;
	case BPF_OBJ_GET:
		return do_obj_get(&a);
	case BPF_OBJ_GET_INFO_BY_FD:
		return do_obj_info(&a);
	case BPF_BTF_GET_NEXT_ID:
		if (missing("module_btf"))
			return fail(EINVAL);
		if (do_btf_next_id(&a))
			return -1;
		uattr->next_id = a.next_id;
		return 0;
	case BPF_BTF_GET_FD_BY_ID:
		return do_btf_fd_by_id(&a);
	case BPF_PROG_BIND_MAP:
		if (missing("prog_bind_map"))
			return fail(EINVAL);
		printf("prog_bind_map prog=%d map=%d\n", obj_of_fd(a.prog_bind_map.prog_fd),
		       obj_of_fd(a.prog_bind_map.map_fd));
		return 0;
	case BPF_LINK_CREATE:
		return fail(missing("perf_link") ? EINVAL : EBADF);
	default:
		return fail(EINVAL);
	}
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long args[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		args[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_bpf)
		return fake_bpf((int)args[0], (union bpf_attr *)args[1], (unsigned int)args[2]);
	if (nr == __NR_perf_event_open) {
		if (missing("syscall_wrapper"))
			return fail(ENOENT);
		return new_obj(K_PERF);
	}
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
}

int uname(struct utsname *u)
{
	static int (*real)(struct utsname *);
	int ret;

	if (!real)
		real = (int (*)(struct utsname *))dlsym(RTLD_NEXT, "uname");
	ret = real(u);
	if (!ret && getenv("FAKE_RELEASE"))
		snprintf(u->release, sizeof(u->release), "%s", getenv("FAKE_RELEASE"));
	return ret;
}

/* Files libbpf reads, redirected to the fake kernel's. */
static const char *redirect(const char *path)
{
	static char config[512];
	struct utsname u;

	if (!strcmp(path, "/sys/kernel/btf/vmlinux") && getenv("FAKE_VMLINUX"))
		return getenv("FAKE_VMLINUX");
	if (!strcmp(path, "/proc/kallsyms") && getenv("FAKE_KALLSYMS"))
		return getenv("FAKE_KALLSYMS");
	if (!strcmp(path, "/sys/devices/system/cpu/possible") && getenv("FAKE_POSSIBLE"))
		return getenv("FAKE_POSSIBLE");
	uname(&u);
	snprintf(config, sizeof(config), "/boot/config-%s", u.release);
	if (!strcmp(path, config) || !strcmp(path, "/proc/config.gz"))
		return getenv("FAKE_KCONFIG") ? getenv("FAKE_KCONFIG") : "/nonexistent";
	return path;
}

FILE *fopen64(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);

	if (!real)
		real = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen64");
	/* the kprobe PMU, for libbpf's syscall wrapper probe */
	if (!strcmp(path, "/sys/bus/event_source/devices/kprobe/type"))
		return fmemopen("6\n", 2, "r");
	if (!strcmp(path, "/sys/bus/event_source/devices/kprobe/format/retprobe"))
		return fmemopen("config:0\n", 9, "r");
	return real(redirect(path), mode);
}

int open64(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	return real(redirect(path), flags, mode);
}

gzFile gzopen64(const char *path, const char *mode)
{
	static gzFile (*real)(const char *, const char *);

	if (!real)
		real = (gzFile(*)(const char *, const char *))dlsym(RTLD_NEXT, "gzopen64");
	return real(redirect(path), mode);
}

int statfs64(const char *path, struct statfs64 *buf)
{
	static int (*real)(const char *, struct statfs64 *);
	const char *root = getenv("FAKE_PIN_ROOT");
	int ret;

	if (!real)
		real = (int (*)(const char *, struct statfs64 *))dlsym(RTLD_NEXT, "statfs64");
	ret = real(path, buf);
	if (!ret && root && !strncmp(path, root, strlen(root)))
		buf->f_type = BPF_FS_MAGIC;
	return ret;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static void for_each_item(const char *env, const char *sep, void (*fn)(struct bpf_object *, char *),
			  struct bpf_object *obj)
{
	char *spec, *item, *save = NULL;

	if (!getenv(env))
		return;
	spec = strdup(getenv(env));
	for (item = strtok_r(spec, sep, &save); item; item = strtok_r(NULL, sep, &save))
		fn(obj, item);
	free(spec);
}

static void die_item(const char *what, const char *item)
{
	fprintf(stderr, "fake_kernel: %s '%s' failed\n", what, item);
	exit(2);
}

static void autoload(struct bpf_object *obj, char *name, int on)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p || bpf_program__set_autoload(p, on))
		die_item("set_autoload", name);
}

static void autoload_off(struct bpf_object *obj, char *name) { autoload(obj, name, 0); }
static void autoload_on(struct bpf_object *obj, char *name) { autoload(obj, name, 1); }

static void max_entries(struct bpf_object *obj, char *item)
{
	char *eq = strchr(item, '=');
	struct bpf_map *m;

	if (!eq)
		die_item("max_entries", item);
	*eq = '\0';
	m = bpf_object__find_map_by_name(obj, item);
	if (!m || bpf_map__set_max_entries(m, strtoul(eq + 1, NULL, 0)))
		die_item("set_max_entries", item);
}

static void set_value(struct bpf_object *obj, char *item)
{
	char *c1 = strchr(item, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *hex;
	size_t size, off, i;
	struct bpf_map *m;
	unsigned char *v;

	if (!c2)
		die_item("set", item);
	*c1 = *c2 = '\0';
	m = bpf_object__find_map_by_name(obj, item);
	/* libbpf 1.1 declares the mmaped initial value const; it is writable */
	v = m ? (unsigned char *)bpf_map__initial_value(m, &size) : NULL;
	off = strtoul(c1 + 1, NULL, 0);
	hex = c2 + 1;
	if (!v || off + strlen(hex) / 2 > size)
		die_item("set", item);
	for (i = 0; hex[2 * i] && hex[2 * i + 1]; i++) {
		unsigned int byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		v[off + i] = byte;
	}
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_object *obj;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: fake_kernel OBJ\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_libbpf);
	opts.object_name = getenv("FAKE_OBJ_NAME");
	opts.pin_root_path = getenv("FAKE_PIN_ROOT");
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		printf("open result=%d\n", -errno);
		return 0;
	}
	for_each_item("FAKE_AUTOLOAD_OFF", ",", autoload_off, obj);
	for_each_item("FAKE_AUTOLOAD_ON", ",", autoload_on, obj);
	for_each_item("FAKE_MAX_ENTRIES", ",", max_entries, obj);
	for_each_item("FAKE_SET", ";", set_value, obj);
	err = bpf_object__load(obj);
	printf("load result=%d\n", err);
	bpf_object__close(obj);
	return 0;
}
