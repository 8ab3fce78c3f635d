// The stand-in's third feed: the lab's L7 proxies (lab/policy/l7-proxy.ts),
// as Hubble shows the flows Cilium's proxy logs. Each proxy appends its
// requests and answers to `<netns>.events.jsonl` in the agent's l7 dir;
// this follows every such file from where it was when the stand-in started
// (a file that shrank is read from its start) and turns each line into an
// L7 flow. It also reads the proxies' configs, so flowtap's own L7 events
// (parsed from packets) leave out the connections a proxy reports: one
// request is one L7 flow, as in Cilium.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  l7ConfigSchema,
  l7EventSchema,
  l7ToFlow,
  redirected,
  type DropContext,
  type L7Config,
} from '../policy/index.ts';
import type { FlowStore } from './store.ts';

const EVENTS = '.events.jsonl';
const CONFIG = '.config.json';
/** At most this much of a file per pass, so a flood is read in slices. */
const SLICE = 1 << 20;

export interface L7Feed {
  /** Whether the proxy of the pod at `server` sees `client`'s connections to `port`. */
  proxied(server: string, port: number, client: string): boolean;
  stop(): void;
}

const list = (dir: string, suffix: string) => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(suffix));
  } catch {
    return [];
  }
};

function parseLine(line: string) {
  try {
    return line.trim() ? l7EventSchema.safeParse(JSON.parse(line)) : undefined;
  } catch {
    return undefined; // a line cut by a crash
  }
}

export function feedL7(o: {
  dir: string;
  store: FlowStore;
  /** Labels for an event at the pod with this address. */
  context: (localIp: string) => DropContext;
  intervalMs?: number;
  onError?: (err: Error) => void;
}): L7Feed {
  const offsets = new Map<string, { offset: number; rest: string }>();
  let configs = new Map<string, L7Config>();
  const configMtimes = new Map<string, { mtime: number; config?: L7Config }>();

  const readConfigs = () => {
    const next = new Map<string, L7Config>();
    const seen = new Set<string>();
    for (const name of list(o.dir, CONFIG)) {
      const file = join(o.dir, name);
      seen.add(file);
      try {
        const mtime = statSync(file).mtimeMs;
        let known = configMtimes.get(file);
        if (known?.mtime !== mtime) {
          const parsed = l7ConfigSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
          known = { mtime, ...(parsed.success ? { config: parsed.data } : {}) };
          configMtimes.set(file, known);
        }
        if (known.config) for (const ip of known.config.endpoint.ips) next.set(ip, known.config);
      } catch {
        // removed or being replaced between the listing and the read
      }
    }
    for (const file of [...configMtimes.keys()]) if (!seen.has(file)) configMtimes.delete(file);
    configs = next;
  };

  const readEvents = (first: boolean) => {
    const seen = new Set<string>();
    for (const name of list(o.dir, EVENTS)) {
      const file = join(o.dir, name);
      seen.add(file);
      let fd: number | undefined;
      try {
        const size = statSync(file).size;
        let state = offsets.get(file);
        // What was there before the stand-in started is history it did not see.
        if (!state) offsets.set(file, (state = { offset: first ? size : 0, rest: '' }));
        if (size < state.offset) state = { offset: 0, rest: '' };
        if (size === state.offset) continue;
        const length = Math.min(SLICE, size - state.offset);
        const buf = Buffer.alloc(length);
        fd = openSync(file, 'r');
        const got = readSync(fd, buf, 0, length, state.offset);
        const lines = (state.rest + buf.subarray(0, got).toString('utf8')).split('\n');
        const rest = lines.pop() ?? '';
        offsets.set(file, { offset: state.offset + got, rest });
        for (const line of lines) {
          const parsed = parseLine(line);
          if (!parsed?.success) continue;
          const message = l7ToFlow(parsed.data, o.context(parsed.data.server.ip));
          o.store.push([message], parsed.data.atMs);
        }
      } catch (err) {
        o.onError?.(err as Error);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    for (const file of [...offsets.keys()]) if (!seen.has(file)) offsets.delete(file);
  };

  readConfigs();
  readEvents(true);
  const timer = setInterval(() => {
    readConfigs();
    readEvents(false);
  }, o.intervalMs ?? 250);
  return {
    proxied: (server, port, client) => {
      const config = configs.get(server);
      return config !== undefined && redirected(config, client, port);
    },
    stop: () => clearInterval(timer),
  };
}
