// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nightshift's fault program: a tc classifier (ingress or egress) that drops
 * or delays the packets of one fault. Checks run cheapest first (protocol,
 * ports, then the peer prefix lookup, the protected addresses, then the
 * clock), so traffic the fault does not target leaves after a few loads and
 * compares. A protected peer (the node's API server, etcd, Temporal, cluster
 * DNS: keep_v4/keep_v6, by address and port) always passes, whatever the match says; so do ARP
 * and IPv6 neighbour discovery, without which no peer is reachable at all.
 *
 * Pass means "next program": tcx and cls_bpf both continue with whatever
 * else is attached (Cilium's programs, for one), so a fault never
 * short-circuits the datapath it sits in front of.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "fault.h"

#define NS_PASS		TC_ACT_UNSPEC	/* TCX_NEXT: let the next program decide */
#define NS_DROP		TC_ACT_SHOT
#define NS_PPM		1000000
#define NS_FRAG_OFF	0x1fff		/* IPv4 fragment offset bits */
#define NS_CLOCK_MONO	1		/* BPF_SKB_CLOCK_MONOTONIC (5.18+) */
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6	58
#endif
#define NS_ND_FIRST	133		/* ICMPv6 router solicitation .. */
#define NS_ND_LAST	137		/* .. redirect: neighbour discovery */

/* The match, fixed at load by the loader. */
const volatile struct ns_match match = {
	.sport_hi = 0xffff,
	.dport_hi = 0xffff,
};

#include "peers.bpf.h"

/* Deadline and magnitude; one entry, written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ns_config);
} config SEC(".maps");

/* Packet counters, one entry per CPU; the program counts, the loader sums. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ns_counters);
} counters SEC(".maps");

/* Where and how this instance is attached; written by the loader, for undo. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ns_meta);
} meta SEC(".maps");

/* What the parser found: protocol, ports in host order, peer address. */
struct ns_pkt {
	__u8 v6;
	__u8 proto;
	__u8 has_ports;
	__u16 sport;
	__u16 dport;
	struct ns_peer_v4 v4key;
	struct ns_peer_v6 v6key;
};

/* Reads the TCP/UDP ports at l4 when the protocol has them. */
static __always_inline int parse_ports(void *l4, void *data_end, struct ns_pkt *pkt)
{
	__be16 *ports = l4;

	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP)
		return 0;
	if ((void *)(ports + 2) > data_end)
		return -1;
	pkt->sport = bpf_ntohs(ports[0]);
	pkt->dport = bpf_ntohs(ports[1]);
	pkt->has_ports = 1;
	return 0;
}

static __always_inline int parse_v4(void *l3, void *data_end, struct ns_pkt *pkt)
{
	struct iphdr *ip = l3;
	__u32 ihl;

	if ((void *)(ip + 1) > data_end)
		return -1;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return -1;
	pkt->proto = ip->protocol;
	if (match.peers_v4 || (match.keep & NS_KEEP_V4)) {
		__builtin_memcpy(pkt->v4key.addr, match.peer_is_dst ? &ip->daddr : &ip->saddr, 4);
		pkt->v4key.prefixlen = 32;
	}
	if (ip->frag_off & bpf_htons(NS_FRAG_OFF))
		return 0;	/* a later fragment carries no ports */
	return parse_ports(l3 + ihl, data_end, pkt);
}

static __always_inline int parse_v6(void *l3, void *data_end, struct ns_pkt *pkt)
{
	struct ipv6hdr *ip6 = l3;

	if ((void *)(ip6 + 1) > data_end)
		return -1;
	pkt->v6 = 1;
	pkt->proto = ip6->nexthdr == IPPROTO_ICMPV6 ? IPPROTO_ICMP : ip6->nexthdr;
	if (ip6->nexthdr == IPPROTO_ICMPV6) {
		__u8 *type = (void *)(ip6 + 1);

		/* Neighbour discovery is IPv6's ARP: like ARP, never a fault's to drop. */
		if ((void *)(type + 1) > data_end)
			return -1;
		if (*type >= NS_ND_FIRST && *type <= NS_ND_LAST)
			return -1;
	}
	if (match.peers_v6 || (match.keep & NS_KEEP_V6)) {
		__builtin_memcpy(pkt->v6key.addr, match.peer_is_dst ? &ip6->daddr : &ip6->saddr, 16);
		pkt->v6key.prefixlen = 128;
	}
	return parse_ports(ip6 + 1, data_end, pkt);
}

