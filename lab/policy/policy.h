/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Structs shared by policy.bpf.c and policy-helper.c, and mirrored by
 * datapath.ts (which writes the maps byte by byte). Little-endian hosts;
 * addresses are kept in network order, ports in host order.
 */
#ifndef NIGHTSHIFT_POLICY_H
#define NIGHTSHIFT_POLICY_H

#include <linux/types.h>

#define POLICY_ENTRIES		65536
#define POLICY_ENDPOINTS	4096
#define POLICY_IPCACHE		65536
#define POLICY_CT		65536

/* Cilium's drop reasons (bpf/lib/common.h). */
#define DROP_POLICY		133	/* POLICY_DENIED: no rule allows it */
#define DROP_POLICY_DENY	181	/* POLICY_DENY: a deny rule matched */

/*
 * skb->mark of a packet this program drops: "POL" and the reason. A tc egress
 * drop on a host-side veth otherwise looks, to flowtap's kfree_skb hook, like
 * a fault's drop after Cilium would have traced the packet to the endpoint.
 */
#define POLICY_DROP_MARK	0x504f4c00

#define EP_ENFORCE_INGRESS	1
#define EP_ENFORCE_EGRESS	2

#define DIR_INGRESS		0	/* towards the endpoint */
#define DIR_EGRESS		1	/* from the endpoint */

#define IDENTITY_WORLD		2

struct ipcache_key {
	__u32 prefixlen;	/* LPM trie: the prefix length comes first */
	__u32 addr;		/* network order */
};

struct ipcache_val {
	__u32 identity;
};

struct endpoint_val {
	__u32 id;		/* endpoint id: the first part of its policy keys */
	__u32 identity;
	__u32 flags;		/* EP_ENFORCE_* */
};

struct policy_key {
	__u32 endpoint;
	__u32 identity;		/* peer identity; 0 = any */
	__u16 dport;		/* 0 = any */
	__u8 proto;		/* 0 = any (then dport is 0) */
	__u8 dir;		/* DIR_* */
};

struct policy_val {
	__u8 deny;
	__u8 l7;		/* an L7 rule applies: a proxy would see it (not in the lab yet) */
	__u16 pad;
};

struct ct_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 dir;		/* DIR_*: the endpoint side that allowed it */
	__u16 pad;
};

struct ct_val {
	__u64 seen_ns;		/* last packet either way (refreshed at most once a second) */
	__u32 closing;		/* a FIN or RST was seen: the close lifetime applies */
	__u32 pad;
};

/* Conntrack lifetimes (ns), Cilium's defaults unless datapath.ts writes others. */
struct ct_config {
	__u64 tcp_ns;		/* 6 h: CT_CONNECTION_LIFETIME_TCP */
	__u64 other_ns;		/* 60 s: CT_CONNECTION_LIFETIME_NONTCP */
	__u64 close_ns;		/* 10 s: CT_CLOSE_TIMEOUT */
};

struct drop_event {
	__u64 ktime_ns;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 saddr;		/* network order */
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 reason;		/* DROP_POLICY or DROP_POLICY_DENY */
	__u8 dir;		/* DIR_* of the endpoint that dropped it */
	__u8 tcp_flags;		/* byte 13 of the TCP header (FIN 0x01 ... CWR 0x80) */
	__u32 ifindex;
	__u32 endpoint;
};

enum policy_stat {
	STAT_FORWARDED,
	STAT_REPLY,
	STAT_DROPPED,
	STAT_EVENT_LOST,
	STAT_CT_EXPIRED,
	STAT_MAX,
};

#endif
