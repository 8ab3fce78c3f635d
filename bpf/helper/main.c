// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* nsfault <command> [options]: dispatch, and the helpers every command shares. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "helper.h"

static const struct command commands[] = {
	{ "load", cmd_load },		/* load, pin, configure and maybe attach a fault */
	{ "show", cmd_show },		/* config, meta, counters and link of pinned faults */
	{ "detach", cmd_detach },	/* expire, detach and unpin a fault */
	{ "query", cmd_query },		/* tcx programs on an interface */
	{ "run", cmd_run },		/* BPF_PROG_TEST_RUN on a pinned program */
	{ "probe", cmd_probe },		/* can this kernel load the program and link tcx? */
};

int fail(int err, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	printf("{\"error\":");
	json_string(stdout, message);
	printf(",\"errno\":%d}\n", err < 0 ? -err : err);
	return 1;
}

__u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int pin_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int parse_u64(const char *text, __u64 *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 0);
	return errno || *end || end == text ? -EINVAL : 0;
}

int parse_range(const char *text, __u16 *lo, __u16 *hi)
{
	unsigned long a, b;
	char *end;

	a = strtoul(text, &end, 10);
	b = a;
	if (*end == '-')
		b = strtoul(end + 1, &end, 10);
	if (*end || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

void json_string(FILE *out, const char *text)
{
	fputc('"', out);
	for (; *text; text++) {
		unsigned char c = *text;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	size_t i;

	libbpf_set_print(quiet);
	if (argc < 2)
		return fail(EINVAL, "usage: nsfault <load|show|detach|query|run|probe> ...");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return fail(EINVAL, "unknown command %s", argv[1]);
}
