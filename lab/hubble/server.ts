// The stand-in's gRPC server: Hubble's observer.Observer service (GetFlows,
// ServerStatus) from our own wire-compatible protos, over a FlowStore. The
// request is read with zod; what Hubble refuses (number with since/until),
// the stand-in refuses too.
import {
  Server,
  ServerCredentials,
  status,
  type MethodDefinition,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { z } from 'zod';
import { observerService } from '../../activities/index.ts';
import { FilterError, flowFilterSchema, selector } from './filter.ts';
import type { FlowStore, Stored } from './store.ts';

const timestampSchema = z
  .object({ seconds: z.union([z.string(), z.number()]).optional(), nanos: z.number().optional() })
  .loose();
const requestSchema = z
  .object({
    number: z.union([z.string(), z.number()]).optional(),
    first: z.boolean().optional(),
    follow: z.boolean().optional(),
    whitelist: z.array(flowFilterSchema).default([]),
    blacklist: z.array(flowFilterSchema).default([]),
    since: timestampSchema.optional(),
    until: timestampSchema.optional(),
  })
  .loose();

const ms = (t: z.infer<typeof timestampSchema> | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;
const strip = ({ atMs: _at, ...message }: Stored) => message;

/** The response serializer, passing bytes encoded beforehand through as they are. */
export function serializeResponse(encode: (message: unknown) => Buffer): (message: unknown) => Buffer {
  return (message) => (Buffer.isBuffer(message) ? message : encode(message));
}

export interface ObserverServer {
  address: string;
  stop(): Promise<void>;
}

export async function startObserverServer(
  store: FlowStore,
  address = '127.0.0.1:4245',
  startedAt = Date.now(),
): Promise<ObserverServer> {
  const server = new Server();
  const { definition } = observerService();
  // Each flow is encoded once, as it is stored, so an answer costs the filtering and the writing, not the
  // encoding: under load the stand-in's CPU is the flows collector's time (bench/flow-encode.ts).
  const getFlows = definition.GetFlows as MethodDefinition<unknown, unknown>;
  const wire = new WeakMap<Stored, Buffer>();
  const wireOf = (item: Stored): Buffer => {
    let bytes = wire.get(item);
    if (!bytes) wire.set(item, (bytes = getFlows.responseSerialize(strip(item))));
    return bytes;
  };
  const stopEncoding = store.follow(wireOf);
  const service: ServiceDefinition = {
    ...definition,
    GetFlows: { ...getFlows, responseSerialize: serializeResponse(getFlows.responseSerialize) },
  };
  const follows = new Set<() => void>();
  server.addService(service, {
    GetFlows(call: ServerWritableStream<unknown, unknown>): void {
      const refuse = (message: string): void => {
        call.emit('error', { code: status.INVALID_ARGUMENT, details: message });
      };
      const parsed = requestSchema.safeParse(call.request);
      if (!parsed.success) return refuse(`bad request: ${parsed.error.message}`);
      const r = parsed.data;
      const number = r.number === undefined ? 0 : Number(r.number);
      if (number && (r.since || r.until)) return refuse('number is incompatible with since/until');
      let keep: ReturnType<typeof selector>;
      try {
        keep = selector(r.whitelist, r.blacklist);
      } catch (err) {
        if (err instanceof FilterError) return refuse(err.message);
        throw err;
      }
      const wanted = (item: Stored) => keep(item.flow);
      let items: Stored[];
      if (number) items = store.take(number, wanted, r.first);
      else if (!r.since && !r.until && !r.follow)
        items = store.take(20, wanted); // Hubble's default: the last 20
      else items = store.window(ms(r.since), ms(r.until), wanted);
      for (const item of items) call.write(wireOf(item));
      if (!r.follow) {
        call.end();
        return;
      }
      const stop = store.follow((item) => {
        if (wanted(item)) call.write(wireOf(item));
      });
      const done = () => {
        stop();
        follows.delete(done);
      };
      follows.add(done);
      call.on('cancelled', done);
      call.on('close', done);
    },
    ServerStatus(_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) {
      callback(null, {
        num_flows: String(store.size),
        max_flows: String(store.capacity),
        seen_flows: String(store.seen),
        uptime_ns: String((Date.now() - startedAt) * 1e6),
        num_connected_nodes: { value: 1 },
        num_unavailable_nodes: { value: 0 },
        version: 'nightshift-lab-hubble/1 (Hubble Relay stand-in)',
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const host = address.slice(0, address.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    async stop() {
      stopEncoding();
      for (const done of [...follows]) done();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}