/* A fault that names peers of one family only never touches the other. */
static __always_inline int peer_match(const struct ns_pkt *pkt)
{
	if (!match.peers_v4 && !match.peers_v6)
		return 1;
	if (pkt->v6)
		return match.peers_v6 && peer_v6(&pkt->v6key);
	return match.peers_v4 && peer_v4(&pkt->v4key);
}

/* The peer is one the node agent protects (its control plane's address and port): never matched. */
static __always_inline int kept(const struct ns_pkt *pkt)
{
	const struct ns_keep_ports *keep = NULL;
	__u16 port = match.peer_is_dst ? pkt->dport : pkt->sport;
	int i;

	if (pkt->v6 && (match.keep & NS_KEEP_V6))
		keep = bpf_map_lookup_elem(&keep_v6, &pkt->v6key);
	else if (!pkt->v6 && (match.keep & NS_KEEP_V4))
		keep = bpf_map_lookup_elem(&keep_v4, &pkt->v4key);
	if (!keep)
		return 0;
	if (keep->any)
		return 1;
	if (!pkt->has_ports)
		return 0;
#pragma unroll
	for (i = 0; i < NS_KEEP_PORTS; i++)
		if (i < keep->n && keep->ports[i] == port)
			return 1;
	return 0;
}

static __always_inline int ports_match(const struct ns_pkt *pkt)
{
	int any_src = match.sport_lo == 0 && match.sport_hi == 0xffff;
	int any_dst = match.dport_lo == 0 && match.dport_hi == 0xffff;

	if (any_src && any_dst)
		return 1;
	if (!pkt->has_ports)
		return 0;
	return pkt->sport >= match.sport_lo && pkt->sport <= match.sport_hi &&
	       pkt->dport >= match.dport_lo && pkt->dport <= match.dport_hi;
}

/* Earliest Departure Time: the fq qdisc holds the packet until tstamp. */
static __always_inline void delay(struct __sk_buff *skb, const struct ns_config *cfg)
{
	__u64 now = bpf_ktime_get_ns(), base = now, at;

	if (skb->tstamp_type == NS_CLOCK_MONO && skb->tstamp > now)
		base = skb->tstamp;
	at = base + cfg->delay_ns;
	if (cfg->jitter_ns) {
		at += bpf_get_prandom_u32() % (cfg->jitter_ns * 2 + 1);
		at = at > cfg->jitter_ns ? at - cfg->jitter_ns : 0;
	}
	if (at < base)
		at = base;
	bpf_skb_set_tstamp(skb, at, NS_CLOCK_MONO);
}

static __always_inline int drop(const struct ns_config *cfg)
{
	return cfg->drop_ppm >= NS_PPM || bpf_get_prandom_u32() % NS_PPM < cfg->drop_ppm;
}

SEC("tc")
int nightshift(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct ns_counters *counts;
	struct ns_pkt pkt = {};
	struct ns_config *cfg;
	__u32 zero = 0;
	int action = NS_PASS;

	counts = bpf_map_lookup_elem(&counters, &zero);
	if (!counts)
		goto out;
	counts->seen++;
	if ((void *)(eth + 1) > data_end)
		goto out;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		if (parse_v4(eth + 1, data_end, &pkt))
			goto out;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		if (parse_v6(eth + 1, data_end, &pkt))
			goto out;
	} else {
		goto out;
	}
	if (match.proto && pkt.proto != match.proto)
		goto out;
	if (!ports_match(&pkt) || !peer_match(&pkt) || kept(&pkt))
		goto out;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		goto out;
	/* The coarse clock is enough for a deadline and far cheaper to read. */
	if (bpf_ktime_get_coarse_ns() >= cfg->deadline_ns) {
		counts->expired++;
		goto out;
	}
	counts->matched++;
	if (match.kind == NS_KIND_DROP && drop(cfg)) {
		counts->dropped++;
		action = NS_DROP;
	} else if (match.kind == NS_KIND_DELAY) {
		delay(skb, cfg);
		counts->delayed++;
	}
out:
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
