// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * flowtap-helper: what the lab's Hubble stand-in needs from libbpf and
 * nothing else (lab/hubble/helper.ts builds it; flowtap.bpf.c is the
 * program).
 *
 *   load  <obj> <pin dir> [reason...]   load flowtap, pin its maps and tc
 *                                        programs, attach and pin the kfree_skb
 *                                        link, list the drop reasons to report.
 *                                        A second load finds the pins and
 *                                        only refreshes the reasons (pins of
 *                                        an older flowtap, without
 *                                        endpoint_devs, are replaced).
 *   endpoint <pin dir> <netns inode> <ifindex>
 *                                        list a pod's host-side veth: a tc
 *                                        egress drop there counts as delivered
 *                                        (see flowtap.bpf.c).
 *   watch <pin dir> <interval ms>       every interval, print one JSON line per
 *                                        flow that changed since the last one.
 *
 * Unloading is unpinning: remove the pin dir (and the tc filters).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define METHOD_LEN 8
#define PATH_LEN 32

/* Mirrors struct flow_key / flow_val in flowtap.bpf.c. */
struct flow_key {
	__u32 saddr, daddr;
	__u16 sport, dport;
	__u8 proto, pad[3];
};

struct flow_val {
	__u64 tx_packets, tx_bytes, rx_packets, rx_bytes;
	__u64 syn, fin, rst, drops;
	__u32 drop_reason, drop_netns;
	__u64 http_requests, http_status[6], http_latency_ns, http_latency_count;
	__u64 last_request_ns, last_ns;
	char method[METHOD_LEN], path[PATH_LEN];
};

static int fail(const char *what, int err)
{
	printf("{\"error\":\"%s: %s\"}\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static void path_of(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static int set_reasons(const char *dir, int argc, char **argv)
{
	char path[512];
	int fd, i;
	__u32 one = 1;

	path_of(path, sizeof(path), dir, "reasons");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fail("open reasons map", errno);
	for (i = 0; i < argc; i++) {
		__u32 code = (__u32)strtoul(argv[i], NULL, 10);

		if (bpf_map_update_elem(fd, &code, &one, BPF_ANY))
			return fail("update reasons map", errno);
	}
	close(fd);
	return 0;
}

static const char *const PINS[] = {
	"flows", "reasons", "endpoint_devs", "egress", "ingress", "drop_link",
};

static int pinned(const char *dir, const char *name)
{
	char path[512];

	path_of(path, sizeof(path), dir, name);
	return access(path, F_OK) == 0;
}

static int cmd_load(const char *obj_path, const char *dir, int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *link;
	char path[512];
	size_t i;
	int err;

	if (pinned(dir, "drop_link") && pinned(dir, "endpoint_devs")) {
		if (set_reasons(dir, argc, argv))
			return 1;
		printf("{\"loaded\":false,\"pins\":\"%s\"}\n", dir);
		return 0;
	}
	/* Nothing, or an older flowtap's pins: load afresh (tc filters are re-pointed by their owner). */
	for (i = 0; i < sizeof(PINS) / sizeof(PINS[0]); i++) {
		path_of(path, sizeof(path), dir, PINS[i]);
		unlink(path);
	}
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj)
		return fail("open object", errno);
	path_of(path, sizeof(path), dir, "flows");
	bpf_map__set_pin_path(bpf_object__find_map_by_name(obj, "flows"), path);
	path_of(path, sizeof(path), dir, "reasons");
	bpf_map__set_pin_path(bpf_object__find_map_by_name(obj, "reasons"), path);
	path_of(path, sizeof(path), dir, "endpoint_devs");
	bpf_map__set_pin_path(bpf_object__find_map_by_name(obj, "endpoint_devs"), path);
	err = bpf_object__load(obj);
	if (err)
		return fail("load", err);
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);

		if (strcmp(name, "flowtap_drop") == 0)
			continue;
		path_of(path, sizeof(path), dir, strcmp(name, "flowtap_egress") == 0 ? "egress" : "ingress");
		err = bpf_program__pin(prog, path);
		if (err)
			return fail("pin program", err);
	}
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "flowtap_drop"));
	if (!link)
		return fail("attach kfree_skb", errno);
	path_of(path, sizeof(path), dir, "drop_link");
	err = bpf_link__pin(link, path);
	if (err)
		return fail("pin link", err);
	if (set_reasons(dir, argc, argv))
		return 1;
	printf("{\"loaded\":true,\"pins\":\"%s\"}\n", dir);
	return 0;
}

