// The stand-in's second feed: the lab policy datapath's drops (lab/policy),
// read from the ring buffer the policy agent pinned, as Hubble shows
// Cilium's own policy drops. Each drop is labelled with the stand-in's
// endpoints (so names agree with its other flows) and, for identities it
// does not know (CoreDNS as kube-dns, CIDR and FQDN identities), with the
// labels the agent compiled (its identities file).
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { dropReader, feedDrops, LOCAL_IDENTITY_BASE, type DropContext, type Identity } from '../policy/index.ts';
import type { EndpointSource } from './endpoints.ts';
import type { FlowStore } from './store.ts';

const identitiesSchema = z.array(z.object({ id: z.number().int(), labels: z.array(z.string()) }));

const kindOf = (id: number): Identity['kind'] => (id < 256 ? 'reserved' : id >= LOCAL_IDENTITY_BASE ? 'cidr' : 'pod');

/** The agent's identities, read again whenever its file changes. */
export function identitiesFrom(file: string): () => ReadonlyMap<number, Identity> {
  let mtime = 0;
  let known = new Map<number, Identity>();
  return () => {
    try {
      const now = statSync(file).mtimeMs;
      if (now !== mtime) {
        const list = identitiesSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
        known = new Map(list.map((i) => [i.id, { id: i.id, kind: kindOf(i.id), labels: i.labels, match: [] }]));
        mtime = now;
      }
    } catch {
      // not written yet, or being written: the last one read stays
    }
    return known;
  };
}

export async function feedPolicyDrops(o: {
  files: { buildDir: string; pins: string; identities: string };
  endpoints: EndpointSource;
  store: FlowStore;
  log: Logger;
}): Promise<() => void> {
  const context = localContext(o.endpoints, identitiesFrom(o.files.identities));
  return feedDrops(
    dropReader({ buildDir: o.files.buildDir, pins: o.files.pins }),
    o.store,
    (e) => context(e.egress ? e.src : e.dst),
    (err) => o.log.warn({ err }, 'policy drop reader'),
  );
}

/** How an event at a local endpoint (by its address) is labelled: the stand-in's names, the agent's identities. */
export function localContext(
  endpoints: EndpointSource,
  identities: () => ReadonlyMap<number, Identity>,
): (localIp: string) => DropContext {
  return (localIp) => {
    const local = endpoints.byIp(localIp);
    const pod = endpoints.podNamespaces().find((p) => p.pod === local.pod && p.namespace === local.namespace);
    return {
      endpoints,
      identities: identities(),
      ...(pod?.node ? { node: pod.node } : {}),
      ...(pod?.host ? { ifname: pod.host.ifname } : {}),
    };
  };
}
