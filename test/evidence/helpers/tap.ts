// flowtap records and lab endpoints for tests that feed the Hubble stand-in
// directly: one zeroed record to override, and pods of the shop by address.
import type { TapRecord } from '../../../lab/hubble/flowtap.ts';
import { delta, identityOf, toFlows, type FlowMessage } from '../../../lab/hubble/index.ts';

/** A flow checkout-frontend (10.244.1.10) → cart (10.244.2.20):80 with every counter at zero, then `over`. */
export function tapRecord(over: Partial<TapRecord> = {}): TapRecord {
  return {
    src: '10.244.1.10',
    dst: '10.244.2.20',
    sport: 41000,
    dport: 80,
    proto: 6,
    tx: 0,
    txBytes: 0,
    rx: 0,
    rxBytes: 0,
    syn: 0,
    fin: 0,
    rst: 0,
    drops: 0,
    dropReason: 0,
    dropNetns: 0,
    httpRequests: 0,
    httpStatus: [0, 0, 0, 0, 0, 0],
    latencyNs: 0,
    latencyCount: 0,
    ageMs: 0,
    atMs: Date.now(),
    method: '',
    path: '',
    ...over,
  };
}

/** A production pod of the shop on lab-node-1, as the stand-in's endpoint source describes it. */
export function shopPod(app: string) {
  const labels = [`k8s:app=${app}`, 'k8s:io.kubernetes.pod.namespace=production'];
  return {
    namespace: 'production',
    pod: `${app}-7d9f8b6c4-x2x7q`,
    labels,
    workload: { name: app, kind: 'Deployment' },
    node: 'lab-node-1',
    identity: identityOf(labels),
  };
}

/** An endpoint source with these pods by address; any other address is the world. */
export function podEndpoints(pods: Map<string, ReturnType<typeof shopPod>>) {
  return {
    byIp: (ip: string) => pods.get(ip) ?? { labels: ['reserved:world'], identity: 2 },
    podNamespaces: () => [],
    nodeOfNetns: () => 'lab-node-1',
    refresh: async () => undefined,
  };
}

/** `count` flows of the stand-in's making from shop traffic: connection openings, HTTP, DNS, in turn. */
export function shopFlows(count: number): FlowMessage[] {
  const apps = ['checkout-frontend', 'cart-service-v1', 'cart-service-v2', 'payment-service', 'coredns'];
  const pods = new Map(apps.map((app, i) => [`10.244.${1 + (i % 2)}.${10 + i}`, shopPod(app)]));
  const ips = [...pods.keys()];
  const flows: FlowMessage[] = [];
  for (let i = 0; flows.length < count; i++) {
    const at = { src: ips[i % ips.length] as string, dst: ips[(i + 1 + (i % 3)) % ips.length] as string };
    const sport = 40000 + (i % 20000);
    const record = [
      tapRecord({ ...at, sport, dport: 80, tx: 1, rx: 1, syn: 1 }),
      tapRecord({
        ...at,
        sport,
        dport: 80,
        tx: 3,
        rx: 3,
        httpRequests: 1,
        httpStatus: [0, 0, 1, 0, 0, 0],
        latencyNs: 4e6,
        latencyCount: 1,
        method: 'GET',
        path: '/cart',
      }),
      tapRecord({ ...at, sport, dport: 53, proto: 17, tx: 1, rx: 1 }),
    ][i % 3];
    if (record) flows.push(...toFlows(delta(record, undefined), { endpoints: podEndpoints(pods), at: new Date() }));
  }
  return flows.slice(0, count);
}
