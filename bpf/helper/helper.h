/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * nsfault: the small libbpf program the TypeScript loader drives. Every
 * subcommand prints one JSON object on stdout; on failure it prints
 * {"error": ..., "errno": ...} and exits 1. It never changes the network
 * namespace itself: the loader runs it under nsenter --net=... when needed.
 */
#ifndef NIGHTSHIFT_HELPER_H
#define NIGHTSHIFT_HELPER_H

#include <stdio.h>
#include <linux/types.h>
#include "../fault.h"

/* tcx (kernel 6.6+) names the uapi headers of older distributions lack. */
#define NS_TCX_INGRESS	46	/* BPF_TCX_INGRESS */
#define NS_TCX_EGRESS	47	/* BPF_TCX_EGRESS */
#define NS_F_BEFORE	(1U << 3)	/* BPF_F_BEFORE: run before the others */

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

int cmd_load(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_probe(int argc, char **argv);

/* Peer prefixes and protected addresses read before the load, inserted after it (peers.c). */
struct peers {
	struct ns_peer_v4 *v4;
	struct ns_peer_v6 *v6;
	size_t n4, n6;
	struct ns_peer_v4 keep4[NS_MAX_KEEP];
	struct ns_peer_v6 keep6[NS_MAX_KEEP];
	struct ns_keep_ports keep4_ports[NS_MAX_KEEP];
	struct ns_keep_ports keep6_ports[NS_MAX_KEEP];
	size_t k4, k6;
};

struct fault_bpf;
int read_peers(const char *file, struct peers *p);
void choose_peers(const struct peers *p, struct ns_match *m);
int write_peers(struct fault_bpf *skel, struct peers *p, const struct ns_match *m);

/* One pinned fault instance as a JSON object on stdout; -ENOENT when nothing is there. */
int print_fault(const char *dir);
/* Removes every pin of a fault instance and its directory; missing ones are fine. */
void unpin_all(const char *dir);

/* Prints {"error": msg, "errno": err} and returns 1. */
int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__u64 mono_ns(void);
int pin_path(char *out, size_t size, const char *dir, const char *name);
/* Parses "lo-hi" or "port" into an inclusive range. */
int parse_range(const char *text, __u16 *lo, __u16 *hi);
int parse_u64(const char *text, __u64 *out);
void json_string(FILE *out, const char *text);

#endif /* NIGHTSHIFT_HELPER_H */
