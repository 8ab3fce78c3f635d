// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Peer prefixes for nsfault load: read one CIDR a line before the load,
 * choose per family between exact lookups (at most NS_MAX_LENS prefix
 * lengths) and the trie, and insert them after the load. A line "!<address>"
 * names a protected address instead, "!<address>,<port>" one of its ports:
 * the program never matches it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "helper.h"
#include "fault.skel.h"

static int add_peer(struct peers *p, char *line)
{
	char *slash = strchr(line, '/');
	struct ns_peer_v6 k6 = {};
	struct ns_peer_v4 k4 = {};
	long len;

	if (!slash)
		return -EINVAL;
	*slash = 0;
	len = strtol(slash + 1, NULL, 10);
	if (p->n4 >= NS_MAX_PEERS || p->n6 >= NS_MAX_PEERS)
		return -E2BIG;
	if (inet_pton(AF_INET, line, k4.addr) == 1 && len >= 0 && len <= 32) {
		k4.prefixlen = len;
		p->v4[p->n4++] = k4;
		return 0;
	}
	if (inet_pton(AF_INET6, line, k6.addr) == 1 && len >= 0 && len <= 128) {
		k6.prefixlen = len;
		p->v6[p->n6++] = k6;
		return 0;
	}
	return -EINVAL;
}

/* Adds a port (0: every port) to what a protected address keeps. */
static void keep_port(struct ns_keep_ports *k, long port)
{
	__u8 i;

	if (port == 0 || k->n >= NS_KEEP_PORTS) {
		k->any = 1; /* no room to list it: keep the whole address, the safe side */
		return;
	}
	for (i = 0; i < k->n; i++)
		if (k->ports[i] == port)
			return;
	k->ports[k->n++] = (__u16)port;
}

/* "address" or "address,port": a protected address, every port or one. */
static int add_keep(struct peers *p, char *addr)
{
	struct ns_peer_v6 k6 = { .prefixlen = 128 };
	struct ns_peer_v4 k4 = { .prefixlen = 32 };
	char *comma = strchr(addr, ',');
	long port = 0;
	size_t i;

	if (comma) {
		char *end;

		*comma = 0;
		port = strtol(comma + 1, &end, 10);
		if (*end || port < 1 || port > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, addr, k4.addr) == 1) {
		for (i = 0; i < p->k4 && memcmp(&p->keep4[i], &k4, sizeof(k4)); i++)
			;
		if (i == p->k4) {
			if (p->k4 >= NS_MAX_KEEP)
				return -E2BIG;
			p->keep4[p->k4++] = k4;
		}
		keep_port(&p->keep4_ports[i], port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, k6.addr) == 1) {
		for (i = 0; i < p->k6 && memcmp(&p->keep6[i], &k6, sizeof(k6)); i++)
			;
		if (i == p->k6) {
			if (p->k6 >= NS_MAX_KEEP)
				return -E2BIG;
			p->keep6[p->k6++] = k6;
		}
		keep_port(&p->keep6_ports[i], port);
		return 0;
	}
	return -EINVAL;
}

/* One CIDR (or "!address[,port]") a line, from a file or "-" (stdin). */
int read_peers(const char *file, struct peers *p)
{
	char line[128];
	FILE *in;
	int err = 0;

	if (!file)
		return 0;
	p->v4 = calloc(NS_MAX_PEERS, sizeof(*p->v4));
	p->v6 = calloc(NS_MAX_PEERS, sizeof(*p->v6));
	if (!p->v4 || !p->v6)
		return -ENOMEM;
	in = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!in)
		return -errno;
	while (!err && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n ")] = 0;
		if (line[0] == '!')
			err = add_keep(p, line + 1);
		else if (line[0])
			err = add_peer(p, line);
	}
	if (in != stdin)
		fclose(in);
	return err;
}

/* Notes one prefix length: lens keeps up to NS_MAX_LENS distinct ones, longest first. */
static void add_len(__u8 *lens, int *count, __u32 len)
{
	int i, j;

	for (i = 0; i < *count && i < NS_MAX_LENS; i++)
		if (lens[i] == len)
			return;
	if (*count < NS_MAX_LENS) {
		for (j = *count; j > 0 && lens[j - 1] < len; j--)
			lens[j] = lens[j - 1];
		lens[j] = len;
	}
	(*count)++;
}

/* Zeroes the address bits past prefixlen, as the program's exact lookups do. */
static void mask(__u8 *addr, size_t bytes, __u32 prefixlen)
{
	size_t i;

	for (i = 0; i < bytes; i++) {
		int bits = (int)prefixlen - 8 * (int)i;

		addr[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (__u8)(0xff << (8 - bits));
	}
}

/* Picks exact lookups or the trie per family, before the load. */
void choose_peers(const struct peers *p, struct ns_match *m)
{
	int n4 = 0, n6 = 0;
	size_t i;

	for (i = 0; i < p->n4; i++)
		add_len(m->lens_v4, &n4, p->v4[i].prefixlen);
	for (i = 0; i < p->n6; i++)
		add_len(m->lens_v6, &n6, p->v6[i].prefixlen);

	m->peers_v4 = !n4 ? NS_PEERS_ANY : n4 <= NS_MAX_LENS ? NS_PEERS_EXACT : NS_PEERS_TRIE;
	m->peers_v6 = !n6 ? NS_PEERS_ANY : n6 <= NS_MAX_LENS ? NS_PEERS_EXACT : NS_PEERS_TRIE;
	m->n_lens_v4 = m->peers_v4 == NS_PEERS_EXACT ? n4 : 0;
	m->n_lens_v6 = m->peers_v6 == NS_PEERS_EXACT ? n6 : 0;
	m->keep = (p->k4 ? NS_KEEP_V4 : 0) | (p->k6 ? NS_KEEP_V6 : 0);
}

int write_peers(struct fault_bpf *skel, struct peers *p, const struct ns_match *m)
{
	struct bpf_map *v4 = m->peers_v4 == NS_PEERS_TRIE ? skel->maps.trie_v4 : skel->maps.exact_v4;
	struct bpf_map *v6 = m->peers_v6 == NS_PEERS_TRIE ? skel->maps.trie_v6 : skel->maps.exact_v6;
	__u8 one = 1;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < p->n4; i++) {
		mask(p->v4[i].addr, 4, p->v4[i].prefixlen);
		err = bpf_map__update_elem(v4, &p->v4[i], sizeof(p->v4[i]), &one, 1, BPF_ANY);
	}
	for (i = 0; !err && i < p->n6; i++) {
		mask(p->v6[i].addr, 16, p->v6[i].prefixlen);
		err = bpf_map__update_elem(v6, &p->v6[i], sizeof(p->v6[i]), &one, 1, BPF_ANY);
	}
	for (i = 0; !err && i < p->k4; i++)
		err = bpf_map__update_elem(skel->maps.keep_v4, &p->keep4[i], sizeof(p->keep4[i]),
					   &p->keep4_ports[i], sizeof(p->keep4_ports[i]), BPF_ANY);
	for (i = 0; !err && i < p->k6; i++)
		err = bpf_map__update_elem(skel->maps.keep_v6, &p->keep6[i], sizeof(p->keep6[i]),
					   &p->keep6_ports[i], sizeof(p->keep6_ports[i]), BPF_ANY);
	return err;
}
