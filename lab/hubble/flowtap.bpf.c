// SPDX-License-Identifier: GPL-2.0
/*
 * flowtap: per-flow packet, byte and drop counters for the lab's Hubble
 * stand-in (lab/hubble).
 *
 * - flowtap_egress / flowtap_ingress (tc, on every lab pod's eth0 inside the
 *   pod's namespace): count packets a pod sends and receives per 5-tuple, TCP
 *   flags, HTTP requests and response status classes, and the client-side
 *   time from a request to its response.
 * - flowtap_drop (tp_btf/kfree_skb, anywhere): count packets the kernel drops
 *   for a reason user space listed in `reasons`, with the reason and the
 *   network namespace where it happened. And one case that is not a drop for
 *   Hubble: a packet that a tc egress program drops on a pod's host-side veth
 *   (a device listed in `endpoint_devs`) had already passed the point where
 *   Cilium's to-container program traces it (TRACE_TO_LXC, before the
 *   redirect into that device), so it counts as delivered, flags included.
 *
 * Only IPv4 TCP/UDP. The structs below mirror flowtap.ts.
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
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define HTTP_PEEK 48
/* skb->mark of a packet the lab's policy program dropped, OR its drop reason (lab/policy/policy.h). */
#define POLICY_DROP_MARK 0x504f4c00
#define POLICY_DROP_MARK_MASK 0xffffff00
#define METHOD_LEN 8
#define PATH_LEN 32

struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_val {
	__u64 tx_packets;	/* sent by a pod (its eth0 egress) */
	__u64 tx_bytes;
	__u64 rx_packets;	/* delivered to a pod (its eth0 ingress) */
	__u64 rx_bytes;
	__u64 syn;
	__u64 fin;
	__u64 rst;
	__u64 drops;
	__u32 drop_reason;	/* enum skb_drop_reason of the last drop */
	__u32 drop_netns;	/* inode of the namespace of the last drop */
	__u64 http_requests;
	__u64 http_status[6];	/* responses by status / 100; [0] unparsable */
	__u64 http_latency_ns;	/* sum of the server's request-arrival-to-response times */
	__u64 http_latency_count;
	__u64 last_request_ns;
	__u64 last_ns;
	char method[METHOD_LEN];
	char path[PATH_LEN];
};

/* Counters per flow; written by every program here, read by lab/hubble. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);	/* FLOWTAP_FLOWS in flowtap.ts */
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

/* Drop reasons worth reporting (enum skb_drop_reason -> 1); written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} reasons SEC(".maps");

/* Pods' host-side veths, {netns inode, ifindex} -> 1; written by user space. */
struct endpoint_dev {
	__u32 netns;
	__u32 ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct endpoint_dev);
	__type(value, __u32);
} endpoint_devs SEC(".maps");

/* The running kernel's value comes from its BTF (CO-RE); the number here is a placeholder. */
enum skb_drop_reason {
	SKB_DROP_REASON_TC_EGRESS = 1,
};

/* Just the kernel fields flowtap reads; CO-RE finds them in the running kernel. */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	possible_net_t nd_net;
	int ifindex;
} __attribute__((preserve_access_index));

struct sk_buff {
	struct net_device *dev;
	unsigned int len;
	unsigned char *head;
	__u16 network_header;
	__u16 transport_header;
	__be16 protocol;
	__u32 mark;
} __attribute__((preserve_access_index));

static __always_inline struct flow_val *flow_of(struct flow_key *key)
{
	struct flow_val *val = bpf_map_lookup_elem(&flows, key);
	struct flow_val zero = {};

	if (val)
		return val;
	bpf_map_update_elem(&flows, key, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&flows, key);
}

