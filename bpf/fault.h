/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Layouts shared by the tc program (fault.bpf.c) and its loader
 * (helper/). One fault attachment = one program instance with its own maps,
 * pinned under /sys/fs/bpf/nightshift/<fault id>/<key>/.
 */
#ifndef NIGHTSHIFT_FAULT_H
#define NIGHTSHIFT_FAULT_H

#include <linux/types.h>

#define NS_PROG_NAME	"nightshift"
#define NS_MAX_PEERS	65536

/* What a matching packet suffers. */
enum ns_kind {
	NS_KIND_DROP = 1,
	NS_KIND_DELAY = 2,
};

/* What one fault instance did, per CPU; the loader sums the CPUs. */
struct ns_counters {
	__u64 seen;		/* every packet the program ran on */
	__u64 matched;		/* matched protocol, ports and peers before the deadline */
	__u64 dropped;		/* matched and dropped */
	__u64 delayed;		/* matched and given a later departure time */
	__u64 expired;		/* matched, but the deadline had passed: passed untouched */
};

/* How one address family's peers are matched (see peers.bpf.h). */
enum ns_peers {
	NS_PEERS_ANY = 0,	/* none configured: any peer */
	NS_PEERS_EXACT = 1,	/* a hash lookup per prefix length in use: cost flat in the count */
	NS_PEERS_TRIE = 2,	/* longest-prefix-match trie, for more than NS_MAX_LENS lengths */
};

#define NS_MAX_LENS	4
#define NS_MAX_KEEP	64	/* protected addresses per attachment */
#define NS_KEEP_PORTS	6	/* protected ports per protected address */

/*
 * What of a protected address always passes (the value of keep_v4/keep_v6):
 * every port, or the listed ports (the peer's side of the packet: its
 * destination port on egress, its source port on ingress). A control plane
 * protects its service, not every other thing its host serves.
 */
struct ns_keep_ports {
	__u8 any;
	__u8 n;
	__u16 ports[NS_KEEP_PORTS];
};

/* Which families have protected addresses (ns_match.keep). */
enum ns_keep {
	NS_KEEP_V4 = 1,
	NS_KEEP_V6 = 2,
};

/* Fixed when the program is loaded (const volatile in the program). */
struct ns_match {
	__u8 proto;		/* IPPROTO_TCP, _UDP, _ICMP (ICMPv6 too); 0 = any */
	__u8 kind;		/* enum ns_kind */
	__u8 peer_is_dst;	/* the peer is the destination (egress faults) */
	__u8 peers_v4;		/* enum ns_peers */
	__u8 peers_v6;		/* enum ns_peers */
	__u8 n_lens_v4;		/* NS_PEERS_EXACT: entries used in lens_v4 */
	__u8 n_lens_v6;
	__u8 keep;		/* enum ns_keep bits: peers that always pass (keep_v4/keep_v6) */
	__u8 lens_v4[NS_MAX_LENS];	/* NS_PEERS_EXACT: prefix lengths present, longest first */
	__u8 lens_v6[NS_MAX_LENS];
	__u16 sport_lo;		/* source port range, inclusive; 0-65535 = any */
	__u16 sport_hi;
	__u16 dport_lo;		/* destination port range, inclusive */
	__u16 dport_hi;
};

/* Read by the program on every matching packet; written by the loader. */
struct ns_config {
	__u64 deadline_ns;	/* CLOCK_MONOTONIC; at or after it every packet passes */
	__u64 delay_ns;		/* added departure delay (NS_KIND_DELAY) */
	__u64 jitter_ns;	/* the delay varies by up to +/- this */
	__u32 drop_ppm;		/* drop probability in parts per million (NS_KIND_DROP) */
	__u32 pad;
};

/* Keys of the peer maps; in the exact maps the address is masked to prefixlen. */
struct ns_peer_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct ns_peer_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* How the attachment was made, so any later agent can undo it. */
enum ns_mode {
	NS_MODE_NONE = 0,	/* loaded and pinned, not attached (tests, benchmarks) */
	NS_MODE_TCX = 1,	/* tcx link pinned as "link" (kernel 6.6+) */
	NS_MODE_TC = 2,		/* legacy clsact filter with our prio and handle */
};

enum ns_hook {
	NS_HOOK_INGRESS = 0,
	NS_HOOK_EGRESS = 1,
};

/* Written once by the loader; never read by the program. */
struct ns_meta {
	__u32 version;		/* layout version, NS_META_VERSION */
	__u32 ifindex;		/* in the namespace named below, at attach time */
	__u32 hook;		/* enum ns_hook */
	__u32 mode;		/* enum ns_mode */
	__u32 tc_handle;	/* NS_MODE_TC only */
	__u16 tc_prio;
	__u8 added_clsact;	/* we created the clsact qdisc: remove it when last */
	__u8 replaced_root;	/* we replaced the default root qdisc with fq */
	__u64 created_ns;	/* CLOCK_MONOTONIC */
	struct ns_match match;	/* a copy of the program's load-time match */
	char ifname[16];
	char netns[64];		/* name under /run/netns; empty = the agent's own */
};

#define NS_META_VERSION 1

#endif /* NIGHTSHIFT_FAULT_H */