static int cmd_endpoint(const char *dir, const char *netns, const char *ifindex)
{
	struct {
		__u32 netns, ifindex;
	} key = { (__u32)strtoul(netns, NULL, 10), (__u32)strtoul(ifindex, NULL, 10) };
	__u32 one = 1;
	char path[512];
	int fd;

	path_of(path, sizeof(path), dir, "endpoint_devs");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fail("open endpoint_devs map", errno);
	if (bpf_map_update_elem(fd, &key, &one, BPF_ANY))
		return fail("update endpoint_devs map", errno);
	close(fd);
	printf("{\"ok\":true}\n");
	return 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void json_text(const char *s, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < max && s[i]; i++)
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			putchar(s[i]);
	putchar('"');
}

static __s64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * `now` is the pass's start on the kernel's clock (CLOCK_MONOTONIC, as
 * bpf_ktime_get_ns) and `wall` the same moment in Unix ms: a flow's last
 * packet is stamped on the wall clock from them, so a reply is never dated
 * before its request whichever pass prints it.
 */
static void print_flow(const struct flow_key *k, const struct flow_val *v, __u64 now, __s64 wall)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	int i;

	inet_ntop(AF_INET, &k->saddr, src, sizeof(src));
	inet_ntop(AF_INET, &k->daddr, dst, sizeof(dst));
	printf("{\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,\"proto\":%u,"
	       "\"tx\":%llu,\"txBytes\":%llu,\"rx\":%llu,\"rxBytes\":%llu,"
	       "\"syn\":%llu,\"fin\":%llu,\"rst\":%llu,\"drops\":%llu,"
	       "\"dropReason\":%u,\"dropNetns\":%u,\"httpRequests\":%llu,\"httpStatus\":[",
	       src, dst, k->sport, k->dport, k->proto, v->tx_packets, v->tx_bytes, v->rx_packets,
	       v->rx_bytes, v->syn, v->fin, v->rst, v->drops, v->drop_reason, v->drop_netns,
	       v->http_requests);
	for (i = 0; i < 6; i++)
		printf(i ? ",%llu" : "%llu", v->http_status[i]);
	printf("],\"latencyNs\":%llu,\"latencyCount\":%llu,\"ageMs\":%llu,\"atMs\":%lld,\"method\":",
	       v->http_latency_ns, v->http_latency_count,
	       now > v->last_ns ? (now - v->last_ns) / 1000000 : 0,
	       (long long)(wall - ((__s64)now - (__s64)v->last_ns) / 1000000));
	json_text(v->method, METHOD_LEN);
	printf(",\"path\":");
	json_text(v->path, PATH_LEN);
	printf("}\n");
}

/* Flows read per batch: one syscall for this many map entries (each bucket must fit). */
#define BATCH 4096

static int cmd_watch(const char *dir, unsigned interval_ms)
{
	static struct flow_key keys[BATCH];
	static struct flow_val vals[BATCH];
	char path[512];
	__u64 since = 0, now;
	__s64 wall;
	__u32 token, count, i;
	int fd, err, first;

	path_of(path, sizeof(path), dir, "flows");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fail("open flows map", errno);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (;;) {
		now = mono_ns();
		wall = wall_ms();
		/* A whole pass in batches (a key at a time would be two syscalls per flow). */
		for (first = 1;; first = 0) {
			count = BATCH;
			err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, vals, &count,
						   NULL);
			if (err && errno != ENOENT)
				return fail("read flows map", errno);
			for (i = 0; i < count; i++)
				if (vals[i].last_ns >= since)
					print_flow(&keys[i], &vals[i], now, wall);
			if (err)
				break; /* ENOENT: the pass is done */
		}
		printf("{\"tick\":%llu}\n", now / 1000000);
		if (fflush(stdout) != 0)
			return 0; /* the reader went away */
		since = now;
		usleep(interval_ms * 1000);
	}
}

int main(int argc, char **argv)
{
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (argc >= 4 && strcmp(argv[1], "load") == 0)
		return cmd_load(argv[2], argv[3], argc - 4, argv + 4);
	if (argc == 5 && strcmp(argv[1], "endpoint") == 0)
		return cmd_endpoint(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "watch") == 0)
		return cmd_watch(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: flowtap-helper load <obj> <pin dir> [reason...]\n"
			"       flowtap-helper endpoint <pin dir> <netns inode> <ifindex>\n"
			"       flowtap-helper watch <pin dir> <interval ms>\n");
	return 2;
}