static __always_inline int is_method(const char *p)
{
	return (p[0] == 'G' && p[1] == 'E' && p[2] == 'T' && p[3] == ' ') ||
	       (p[0] == 'P' && p[1] == 'O' && p[2] == 'S' && p[3] == 'T') ||
	       (p[0] == 'P' && p[1] == 'U' && p[2] == 'T' && p[3] == ' ') ||
	       (p[0] == 'D' && p[1] == 'E' && p[2] == 'L' && p[3] == 'E') ||
	       (p[0] == 'P' && p[1] == 'A' && p[2] == 'T' && p[3] == 'C') ||
	       (p[0] == 'H' && p[1] == 'E' && p[2] == 'A' && p[3] == 'D');
}

/* Look at the start of a TCP payload: a request line or a status line. */
static __always_inline void peek_http(struct __sk_buff *skb, __u32 off, struct flow_key *key,
				      struct flow_val *val, int egress)
{
	char buf[HTTP_PEEK] = {};
	struct flow_key back;
	struct flow_val *req;
	__u64 now;
	int i, start = 0;

	if (bpf_skb_load_bytes(skb, off, buf, 16) < 0)
		return;
	bpf_skb_load_bytes(skb, off, buf, HTTP_PEEK);
	if (buf[0] == 'H' && buf[1] == 'T' && buf[2] == 'T' && buf[3] == 'P' && buf[4] == '/') {
		int klass = buf[9] - '0';

		/* Counted where the server sends it, so a pod-to-pod answer counts once. */
		if (!egress)
			return;
		if (klass < 1 || klass > 5)
			klass = 0;
		__sync_fetch_and_add(&val->http_status[klass], 1);
		/*
		 * Timed where the server sends it too, from the request's arrival:
		 * the server's own answer time, as Cilium's proxy at the destination
		 * reports it (a client's lookups and connects are not in it).
		 */
		back.saddr = key->daddr;
		back.daddr = key->saddr;
		back.sport = key->dport;
		back.dport = key->sport;
		back.proto = key->proto;
		back.pad[0] = back.pad[1] = back.pad[2] = 0;
		req = bpf_map_lookup_elem(&flows, &back);
		now = bpf_ktime_get_ns();
		if (req && req->last_request_ns && now > req->last_request_ns) {
			__sync_fetch_and_add(&val->http_latency_ns, now - req->last_request_ns);
			__sync_fetch_and_add(&val->http_latency_count, 1);
			req->last_request_ns = 0;
		}
		return;
	}
	if (!is_method(buf))
		return;
	/* A request reaches its server: its answer is timed from here. */
	if (!egress) {
		val->last_request_ns = bpf_ktime_get_ns();
		return;
	}
	/* Requests are counted where the client sends them. */
	__sync_fetch_and_add(&val->http_requests, 1);
	for (i = 0; i < METHOD_LEN - 1; i++) {
		if (buf[i] == ' ')
			break;
		val->method[i] = buf[i];
	}
	val->method[i < METHOD_LEN ? i : METHOD_LEN - 1] = 0;
	start = i + 1;
	for (i = 0; i < PATH_LEN - 1; i++) {
		char c = buf[(start + i) & (HTTP_PEEK - 1)];

		if (start + i >= HTTP_PEEK || c == ' ' || c == 0)
			break;
		val->path[i] = c;
	}
	val->path[i & (PATH_LEN - 1)] = 0;
}

