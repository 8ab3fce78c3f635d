// From policy objects to the model: each kind has its own reader.
import { fromCiliumPolicy } from './cilium.ts';
import type { PolicyObject } from './documents.ts';
import { fromNetworkPolicy } from './kubernetes.ts';
import type { Policy, Unsupported } from './types.ts';

export interface PolicySet {
  policies: Policy[];
  /** Objects or fields that could not be read at all. */
  unreadable: Unsupported[];
}

const readers: Record<string, (o: PolicyObject) => (Policy | Unsupported)[]> = {
  NetworkPolicy: (o) => [fromNetworkPolicy(o)],
  CiliumNetworkPolicy: fromCiliumPolicy,
  CiliumClusterwideNetworkPolicy: fromCiliumPolicy,
};

export function toPolicies(objects: PolicyObject[]): PolicySet {
  const policies: Policy[] = [];
  const unreadable: Unsupported[] = [];
  for (const object of objects) {
    const read = readers[object.kind];
    for (const item of read ? read(object) : []) {
      if ('ref' in item) policies.push(item);
      else unreadable.push(item);
    }
  }
  return { policies, unreadable };
}
