// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nsfault load: load one fault instance, write its config, meta and peers,
 * pin everything under --pin, and attach it (tcx link pinned as "link", or a
 * legacy clsact filter). Whatever fails half-way is unpinned again.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper.h"
#include "fault.skel.h"

static const char *const pins[] = { "link", "prog", "config", "counters", "exact_v4",
				    "exact_v6", "trie_v4", "trie_v6", "keep_v4", "keep_v6",
				    "meta" };

struct load_opts {
	const char *dir;
	const char *peers;
	struct ns_match match;
	struct ns_config config;
	struct ns_meta meta;
	__u64 ttl_ns;
};

void unpin_all(const char *dir)
{
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		if (!pin_path(path, sizeof(path), dir, pins[i]))
			unlink(path);
	rmdir(dir);
}

static int parse(int argc, char **argv, struct load_opts *o)
{
	static const struct option long_opts[] = {
		{ "pin", 1, 0, 'p' }, { "kind", 1, 0, 'k' }, { "proto", 1, 0, 'P' },
		{ "sport", 1, 0, 's' }, { "dport", 1, 0, 'd' }, { "peer-dst", 0, 0, 'D' },
		{ "ppm", 1, 0, 'r' }, { "delay-ns", 1, 0, 'l' }, { "jitter-ns", 1, 0, 'j' },
		{ "ttl-ns", 1, 0, 't' }, { "peers", 1, 0, 'f' }, { "ifname", 1, 0, 'i' },
		{ "hook", 1, 0, 'h' }, { "mode", 1, 0, 'm' }, { "netns", 1, 0, 'n' },
		{ "tc-prio", 1, 0, 'R' }, { "tc-handle", 1, 0, 'H' },
		{ "added-clsact", 0, 0, 'A' }, { "replaced-root", 0, 0, 'Q' }, { 0 },
	};
	__u64 v;
	int c, err = 0;

	o->match.sport_hi = o->match.dport_hi = 0xffff;
	o->match.kind = NS_KIND_DROP;
	while (!err && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->dir = optarg; break;
		case 'k': o->match.kind = strcmp(optarg, "delay") ? NS_KIND_DROP : NS_KIND_DELAY;
			  break;
		case 'P': err = parse_u64(optarg, &v); o->match.proto = v; break;
		case 's': err = parse_range(optarg, &o->match.sport_lo, &o->match.sport_hi); break;
		case 'd': err = parse_range(optarg, &o->match.dport_lo, &o->match.dport_hi); break;
		case 'D': o->match.peer_is_dst = 1; break;
		case 'r': err = parse_u64(optarg, &v); o->config.drop_ppm = v; break;
		case 'l': err = parse_u64(optarg, &o->config.delay_ns); break;
		case 'j': err = parse_u64(optarg, &o->config.jitter_ns); break;
		case 't': err = parse_u64(optarg, &o->ttl_ns); break;
		case 'f': o->peers = optarg; break;
		case 'i': snprintf(o->meta.ifname, sizeof(o->meta.ifname), "%s", optarg); break;
		case 'h': o->meta.hook = strcmp(optarg, "egress") ? NS_HOOK_INGRESS : NS_HOOK_EGRESS;
			  break;
		case 'm': o->meta.mode = strcmp(optarg, "tc") ? NS_MODE_TCX : NS_MODE_TC; break;
		case 'n': snprintf(o->meta.netns, sizeof(o->meta.netns), "%s", optarg); break;
		case 'R': err = parse_u64(optarg, &v); o->meta.tc_prio = v; break;
		case 'H': err = parse_u64(optarg, &v); o->meta.tc_handle = v; break;
		case 'A': o->meta.added_clsact = 1; break;
		case 'Q': o->meta.replaced_root = 1; break;
		default: err = -EINVAL;
		}
	}
	if (!err && (!o->dir || !o->ttl_ns))
		err = -EINVAL;
	if (!o->meta.ifname[0])
		o->meta.mode = NS_MODE_NONE;
	else if (!o->meta.mode)
		o->meta.mode = NS_MODE_TCX;
	return err;
}

