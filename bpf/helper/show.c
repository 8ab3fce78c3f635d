// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nsfault show <dir>...: what each pinned fault instance is (meta, config),
 * what it did (counters summed over CPUs) and whether its tcx link still has
 * an interface. nsfault query --ifname <name>: the tcx programs on a device.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper.h"

static int open_pin(const char *dir, const char *name)
{
	char path[512];

	return pin_path(path, sizeof(path), dir, name) ? -1 : bpf_obj_get(path);
}

static int lookup_pinned(const char *dir, const char *name, void *value)
{
	__u32 zero = 0;
	int fd = open_pin(dir, name), err;

	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, value);
	close(fd);
	return err;
}

static void print_counters(const char *dir)
{
	int ncpus = libbpf_num_possible_cpus(), fd = open_pin(dir, "counters"), cpu;
	struct ns_counters *per_cpu = calloc(ncpus > 0 ? ncpus : 1, sizeof(*per_cpu));
	struct ns_counters sum = {};
	__u32 zero = 0;

	if (fd >= 0 && per_cpu && !bpf_map_lookup_elem(fd, &zero, per_cpu)) {
		for (cpu = 0; cpu < ncpus; cpu++) {
			sum.seen += per_cpu[cpu].seen;
			sum.matched += per_cpu[cpu].matched;
			sum.dropped += per_cpu[cpu].dropped;
			sum.delayed += per_cpu[cpu].delayed;
			sum.expired += per_cpu[cpu].expired;
		}
	}
	printf("\"counters\":{\"seen\":%llu,\"matched\":%llu,\"dropped\":%llu,\"delayed\":%llu,"
	       "\"expired\":%llu}", (unsigned long long)sum.seen, (unsigned long long)sum.matched,
	       (unsigned long long)sum.dropped, (unsigned long long)sum.delayed,
	       (unsigned long long)sum.expired);
	free(per_cpu);
	if (fd >= 0)
		close(fd);
}

/* The tcx link: its id and interface; ifindex 0 means the device is gone. */
static void print_link(const char *dir)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = open_pin(dir, "link");

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("\"link\":null");
	} else {
		/* tcx info {ifindex, attach_type} sits where older headers put netns's. */
		printf("\"link\":{\"id\":%u,\"progId\":%u,\"ifindex\":%u}", info.id, info.prog_id,
		       info.netns.netns_ino);
	}
	if (fd >= 0)
		close(fd);
}

static void print_match(const struct ns_match *m)
{
	printf("\"match\":{\"proto\":%u,\"kind\":%u,\"peerIsDst\":%u,\"peersV4\":%u,"
	       "\"peersV6\":%u,\"keep\":%u,\"sport\":[%u,%u],\"dport\":[%u,%u]}", m->proto,
	       m->kind, m->peer_is_dst, m->peers_v4, m->peers_v6, m->keep, m->sport_lo, m->sport_hi,
	       m->dport_lo, m->dport_hi);
}

int print_fault(const char *dir)
{
	struct ns_config cfg = {};
	struct ns_meta meta = {};
	int err = lookup_pinned(dir, "meta", &meta);

	if (err)
		return err;
	lookup_pinned(dir, "config", &cfg);
	printf("{\"pin\":");
	json_string(stdout, dir);
	printf(",\"ifname\":");
	json_string(stdout, meta.ifname);
	printf(",\"netns\":");
	json_string(stdout, meta.netns);
	printf(",\"ifindex\":%u,\"hook\":\"%s\",\"mode\":%u,\"tcPrio\":%u,\"tcHandle\":%u,"
	       "\"addedClsact\":%u,\"replacedRoot\":%u,\"createdNs\":%llu,", meta.ifindex,
	       meta.hook ? "egress" : "ingress", meta.mode, meta.tc_prio, meta.tc_handle,
	       meta.added_clsact, meta.replaced_root, (unsigned long long)meta.created_ns);
	printf("\"config\":{\"deadlineNs\":%llu,\"delayNs\":%llu,\"jitterNs\":%llu,"
	       "\"dropPpm\":%u},", (unsigned long long)cfg.deadline_ns,
	       (unsigned long long)cfg.delay_ns, (unsigned long long)cfg.jitter_ns, cfg.drop_ppm);
	print_match(&meta.match);
	printf(",");
	print_counters(dir);
	printf(",");
	print_link(dir);
	printf("}");
	return 0;
}

int cmd_show(int argc, char **argv)
{
	int i, first = 1;

	printf("{\"nowNs\":%llu,\"faults\":[", (unsigned long long)mono_ns());
	for (i = 1; i < argc; i++) {
		if (!first)
			printf(",");
		first = print_fault(argv[i]) ? first : 0;
	}
	printf("]}\n");
	return 0;
}

static void print_progs(__u32 ifindex, __u32 type)
{
	__u32 ids[64], count = 64, i;
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = count);

	if (bpf_prog_query_opts(ifindex, type, &q))
		q.prog_cnt = 0;
	for (i = 0; i < q.prog_cnt && i < 64; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len))
			info.name[0] = 0;
		printf("%s{\"id\":%u,\"name\":", i ? "," : "", ids[i]);
		json_string(stdout, info.name);
		printf("}");
		if (fd >= 0)
			close(fd);
	}
}

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = { { "ifname", 1, 0, 'i' }, { 0 } };
	const char *ifname = NULL;
	__u32 ifindex;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c == 'i')
			ifname = optarg;
	ifindex = ifname ? if_nametoindex(ifname) : 0;
	if (!ifindex)
		return fail(ENODEV, "interface: %s", ifname ? ifname : "--ifname is required");
	printf("{\"ifindex\":%u,\"ingress\":[", ifindex);
	print_progs(ifindex, NS_TCX_INGRESS);
	printf("],\"egress\":[");
	print_progs(ifindex, NS_TCX_EGRESS);
	printf("]}\n");
	return 0;
}
