// The lab's policy agent, Cilium's agent in small: on every change of pods,
// namespaces or policies it compiles the policies against the cluster view,
// writes the datapath's maps and keeps the program attached to every pod's
// host-side veth. Changes that arrive during a sync are folded into the next
// one. A policy the lab cannot enforce is left out (and named), as Cilium
// rejects it; the others keep being enforced. Pods whose ingress has HTTP
// rules get an L7 proxy and its redirect in their namespace (l7-proxies.ts).
import { writeFileSync } from 'node:fs';
import type { KubernetesObject, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { podNetnsName } from '../topology.ts';
import { compile, type Compiled } from './compile.ts';
import type { Datapath } from './datapath.ts';
import { l7Configs } from './l7-compile.ts';
import { l7Proxies } from './l7-proxies.ts';
import { parsePolicy } from './schema.ts';
import { labClusterView, labPods, stableIds, type PodEndpoint } from './view.ts';

export interface AgentSources {
  pods(): V1Pod[];
  namespaces(): V1Namespace[];
  /** CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies and NetworkPolicies, as the API server gives them. */
  policies(): KubernetesObject[];
}

export interface AgentStatus {
  syncs: number;
  lastSyncMs?: number;
  lastError?: string;
  endpoints: { pod: string; id: number; identity: number; enforce: { ingress: boolean; egress: boolean } }[];
  attached: string[];
  entries: number;
  refused: string[];
  warnings: string[];
  /** Pods with an L7 proxy: its pid and the ports it enforces. */
  l7: { pod: string; netns: string; pid?: number; ports: number[] }[];
  /** Pods whose L7 rules could not be put in place, and why. */
  l7Errors: Record<string, string>;
}

export interface PolicyAgent {
  /** Recompute and program; resolves when a sync that started after this call has finished. */
  sync(): Promise<void>;
  /** A pod about to start (the simulator's CNI step): enforced before its containers run. */
  announce(endpoint: PodEndpoint): Promise<void>;
  status(): AgentStatus;
  stop(): Promise<void>;
}

/** How long an announced pod the informer has not shown yet is kept. */
const FORGET_UNSEEN_MS = 60_000;

const name = (o: KubernetesObject) =>
  `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

export function startAgent(o: {
  datapath: Datapath;
  sources: AgentSources;
  /** Where the compiled identities go after each sync (the Hubble stand-in labels drops with them). */
  identitiesFile?: string;
  /** Where the L7 proxies' configs and events go (the Hubble stand-in reads them); no L7 enforcement without. */
  l7Dir?: string;
  log: (message: string, fields?: Record<string, unknown>) => void;
}): PolicyAgent {
  const announced = new Map<string, PodEndpoint>();
  const announcedAt = new Map<string, number>();
  const ids = new Map<string, number>();
  /** "netns|ifname" of every veth the program is attached to. */
  const attached = new Set<string>();
  let compiled: Compiled | undefined;
  let refused: string[] = [];
  let syncs = 0;
  let lastSyncMs: number | undefined;
  let lastError: string | undefined;
  let stopped = false;
  let l7Errors = new Map<string, string>();
  const proxies = o.l7Dir
    ? l7Proxies({ dir: o.l7Dir, log: o.log, onExit: () => void sync().catch(() => undefined) })
    : undefined;

  const once = async () => {
    const started = Date.now();
    const pods = labPods(o.sources.pods(), announced);
    for (const [k, a] of announced) {
      const pod = o.sources.pods().find((p) => `${p.metadata?.namespace}/${p.metadata?.name}` === k);
      // Once the API server shows what the simulator announced, the informer's view is enough; a pod
      // the informer never shows (deleted at once) is forgotten after a while.
      if (pod ? pod.status?.podIP === a.ip : Date.now() - (announcedAt.get(k) ?? 0) > FORGET_UNSEEN_MS) {
        announced.delete(k);
        announcedAt.delete(k);
      }
    }
    const valid: KubernetesObject[] = [];
    const bad: string[] = [];
    for (const policy of o.sources.policies()) {
      try {
        parsePolicy(policy);
        valid.push(policy);
      } catch (err) {
        bad.push(`${name(policy)}: ${(err as Error).message}`);
      }
    }
    for (const b of bad) if (!refused.includes(b)) o.log('policy refused', { reason: b });
    refused = bad;
    const next = stableIds(compile(valid, labClusterView(pods, o.sources.namespaces())), ids);
    const live = new Set(pods.filter((p) => p.host).map((p) => `${p.namespace}/${p.name}`));
    const l7 = l7Configs(next)
      .map((config) => ({ key: `${config.endpoint.namespace}/${config.endpoint.pod}`, config }))
      .filter((w) => live.has(w.key))
      .map((w) => ({ ...w, netns: podNetnsName(w.config.endpoint.namespace, w.config.endpoint.pod) }));
    // Make before break across the layers: new HTTP rules are in their proxies before the maps let the port
    // in as L4, and a proxy goes only once the maps no longer send it what it enforced.
    if (proxies) l7Errors = await proxies.reconcile(l7, { keepOthers: true });
    const { updated, deleted } = await o.datapath.program(next);
    compiled = next;
    const want = new Map<string, { ifname: string; netns: string }>(
      pods.flatMap((p) => (p.host ? [[`${p.host.netns}|${p.host.ifname}`, p.host] as const] : [])),
    );
    // New pods' veths at once: each attach is a few tc runs, and pods come in batches (a rollout, lab up).
    await Promise.all(
      [...want]
        .filter(([k]) => !attached.has(k))
        .map(async ([k, host]) => {
          try {
            await o.datapath.attach(host.ifname, host.netns);
            attached.add(k);
          } catch (err) {
            o.log('cannot attach', { interface: host.ifname, netns: host.netns, error: (err as Error).message });
          }
        }),
    );
    for (const k of [...attached])
      if (!want.has(k)) {
        const [netns = '', ifname = ''] = k.split('|');
        // The pod's namespace (and its veth with our filters) is usually gone already.
        await o.datapath.detach(ifname, netns).catch(() => undefined);
        attached.delete(k);
      }
    if (proxies) l7Errors = await proxies.reconcile(l7);
    if (o.identitiesFile)
      writeFileSync(
        o.identitiesFile,
        JSON.stringify([...next.identities.values()].map((i) => ({ id: i.id, labels: i.labels }))),
      );
    syncs++;
    lastSyncMs = Date.now() - started;
    lastError = undefined;
    if (updated + deleted > 0)
      o.log('policy programmed', { updated, deleted, endpoints: next.endpoints.length, ms: lastSyncMs });
  };

  // One sync at a time; a caller waits for a sync that starts after its call (its change is in it).
  let dirty = false;
  let loop: Promise<void> | undefined;
  let waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const drain = async () => {
    while (dirty && !stopped) {
      dirty = false;
      const batch = waiters;
      waiters = [];
      try {
        await once();
        for (const w of batch) w.resolve();
      } catch (err) {
        lastError = (err as Error).message;
        o.log('sync failed', { error: lastError });
        for (const w of batch) w.reject(err as Error);
      }
    }
    for (const w of waiters.splice(0)) w.resolve();
    loop = undefined;
  };
  const sync = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (stopped) return resolve();
      waiters.push({ resolve, reject });
      dirty = true;
      loop ??= drain();
    });

  return {
    sync,
    async announce(endpoint) {
      announced.set(`${endpoint.namespace}/${endpoint.name}`, endpoint);
      announcedAt.set(`${endpoint.namespace}/${endpoint.name}`, Date.now());
      // A new network for the pod (the simulator restarted it under the same veth name): attach afresh.
      const veth = `${endpoint.nodeNetns}|${endpoint.hostInterface}`;
      attached.delete(veth);
      await sync();
      if (!attached.has(veth))
        throw new Error(`${endpoint.hostInterface} in ${endpoint.nodeNetns}: not attached (see the agent's log)`);
      const l7 = l7Errors.get(`${endpoint.namespace}/${endpoint.name}`);
      if (l7) throw new Error(`${endpoint.namespace}/${endpoint.name}: L7 rules not enforced: ${l7}`);
    },
    status: () => ({
      syncs,
      ...(lastSyncMs === undefined ? {} : { lastSyncMs }),
      ...(lastError ? { lastError } : {}),
      endpoints: (compiled?.endpoints ?? []).map((e) => ({
        pod: `${e.namespace}/${e.pod}`,
        id: e.id,
        identity: e.identity,
        enforce: e.enforce,
      })),
      attached: [...attached],
      entries: compiled?.entries.length ?? 0,
      refused,
      warnings: compiled?.warnings ?? [],
      l7: proxies?.status() ?? [],
      l7Errors: Object.fromEntries(l7Errors),
    }),
    async stop() {
      stopped = true;
      await loop;
      await proxies?.stop();
      await o.datapath.stop();
    },
  };
}
