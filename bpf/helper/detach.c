// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nsfault detach <dir>: stop a fault instance at once (deadline 0), detach
 * it, print its last state and unpin everything. A missing interface or a
 * missing directory is reported, never an error: revert must always finish.
 */
#include <errno.h>
#include <net/if.h>
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

/* Deadline 0: the program passes everything from now on. */
static void expire(const char *dir)
{
	struct ns_config cfg = {};
	__u32 zero = 0;
	int fd = open_pin(dir, "config");

	if (fd < 0)
		return;
	if (!bpf_map_lookup_elem(fd, &zero, &cfg)) {
		cfg.deadline_ns = 0;
		bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY);
	}
	close(fd);
}

static const char *detach_tcx(const char *dir)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd = open_pin(dir, "link");
	const char *state = "detached";

	if (fd < 0)
		return "absent";
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !info.netns.netns_ino)
		state = "interface-gone";
	if (bpf_link_detach(fd) && errno != ENOLINK && strcmp(state, "detached") == 0)
		state = "detach-failed";
	close(fd);
	return state;
}

/* Only the filter at our prio and handle that runs our own program is removed. */
static const char *detach_tc(const char *dir, const struct ns_meta *meta)
{
	char name[IF_NAMESIZE] = "";
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = open_pin(dir, "prog");
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = meta->ifindex,
		    .attach_point = meta->hook ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = meta->tc_handle, .priority = meta->tc_prio);

	if (fd >= 0)
		bpf_obj_get_info_by_fd(fd, &info, &len);
	if (fd >= 0)
		close(fd);
	if (!if_indextoname(meta->ifindex, name) || strcmp(name, meta->ifname))
		return "interface-gone";
	if (bpf_tc_query(&hook, &tc))
		return "absent";
	if (tc.prog_id != info.id)
		return "not-ours";
	tc.prog_id = 0;
	tc.flags = 0;
	return bpf_tc_detach(&hook, &tc) ? "detach-failed" : "detached";
}

int cmd_detach(int argc, char **argv)
{
	struct ns_meta meta = {};
	const char *dir = argc > 1 ? argv[1] : NULL, *state = "absent";
	__u32 zero = 0;
	int fd;

	if (!dir)
		return fail(EINVAL, "usage: nsfault detach <dir>");
	expire(dir);
	fd = open_pin(dir, "meta");
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &meta)) {
		if (meta.mode == NS_MODE_TCX)
			state = detach_tcx(dir);
		else if (meta.mode == NS_MODE_TC)
			state = detach_tc(dir, &meta);
		else
			state = "not-attached";
	}
	if (fd >= 0)
		close(fd);
	if (!strcmp(state, "detach-failed"))
		return fail(EBUSY, "detach failed; %s is kept for a retry", dir);
	printf("{\"state\":\"%s\",\"fault\":", state);
	if (print_fault(dir))
		printf("null");
	printf("}\n");
	unpin_all(dir);
	return 0;
}