static int attach(struct fault_bpf *skel, const struct load_opts *o, __u32 *link_id)
{
	int prog_fd = bpf_program__fd(skel->progs.nightshift);
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[512];
	int fd, err;

	if (o->meta.mode == NS_MODE_TC) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = o->meta.ifindex,
			    .attach_point = o->meta.hook ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, tc, .prog_fd = prog_fd, .handle = o->meta.tc_handle,
			    .priority = o->meta.tc_prio);
		return bpf_tc_attach(&hook, &tc);
	}
	fd = bpf_link_create(prog_fd, o->meta.ifindex,
			     o->meta.hook ? NS_TCX_EGRESS : NS_TCX_INGRESS,
			     &(struct bpf_link_create_opts){ .sz = sizeof(struct bpf_link_create_opts),
							     .flags = NS_F_BEFORE });
	if (fd < 0)
		return fd;
	err = pin_path(path, sizeof(path), o->dir, "link");
	if (!err)
		err = bpf_obj_pin(fd, path);
	if (!err && !bpf_obj_get_info_by_fd(fd, &info, &len))
		*link_id = info.id;
	close(fd);
	return err;
}

static int pin_maps(struct fault_bpf *skel, const char *dir)
{
	struct bpf_map *maps[] = { skel->maps.config, skel->maps.counters, skel->maps.exact_v4,
				   skel->maps.exact_v6, skel->maps.trie_v4, skel->maps.trie_v6,
				   skel->maps.keep_v4, skel->maps.keep_v6, skel->maps.meta };
	char path[512];
	size_t i;
	int err;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		err = pin_path(path, sizeof(path), dir, bpf_map__name(maps[i]));
		if (!err)
			err = bpf_map__pin(maps[i], path);
		if (err)
			return err;
	}
	err = pin_path(path, sizeof(path), dir, "prog");
	return err ? err : bpf_program__pin(skel->progs.nightshift, path);
}

int cmd_load(int argc, char **argv)
{
	struct load_opts o = {};
	struct peers peers = {};
	struct fault_bpf *skel = NULL;
	struct bpf_prog_info info = {};
	__u32 zero = 0, len = sizeof(info), link_id = 0;
	const char *step = "arguments";
	int err, pinned = 0;

	err = parse(argc, argv, &o);
	if (!err && o.meta.mode != NS_MODE_NONE) {
		step = "interface";
		o.meta.ifindex = if_nametoindex(o.meta.ifname);
		err = o.meta.ifindex ? 0 : -ENODEV;
	}
	if (!err) {
		step = "peers";
		err = read_peers(o.peers, &peers);
	}
	if (err)
		goto out;
	choose_peers(&peers, &o.match);
	o.meta.match = o.match;
	step = "open";
	skel = fault_bpf__open();
	err = skel ? 0 : -errno;
	if (err)
		goto out;
	skel->rodata->match = o.match;
	step = "load";
	err = fault_bpf__load(skel);
	if (err)
		goto out;
	step = "pin";
	err = mkdir(o.dir, 0700) ? -errno : 0;
	if (err)
		goto out;
	pinned = 1;
	o.config.deadline_ns = mono_ns() + o.ttl_ns;
	o.meta.version = NS_META_VERSION;
	o.meta.created_ns = mono_ns();
	err = bpf_map__update_elem(skel->maps.config, &zero, 4, &o.config, sizeof(o.config), 0);
	if (!err)
		err = write_peers(skel, &peers, &o.match);
	if (!err)
		err = bpf_map__update_elem(skel->maps.meta, &zero, 4, &o.meta, sizeof(o.meta), 0);
	if (!err) {
		step = "pin";
		err = pin_maps(skel, o.dir);
	}
	if (!err && o.meta.mode != NS_MODE_NONE) {
		step = "attach";
		err = attach(skel, &o, &link_id);
	}
out:
	free(peers.v4);
	free(peers.v6);
	if (err) {
		if (pinned)
			unpin_all(o.dir);
		fault_bpf__destroy(skel);
		return fail(err, "%s: %s", step, strerror(err < 0 ? -err : err));
	}
	bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.nightshift), &info, &len);
	printf("{\"pin\":");
	json_string(stdout, o.dir);
	printf(",\"progId\":%u,\"linkId\":%u,\"ifindex\":%u,\"deadlineNs\":%llu}\n", info.id,
	       link_id, o.meta.ifindex, (unsigned long long)o.config.deadline_ns);
	fault_bpf__destroy(skel);
	return 0;
}
