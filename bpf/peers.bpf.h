/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Peer matching for fault.bpf.c. With at most NS_MAX_LENS distinct prefix
 * lengths (the usual case: pod IPs are /32, a CIDR or two), one hash lookup
 * per length in use, longest first: the cost does not grow with the number
 * of prefixes. With more lengths, the kernel's longest-prefix-match trie.
 * Included by fault.bpf.c after its `match`.
 */
#ifndef NIGHTSHIFT_PEERS_BPF_H
#define NIGHTSHIFT_PEERS_BPF_H

/* IPv4 prefixes by (length, masked address); written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NS_MAX_PEERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ns_peer_v4);
	__type(value, __u8);
} exact_v4 SEC(".maps");

/* IPv6 prefixes by (length, masked address); written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NS_MAX_PEERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ns_peer_v6);
	__type(value, __u8);
} exact_v6 SEC(".maps");

/* IPv4 prefixes when too many lengths are in use; written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NS_MAX_PEERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ns_peer_v4);
	__type(value, __u8);
} trie_v4 SEC(".maps");

/* IPv6 prefixes when too many lengths are in use; written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NS_MAX_PEERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ns_peer_v6);
	__type(value, __u8);
} trie_v6 SEC(".maps");

/* Protected IPv4 addresses (/32 keys) and their ports: never matched, whatever the peers say; written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NS_MAX_KEEP);
	__type(key, struct ns_peer_v4);
	__type(value, struct ns_keep_ports);
} keep_v4 SEC(".maps");

/* Protected IPv6 addresses (/128 keys) and their ports; written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NS_MAX_KEEP);
	__type(key, struct ns_peer_v6);
	__type(value, struct ns_keep_ports);
} keep_v6 SEC(".maps");

/* Network-order mask of the first len bits of a 32-bit word. */
static __always_inline __u32 mask32(int len)
{
	if (len <= 0)
		return 0;
	if (len >= 32)
		return ~0U;
	return bpf_htonl(~0U << (32 - len));
}

static __always_inline int peer_v4(const struct ns_peer_v4 *addr)
{
	struct ns_peer_v4 key = {};
	__u32 word, i;

	if (match.peers_v4 == NS_PEERS_TRIE)
		return bpf_map_lookup_elem(&trie_v4, addr) != NULL;
	__builtin_memcpy(&word, addr->addr, 4);
#pragma unroll
	for (i = 0; i < NS_MAX_LENS; i++) {
		if (i >= match.n_lens_v4)
			break;
		key.prefixlen = match.lens_v4[i];
		word &= mask32(key.prefixlen);
		__builtin_memcpy(key.addr, &word, 4);
		if (bpf_map_lookup_elem(&exact_v4, &key))
			return 1;
	}
	return 0;
}

static __always_inline int peer_v6(const struct ns_peer_v6 *addr)
{
	struct ns_peer_v6 key = {};
	__u32 words[4], i, w;

	if (match.peers_v6 == NS_PEERS_TRIE)
		return bpf_map_lookup_elem(&trie_v6, addr) != NULL;
	__builtin_memcpy(words, addr->addr, 16);
#pragma unroll
	for (i = 0; i < NS_MAX_LENS; i++) {
		if (i >= match.n_lens_v6)
			break;
		key.prefixlen = match.lens_v6[i];
#pragma unroll
		for (w = 0; w < 4; w++)
			words[w] &= mask32((int)key.prefixlen - 32 * (int)w);
		__builtin_memcpy(key.addr, words, 16);
		if (bpf_map_lookup_elem(&exact_v6, &key))
			return 1;
	}
	return 0;
}

#endif /* NIGHTSHIFT_PEERS_BPF_H */
