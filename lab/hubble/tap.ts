// The feed of the Hubble stand-in: load flowtap, keep it attached to every
// lab pod's eth0 (pods come and go), turn each interval's changed counters
// into flow events, and put them in the store.
import { mkdirSync, rmSync } from 'node:fs';
import { attachTap, detachTap, FLOWTAP_FLOWS, FLOWTAP_PINS, flowtapObject, tapKey, type TapRecord } from './flowtap.ts';
import type { EndpointSource } from './endpoints.ts';
import { FlowBaseline, toFlows } from './flows.ts';
import { helperBinary, loadFlowtap, watchFlowtap, type Watch } from './helper.ts';
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
}

export interface FlowTap {
  attached(): string[];
  stop(options?: { unload?: boolean }): Promise<void>;
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
  const reconcile = async () => {
    await o.endpoints.refresh();
    const want = new Set(o.endpoints.podNamespaces().map((p) => p.netns));
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
  };
  await reconcile();
  const timer = setInterval(() => {
    reconcile().catch((err: unknown) => log('reconcile failed', { error: (err as Error).message }));
  }, o.reconcileMs ?? 5000);

  const baseline = new FlowBaseline(2 * FLOWTAP_FLOWS);
  // A program loaded before us holds old totals: the first tick only sets the baseline.
  let primed = loaded;
  const onTick = (records: TapRecord[]) => {
    if (!primed) {
      for (const record of records) baseline.prime(tapKey(record), record);
      primed = true;
      return;
    }
    const at = new Date();
    for (const record of records) {
      o.store.push(toFlows(baseline.next(tapKey(record), record), { endpoints: o.endpoints, at }), at.getTime());
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
