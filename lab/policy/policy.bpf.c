// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * policy: the lab's network policy datapath, after Cilium's.
 *
 * - from_container (tc ingress of a pod's host-side veth): the pod's egress.
 * - to_container (tc egress of a pod's host-side veth): the pod's ingress.
 *
 * A packet of a connection the other side allowed (a reply: its reversed
 * tuple is in conntrack for the other direction) passes. Otherwise, when
 * the endpoint enforces policy in this direction, the policy map is looked
 * up from the most specific key to the least: (peer identity, proto, port),
 * (identity, proto, *), (identity, *, *), then the same with any identity.
 * The first entry found decides: deny drops with POLICY_DENY, allow passes;
 * no entry drops with POLICY_DENIED. Every drop is sent on the ring buffer
 * and leaves POLICY_DROP_MARK on the skb for the kfree_skb tracers.
 * Allowed packets (and those of unenforced directions) record their tuple
 * in conntrack, which forgets a connection idle longer than its lifetime
 * (shorter once a FIN or RST was seen). IPv4 only; anything else passes.
 * user space: datapath.ts.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "policy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PASS	TC_ACT_UNSPEC	/* let the next filter (a fault, flowtap) decide */
#define DROP	TC_ACT_SHOT

#define SEC_NS		1000000000ULL
#define TCP_FIN		0x01
#define TCP_RST		0x04

/* Address prefix -> security identity; written by datapath.ts from the compiled ipcache. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, POLICY_IPCACHE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_val);
} ipcache SEC(".maps");

/* Endpoint address (network order) -> id, identity, directions enforced; by datapath.ts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct endpoint_val);
} endpoints SEC(".maps");

/* (endpoint, identity, port, proto, direction) -> allow or deny; written by datapath.ts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, POLICY_ENTRIES);
	__type(key, struct policy_key);
	__type(value, struct policy_val);
} policy SEC(".maps");

/* Allowed tuples per direction, so replies pass; written here, flushed by datapath.ts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POLICY_CT);
	__type(key, struct ct_key);
	__type(value, struct ct_val);
} conntrack SEC(".maps");

/* Conntrack lifetimes, one entry; written by datapath.ts at load (zero: Cilium's defaults). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_config);
} ct_config SEC(".maps");

/* Drop events for the Hubble stand-in; read by policy-helper. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Forwarded, replies, drops, events lost, expired (enum policy_stat); read by datapath.ts. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct tuple {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 tcp_flags;
};

static __always_inline void count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &stat);

	if (n)
		*n += 1;
}

/* Addresses and ports of an IPv4 TCP/UDP packet (ports 0 for other protocols); 0 if not IPv4. */
static __always_inline int parse(struct __sk_buff *skb, struct tuple *t)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u16 *ports;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	t->saddr = ip->saddr;
	t->daddr = ip->daddr;
	t->proto = ip->protocol;
	t->sport = 0;
	t->dport = 0;
	t->tcp_flags = 0;
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP)
		return 1;
	if (ip->frag_off & bpf_htons(0x1fff))	/* a later fragment: no L4 header */
		return 1;
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > end)
		return 1;
	t->sport = bpf_ntohs(ports[0]);
	t->dport = bpf_ntohs(ports[1]);
	if (t->proto == IPPROTO_TCP && (void *)ports + 14 <= end)
		t->tcp_flags = ((__u8 *)ports)[13];
	return 1;
}

static __always_inline __u64 lifetime(struct ct_val *ct, __u8 proto)
{
	__u32 zero = 0;
	struct ct_config *c = bpf_map_lookup_elem(&ct_config, &zero);
	__u64 tcp = c && c->tcp_ns ? c->tcp_ns : 21600 * SEC_NS;
	__u64 other = c && c->other_ns ? c->other_ns : 60 * SEC_NS;
	__u64 close = c && c->close_ns ? c->close_ns : 10 * SEC_NS;

	if (ct->closing)
		return close;
	return proto == IPPROTO_TCP ? tcp : other;
}

/* Whether a connection is still alive; refresh it (at most once a second) and note a close. */
static __always_inline int alive(struct ct_val *ct, struct tuple *t, __u64 now)
{
	if (now - ct->seen_ns > lifetime(ct, t->proto))
		return 0;
	if (now - ct->seen_ns > SEC_NS)
		ct->seen_ns = now;
	if (t->tcp_flags & (TCP_FIN | TCP_RST) && !ct->closing) {
		ct->closing = 1;
		ct->seen_ns = now;
	}
	return 1;
}

