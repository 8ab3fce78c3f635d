// The feed of the Hubble stand-in: load flowtap, keep it attached to every
// lab pod's eth0 (pods come and go) and its host-side veth listed (where
// Cilium traces a packet to the endpoint), turn each interval's changed
// counters into flow events, and put them in the store.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { attachTap, detachTap, FLOWTAP_FLOWS, FLOWTAP_PINS, flowtapObject, tapKey, type TapRecord } from './flowtap.ts';
import { NETNS_DIR, type EndpointSource, type PodNetns } from './endpoints.ts';
import { FlowBaseline, toFlows } from './flows.ts';
import { addEndpointDevice, helperBinary, loadFlowtap, watchFlowtap, type Watch } from './helper.ts';
import type { FlowStore } from './store.ts';

export interface TapOptions {
  endpoints: EndpointSource;
  store: FlowStore;
  /** Where the helper and a fallback object are built. */
  buildDir: string;
  pins?: string;
  intervalMs?: number;
  /** How often pods are re-listed and attachments reconciled. */
  reconcileMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Connections an L7 proxy reports: flowtap leaves out its own L7 events for them. */
  l7Proxied?: (server: string, port: number, client: string) => boolean;
}

export interface FlowTap {
  attached(): string[];
  stop(options?: { unload?: boolean }): Promise<void>;
}

const run = promisify(execFile);

/** The node namespace's inode and the ifindex of a pod's host-side veth in it. */
async function hostDevice(host: NonNullable<PodNetns['host']>): Promise<{ inode: number; ifindex: number }> {
  const { stdout } = await run('ip', ['-n', host.netns, '-j', 'link', 'show', 'dev', host.ifname]);
  const [link] = JSON.parse(stdout) as { ifindex?: number }[];
  if (!link?.ifindex) throw new Error(`no interface ${host.ifname} in ${host.netns}`);
  return { inode: statSync(`${NETNS_DIR}/${host.netns}`).ino, ifindex: link.ifindex };
}

export async function startFlowTap(o: TapOptions): Promise<FlowTap> {
  const pins = o.pins ?? FLOWTAP_PINS;
  const log = o.log ?? (() => undefined);
  const [helper, object] = await Promise.all([helperBinary(o.buildDir), flowtapObject(o.buildDir)]);
  mkdirSync(pins, { recursive: true });
  // No kernel drop reasons: Hubble never reports a packet that a foreign program or the stack dropped.
  const { loaded } = await loadFlowtap(helper, object, pins, []);
  log(loaded ? 'flowtap loaded' : 'flowtap already loaded', { pins });

  const attached = new Set<string>();
  const listed = new Set<string>();
  const reconcile = async () => {
    await o.endpoints.refresh();
    const pods = o.endpoints.podNamespaces();
    const want = new Set(pods.map((p) => p.netns));
    for (const netns of want) {
      if (attached.has(netns)) continue;
      try {
        await attachTap(netns, 'eth0', pins);
        attached.add(netns);
      } catch (err) {
        log('cannot attach flowtap', { netns, error: (err as Error).message });
      }
    }
    for (const netns of [...attached]) if (!want.has(netns)) attached.delete(netns);
    const devices = new Set(pods.flatMap((p) => (p.host ? [`${p.host.netns}/${p.host.ifname}`] : [])));
    for (const pod of pods) {
      const key = pod.host && `${pod.host.netns}/${pod.host.ifname}`;
      if (!pod.host || !key || listed.has(key)) continue;
      try {
        const { inode, ifindex } = await hostDevice(pod.host);
        await addEndpointDevice(helper, pins, inode, ifindex);
        listed.add(key);
      } catch (err) {
        log('cannot list host-side veth', { pod: `${pod.namespace}/${pod.pod}`, error: (err as Error).message });
      }
    }
    for (const key of [...listed]) if (!devices.has(key)) listed.delete(key);
  };
  await reconcile();
  const timer = setInterval(() => {
    reconcile().catch((err: unknown) => log('reconcile failed', { error: (err as Error).message }));
  }, o.reconcileMs ?? 5000);

  const baseline = new FlowBaseline(2 * FLOWTAP_FLOWS);
  // The first tick only sets the baseline: a program loaded before us holds old totals, and one we just
  // loaded counted while the pods were being attached one by one (a SYN seen leaving one pod whose answer
  // came back through a pod not yet attached would read as an unanswered connection).
  let primed = false;
  const onTick = (records: TapRecord[]) => {
    if (!primed) {
      for (const record of records) baseline.prime(tapKey(record), record);
      primed = true;
      return;
    }
    // Each flow is dated by its last packet, not by the pass that printed it: a pass that visits a
    // request before its packets and the answer after them prints the answer one pass before the request.
    for (const record of records) {
      const at = new Date(record.atMs);
      const ctx = { endpoints: o.endpoints, at, ...(o.l7Proxied ? { l7Proxied: o.l7Proxied } : {}) };
      o.store.push(toFlows(baseline.next(tapKey(record), record), ctx), record.atMs);
    }
  };
  let watch: Watch | undefined;
  const startWatch = () => {
    watch = watchFlowtap(helper, pins, o.intervalMs ?? 1000, onTick, (err) => {
      log('flowtap watch stopped; restarting', { error: err.message });
      setTimeout(startWatch, 1000).unref();
    });
  };
  startWatch();

  return {
    attached: () => [...attached],
    async stop(options = {}) {
      clearInterval(timer);
      watch?.stop();
      if (options.unload) {
        for (const netns of attached) await detachTap(netns);
        rmSync(pins, { recursive: true, force: true });
      }
    },
  };
}