static __always_inline int tap(struct __sk_buff *skb, int egress)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct flow_key key = {};
	struct flow_val *val;
	struct iphdr *ip;
	__u32 l4off;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		goto out;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		goto out;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		goto out;
	l4off = sizeof(*eth) + ip->ihl * 4;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;
	val = NULL;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr tcp;

		if (bpf_skb_load_bytes(skb, l4off, &tcp, sizeof(tcp)) < 0)
			goto out;
		key.sport = bpf_ntohs(tcp.source);
		key.dport = bpf_ntohs(tcp.dest);
		val = flow_of(&key);
		if (!val)
			goto out;
		if (tcp.syn)
			__sync_fetch_and_add(&val->syn, 1);
		if (tcp.fin)
			__sync_fetch_and_add(&val->fin, 1);
		if (tcp.rst)
			__sync_fetch_and_add(&val->rst, 1);
		if (skb->len > l4off + tcp.doff * 4)
			peek_http(skb, l4off + tcp.doff * 4, &key, val, egress);
	} else {
		struct udphdr udp;

		if (bpf_skb_load_bytes(skb, l4off, &udp, sizeof(udp)) < 0)
			goto out;
		key.sport = bpf_ntohs(udp.source);
		key.dport = bpf_ntohs(udp.dest);
		val = flow_of(&key);
		if (!val)
			goto out;
	}
	if (egress) {
		__sync_fetch_and_add(&val->tx_packets, 1);
		__sync_fetch_and_add(&val->tx_bytes, skb->len);
	} else {
		__sync_fetch_and_add(&val->rx_packets, 1);
		__sync_fetch_and_add(&val->rx_bytes, skb->len);
	}
	val->last_ns = bpf_ktime_get_ns();
out:
	return TC_ACT_UNSPEC; /* observe only: let the next program or the stack decide */
}

SEC("tc")
int flowtap_egress(struct __sk_buff *skb)
{
	return tap(skb, 1);
}

SEC("tc")
int flowtap_ingress(struct __sk_buff *skb)
{
	return tap(skb, 0);
}

/* A packet dropped on its way into a pod, after Cilium would have traced it to the endpoint. */
static __always_inline int to_endpoint_drop(struct sk_buff *skb, int reason)
{
	struct endpoint_dev dev = {};

	if (!bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_TC_EGRESS) ||
	    reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_TC_EGRESS))
		return 0;
	/* The policy program's drop: Cilium drops it before it reaches the endpoint. */
	if ((BPF_CORE_READ(skb, mark) & POLICY_DROP_MARK_MASK) == POLICY_DROP_MARK)
		return 0;
	dev.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	dev.ifindex = BPF_CORE_READ(skb, dev, ifindex);
	return bpf_map_lookup_elem(&endpoint_devs, &dev) != NULL;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(flowtap_drop, struct sk_buff *skb, void *location, int reason)
{
	__u32 why = reason;
	struct flow_key key = {};
	struct flow_val *val;
	struct iphdr ip;
	unsigned char *head;
	__u16 nh, th;
	__u16 ports[2];
	__u8 flags = 0;
	int delivered = to_endpoint_drop(skb, reason);

	if (!delivered && !bpf_map_lookup_elem(&reasons, &why))
		return 0;
	if (BPF_CORE_READ(skb, protocol) != bpf_htons(ETH_P_IP))
		return 0;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) < 0 || ip.version != 4)
		return 0;
	if (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP)
		return 0;
	th = BPF_CORE_READ(skb, transport_header);
	if (th == (__u16)~0U || th <= nh)
		th = nh + ip.ihl * 4;
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + th) < 0)
		return 0;
	if (ip.protocol == IPPROTO_TCP && bpf_probe_read_kernel(&flags, 1, head + th + 13) < 0)
		return 0;
	key.saddr = ip.saddr;
	key.daddr = ip.daddr;
	key.sport = bpf_ntohs(ports[0]);
	key.dport = bpf_ntohs(ports[1]);
	key.proto = ip.protocol;
	val = flow_of(&key);
	if (!val)
		return 0;
	if (delivered) {
		/* Counted as flowtap_ingress would have counted it inside the pod. */
		__sync_fetch_and_add(&val->rx_packets, 1);
		__sync_fetch_and_add(&val->rx_bytes, BPF_CORE_READ(skb, len));
		if (flags & 0x02)
			__sync_fetch_and_add(&val->syn, 1);
		if (flags & 0x01)
			__sync_fetch_and_add(&val->fin, 1);
		if (flags & 0x04)
			__sync_fetch_and_add(&val->rst, 1);
	} else {
		__sync_fetch_and_add(&val->drops, 1);
		val->drop_reason = why;
		val->drop_netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	}
	val->last_ns = bpf_ktime_get_ns();
	return 0;
}