static __always_inline __u32 identity_of(__u32 addr)
{
	struct ipcache_key key = { .prefixlen = 32, .addr = addr };
	struct ipcache_val *val = bpf_map_lookup_elem(&ipcache, &key);

	return val ? val->identity : IDENTITY_WORLD;
}

/* The first policy entry from most to least specific, or NULL. */
static __always_inline struct policy_val *lookup(__u32 ep, __u32 id, struct tuple *t, __u8 dir)
{
	struct policy_key key = { .endpoint = ep, .dir = dir };
	struct policy_val *val;
	int any;

#pragma unroll
	for (any = 0; any < 2; any++) {
		key.identity = any ? 0 : id;
		key.proto = t->proto;
		key.dport = t->dport;
		val = bpf_map_lookup_elem(&policy, &key);
		if (val)
			return val;
		key.dport = 0;
		val = bpf_map_lookup_elem(&policy, &key);
		if (val)
			return val;
		key.proto = 0;
		val = bpf_map_lookup_elem(&policy, &key);
		if (val)
			return val;
	}
	return NULL;
}

static __always_inline void report(struct __sk_buff *skb, struct tuple *t, __u32 src_id,
				   __u32 dst_id, __u8 reason, __u8 dir, __u32 ep)
{
	struct drop_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(STAT_EVENT_LOST);
		return;
	}
	e->ktime_ns = bpf_ktime_get_ns();
	e->src_identity = src_id;
	e->dst_identity = dst_id;
	e->saddr = t->saddr;
	e->daddr = t->daddr;
	e->sport = t->sport;
	e->dport = t->dport;
	e->proto = t->proto;
	e->reason = reason;
	e->dir = dir;
	e->tcp_flags = t->tcp_flags;
	e->ifindex = skb->ifindex;
	e->endpoint = ep;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int enforce(struct __sk_buff *skb, __u8 dir)
{
	struct ct_key fwd = {}, rev = {};
	struct ct_val fresh = {};
	struct endpoint_val *ep;
	struct policy_val *verdict;
	struct ct_val *ct;
	struct tuple t;
	__u32 me, peer, peer_id;
	__u64 now;
	int ret = PASS;

	if (!parse(skb, &t))
		goto out;
	me = dir == DIR_EGRESS ? t.saddr : t.daddr;
	ep = bpf_map_lookup_elem(&endpoints, &me);
	if (!ep)
		goto out;
	now = bpf_ktime_get_ns();
	rev.saddr = t.daddr;
	rev.daddr = t.saddr;
	rev.sport = t.dport;
	rev.dport = t.sport;
	rev.proto = t.proto;
	rev.dir = !dir;
	ct = bpf_map_lookup_elem(&conntrack, &rev);
	if (ct) {
		if (alive(ct, &t, now)) {
			count(STAT_REPLY);
			goto out;
		}
		count(STAT_CT_EXPIRED);
		bpf_map_delete_elem(&conntrack, &rev);
	}
	peer = dir == DIR_EGRESS ? t.daddr : t.saddr;
	peer_id = identity_of(peer);
	if (ep->flags & (dir == DIR_EGRESS ? EP_ENFORCE_EGRESS : EP_ENFORCE_INGRESS)) {
		verdict = lookup(ep->id, peer_id, &t, dir);
		if (!verdict || verdict->deny) {
			count(STAT_DROPPED);
			report(skb, &t, dir == DIR_EGRESS ? ep->identity : peer_id,
			       dir == DIR_EGRESS ? peer_id : ep->identity,
			       verdict ? DROP_POLICY_DENY : DROP_POLICY, dir, ep->id);
			skb->mark = POLICY_DROP_MARK | (verdict ? DROP_POLICY_DENY : DROP_POLICY);
			ret = DROP;
			goto out;
		}
	}
	count(STAT_FORWARDED);
	fwd.saddr = t.saddr;
	fwd.daddr = t.daddr;
	fwd.sport = t.sport;
	fwd.dport = t.dport;
	fwd.proto = t.proto;
	fwd.dir = dir;
	ct = bpf_map_lookup_elem(&conntrack, &fwd);
	if (ct && alive(ct, &t, now))
		goto out;
	/* New, or a connection that expired and starts again on the same tuple. */
	fresh.seen_ns = now;
	bpf_map_update_elem(&conntrack, &fwd, &fresh, BPF_ANY);
out:
	return ret;
}

SEC("tc")
int from_container(struct __sk_buff *skb)
{
	return enforce(skb, DIR_EGRESS);
}

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	return enforce(skb, DIR_INGRESS);
}
