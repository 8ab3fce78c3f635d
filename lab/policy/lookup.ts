// The order in which the datapath looks a packet up in the policy map
// (policy.bpf.c), shared by decide() and the L7 proxy's decision, which
// must pick the same entry the datapath picked.

/** The policy-map lookups in the datapath's order: most specific first. */
export function lookupOrder(identity: number, protocol: number, port: number): [number, number, number][] {
  return [
    [identity, protocol, port],
    [identity, protocol, 0],
    [identity, 0, 0],
    [0, protocol, port],
    [0, protocol, 0],
    [0, 0, 0],
  ];
}
