// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy-helper: reads the policy datapath's drop events (policy.bpf.c's
 * ring buffer, pinned by datapath.ts) and prints each as one JSON line, for
 * lab/policy/events.ts. bpftool cannot read a ring buffer, hence this.
 *
 *   events <pinned ring buffer>    print drop events until killed; a line
 *                                  {"ready":true} once it is listening.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "policy.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_event(void *ctx, void *data, size_t size)
{
	const struct drop_event *e = data;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	inet_ntop(AF_INET, &e->saddr, src, sizeof(src));
	inet_ntop(AF_INET, &e->daddr, dst, sizeof(dst));
	printf("{\"ktimeNs\":%llu,\"srcIdentity\":%u,\"dstIdentity\":%u,\"src\":\"%s\",\"dst\":\"%s\","
	       "\"sport\":%u,\"dport\":%u,\"proto\":%u,\"reason\":%u,\"egress\":%s,\"ifindex\":%u,"
	       "\"endpoint\":%u,\"tcpFlags\":%u}\n",
	       (unsigned long long)e->ktime_ns, e->src_identity, e->dst_identity, src, dst, e->sport,
	       e->dport, e->proto, e->reason, e->dir == DIR_EGRESS ? "true" : "false", e->ifindex,
	       e->endpoint, e->tcp_flags);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb;
	int fd, err = 0;

	if (argc != 3 || strcmp(argv[1], "events") != 0) {
		fprintf(stderr, "usage: %s events <pinned ring buffer>\n", argv[0]);
		return 2;
	}
	fd = bpf_obj_get(argv[2]);
	if (fd < 0) {
		printf("{\"error\":\"open %s: %s\"}\n", argv[2], strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(fd, print_event, NULL, NULL);
	if (!rb) {
		printf("{\"error\":\"ring buffer %s: %s\"}\n", argv[2], strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("{\"ready\":true}\n");
	fflush(stdout);
	while (!stop) {
		err = ring_buffer__poll(rb, 200);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
	}
	ring_buffer__free(rb);
	return err < 0 ? 1 : 0;
}
