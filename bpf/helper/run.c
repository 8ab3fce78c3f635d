// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nsfault run: BPF_PROG_TEST_RUN on a pinned program with a packet and an
 * __sk_buff carrying a tstamp, for tests (what tstamp did it set?) and
 * benchmarks (ns per run). nsfault probe: can this kernel load the fault
 * program and link it with tcx on a given device?
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
#include "fault.skel.h"

static int parse_hex(const char *hex, __u8 *out, size_t max, __u32 *len)
{
	size_t n = strlen(hex) / 2, i;

	if (strlen(hex) % 2 || n > max)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		char *end;

		out[i] = strtoul(byte, &end, 16);
		if (*end)
			return -EINVAL;
	}
	*len = n;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prog", 1, 0, 'p' }, { "data", 1, 0, 'd' }, { "repeat", 1, 0, 'r' },
		{ "tstamp", 1, 0, 't' }, { 0 },
	};
	struct __sk_buff ctx = {}, ctx_out = {};
	__u8 data[1500], out[1500];
	__u64 repeat = 1, v, before, after;
	const char *prog = NULL;
	__u32 len = 0;
	int c, fd, err = 0;

	while (!err && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': prog = optarg; break;
		case 'd': err = parse_hex(optarg, data, sizeof(data), &len); break;
		case 'r': err = parse_u64(optarg, &repeat); break;
		case 't': err = parse_u64(optarg, &v); ctx.tstamp = v; break;
		default: err = -EINVAL;
		}
	}
	if (err || !prog || len < 14)
		return fail(EINVAL, "usage: nsfault run --prog <pin> --data <hex, >= 14 bytes> "
			    "[--repeat n] [--tstamp ns]");
	fd = bpf_obj_get(prog);
	if (fd < 0)
		return fail(errno, "%s: %s", prog, strerror(errno));
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = data, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = (int)repeat);
	before = mono_ns();
	err = bpf_prog_test_run_opts(fd, &run);
	after = mono_ns();
	close(fd);
	if (err)
		return fail(errno, "test run: %s", strerror(errno));
	/* The kernel takes tstamp in and gives it back; tstamp_type does neither. */
	printf("{\"retval\":%d,\"durationNs\":%u,\"tstamp\":%llu,"
	       "\"beforeNs\":%llu,\"afterNs\":%llu}\n", (int)run.retval, run.duration,
	       (unsigned long long)ctx_out.tstamp,
	       (unsigned long long)before, (unsigned long long)after);
	return 0;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = { { "ifname", 1, 0, 'i' }, { 0 } };
	struct fault_bpf *skel;
	const char *ifname = NULL;
	int c, link = -1, load_err, tcx_err = -ENODEV;
	__u32 ifindex;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c == 'i')
			ifname = optarg;
	ifindex = ifname ? if_nametoindex(ifname) : 0;
	skel = fault_bpf__open();
	load_err = skel ? fault_bpf__load(skel) : -errno;
	if (!load_err && ifindex) {
		link = bpf_link_create(bpf_program__fd(skel->progs.nightshift), ifindex,
				       NS_TCX_INGRESS, NULL);
		tcx_err = link < 0 ? -errno : 0;
	}
	if (link >= 0)
		close(link);	/* unpinned: closing the last fd detaches it */
	fault_bpf__destroy(skel);
	printf("{\"load\":%s,\"loadError\":", load_err ? "false" : "true");
	json_string(stdout, load_err ? strerror(-load_err) : "");
	printf(",\"tcx\":%s,\"tcxError\":", tcx_err ? "false" : "true");
	json_string(stdout, tcx_err ? strerror(-tcx_err) : "");
	printf("}\n");
	return 0;
}
