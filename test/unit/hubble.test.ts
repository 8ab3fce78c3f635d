// Our Hubble protos are wire-compatible with Cilium's for the fields we use
// (checked on the encoded bytes against the numbers in Cilium's
// api/v1/flow/flow.proto and api/v1/observer/observer.proto), and one
// summariser reads gRPC flows and `hubble observe -o json` captures alike.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import {
  observerService,
  parseHubbleJson,
  REPLY_GRACE_MS,
  summariseFlows,
  judgedAt,
  type AsOf,
  RELAY_LAG_MS,
  unansweredEnough,
  type FlowRecord,
  type Peer,
  toHubbleJson,
  toRecord,
  flowSchema,
  fromWire,
  responseSchema,
  type PeerCache,
} from '../../activities/hubble/index.ts';
import { flowMatches } from '../../lab/hubble/index.ts';
import { shopFlows } from '../evidence/helpers/tap.ts';

/** Top-level (field number, wire type) pairs of a protobuf message, and each length-delimited field's bytes. */
function fields(buf: Buffer): { no: number; wire: number; bytes?: Buffer; value?: bigint }[] {
  const out: { no: number; wire: number; bytes?: Buffer; value?: bigint }[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const no = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const field = (buf: Buffer, no: number) => fields(buf).find((f) => f.no === no);

const definition = observerService().definition;
const service = { GetFlows: definition.GetFlows!, ServerStatus: definition.ServerStatus! };

describe('wire compatibility with Cilium observer.proto / flow.proto', () => {
  const response = {
    flow: {
      time: { seconds: '1700000000', nanos: 5 },
      uuid: 'u',
      verdict: 'DROPPED',
      drop_reason_desc: 'POLICY_DENIED',
      IP: { source: '10.244.1.5', destination: '10.244.2.7', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 41000, destination_port: 80, flags: { SYN: true } } },
      source: {
        identity: 300,
        namespace: 'production',
        labels: ['k8s:app=checkout-frontend'],
        pod_name: 'checkout-frontend-abc',
        workloads: [{ name: 'checkout-frontend', kind: 'Deployment' }],
      },
      destination: { namespace: 'production', pod_name: 'cart-service-v1-def' },
      Type: 'L3_L4',
      node_name: 'lab-node-1',
      l7: { type: 'RESPONSE', http: { code: 500, method: 'GET', url: '/cart' } },
      event_type: { type: 1, sub_type: 133 },
      traffic_direction: 'EGRESS',
      is_reply: { value: true },
      Summary: 'x',
    },
    node_name: 'lab-node-1',
    time: { seconds: '1700000000', nanos: 0 },
  };
  const bytes = service.GetFlows.responseSerialize(response);

  test('GetFlowsResponse: flow = 1, node_name = 1000, time = 1001', () => {
    expect(fields(bytes).map((f) => f.no)).toEqual([1, 1000, 1001]);
  });

  test('Flow field numbers and enum values match Cilium', () => {
    const flow = field(bytes, 1)?.bytes as Buffer;
    const numbers = new Map(fields(flow).map((f) => [f.no, f]));
    // Cilium flow.proto: time 1, verdict 2, IP 5, l4 6, source 8, destination 9, Type 10,
    // node_name 11, l7 15, event_type 19, traffic_direction 22, drop_reason_desc 25, is_reply 26, uuid 34, Summary 100000.
    expect([...numbers.keys()].sort((a, b) => a - b)).toEqual([
      1, 2, 5, 6, 8, 9, 10, 11, 15, 19, 22, 25, 26, 34, 100000,
    ]);
    expect(numbers.get(2)?.value).toBe(2n); // Verdict DROPPED = 2
    expect(numbers.get(10)?.value).toBe(1n); // FlowType L3_L4 = 1
    expect(numbers.get(22)?.value).toBe(2n); // TrafficDirection EGRESS = 2
    expect(numbers.get(25)?.value).toBe(133n); // DropReason POLICY_DENIED = 133
    const source = fields(numbers.get(8)?.bytes as Buffer).map((f) => f.no);
    expect(source).toEqual([2, 3, 4, 5, 6]); // Endpoint: identity 2, namespace 3, labels 4, pod_name 5, workloads 6
    const l4 = fields(numbers.get(6)?.bytes as Buffer);
    expect(l4.map((f) => f.no)).toEqual([1]); // Layer4.TCP = 1
    expect(fields(l4[0]?.bytes as Buffer).map((f) => f.no)).toEqual([1, 2, 3]); // source_port, destination_port, flags
    const l7 = fields(numbers.get(15)?.bytes as Buffer);
    expect(l7.map((f) => f.no)).toEqual([1, 101]); // Layer7.type = 1, http = 101
    expect(fields(l7[1]?.bytes as Buffer).map((f) => f.no)).toEqual([1, 2, 3]); // HTTP code, method, url
    expect(fields(numbers.get(5)?.bytes as Buffer).map((f) => f.no)).toEqual([1, 2, 3]); // IP source, destination, ipVersion
  });

  test('GetFlowsRequest and FlowFilter field numbers match Cilium', () => {
    const req = service.GetFlows.requestSerialize({
      number: '5',
      follow: true,
      whitelist: [
        {
          source_pod: ['production/'],
          destination_pod: ['finance/'],
          verdict: ['DROPPED'],
          destination_port: ['80'],
          http_status_code: ['5+'],
        },
      ],
      since: { seconds: '1', nanos: 0 },
      until: { seconds: '2', nanos: 0 },
      first: true,
    });
    expect(
      fields(req)
        .map((f) => f.no)
        .sort((a, b) => a - b),
    ).toEqual([1, 3, 6, 7, 8, 9]);
    const filter = field(req, 6)?.bytes as Buffer;
    expect(
      fields(filter)
        .map((f) => f.no)
        .sort((a, b) => a - b),
    ).toEqual([2, 4, 5, 9, 14]);
  });

  test('the service path is /observer.Observer/GetFlows, server-streaming', () => {
    expect(service.GetFlows.path).toBe('/observer.Observer/GetFlows');
    expect(service.GetFlows.responseStream).toBe(true);
    expect(service.ServerStatus.path).toBe('/observer.Observer/ServerStatus');
  });
});

describe('one summariser for gRPC flows and hubble observe -o json', () => {
  const capture = readFileSync(new URL('../fixtures/evidence/hubble-standin.jsonl', import.meta.url), 'utf8');

  test('a capture from the lab stand-in: nothing dropped, connections the server never answered, HTTP 5xx', () => {
    const parsed = parseHubbleJson(capture);
    expect(parsed.skipped).toEqual([]);
    const summary = summariseFlows(parsed.records);
    expect(summary.drops).toEqual([]);
    expect(summary.connections.find((c) => c.port === 9091)).toMatchObject({
      source: 'production/checkout-frontend',
      destination: 'production/cart-service-v2',
      protocol: 'TCP',
      answered: 0,
    });
    expect(summary.connections.find((c) => c.port === 5353)).toMatchObject({ protocol: 'UDP', answered: 0 });
    expect(summary.connections.find((c) => c.port === 9090)).toBeUndefined(); // the fault dropped it unseen
    expect(summary.http).toEqual([
      expect.objectContaining({ destination: 'production/cart-service-v2', responses: 7, errors: 3 }),
    ]);
  });

  test('lines in the hubble CLI form: enums as strings, int64 as strings, lost events, junk reported', () => {
    const lines = [
      '{"flow":{"time":"2024-05-01T10:00:00.123456789Z","verdict":"DROPPED","drop_reason":133,"drop_reason_desc":"POLICY_DENIED","IP":{"source":"10.0.1.2","destination":"10.0.2.3","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":51000,"destination_port":8080,"flags":{"SYN":true}}},"source":{"ID":12,"identity":5678,"namespace":"production","labels":["k8s:app=checkout-frontend"],"pod_name":"checkout-frontend-7d9f8b6c4-x2x7q"},"destination":{"identity":9999,"namespace":"finance","labels":["k8s:app=payment-processor"],"pod_name":"payment-processor-6c5d4-abcde"},"Type":"L3_L4","node_name":"kind-worker","event_type":{"type":1,"sub_type":133},"traffic_direction":"INGRESS","Summary":"TCP Flags: SYN"},"node_name":"kind-worker","time":"2024-05-01T10:00:00.123456789Z"}',
      '{"lost_events":{"source":"HUBBLE_RING_BUFFER","num_events_lost":"42"},"node_name":"kind-worker","time":"2024-05-01T10:00:01Z"}',
      'not json',
      '',
    ].join('\n');
    const parsed = parseHubbleJson(lines);
    expect(parsed.lost).toBe(42);
    expect(parsed.skipped).toEqual([{ line: 3, reason: 'not JSON' }]);
    expect(parsed.records[0]).toMatchObject({
      verdict: 'DROPPED',
      dropReason: 'POLICY_DENIED',
      destinationPort: 8080,
      tcpFlags: ['SYN'],
      source: { workload: 'checkout-frontend', namespace: 'production' },
      destination: { workload: 'payment-processor' },
    });
  });

  test('a flow printed as protojson reads back as the same record', () => {
    const flow = {
      verdict: 'FORWARDED',
      Type: 'L7',
      l4: { TCP: { source_port: 80, destination_port: 40000 } },
      l7: { type: 'RESPONSE', latency_ns: '2500000', http: { code: 503 } },
      source: { namespace: 'production', pod_name: 'cart-service-v2-5c8d7b6f9-qq4hd' },
      destination: { namespace: 'production', pod_name: 'checkout-frontend-7d9f8b6c4-x2x7q' },
      is_reply: { value: true },
      node_name: 'n1',
      time: { seconds: '1700000000', nanos: 500000000 },
    };
    const line = toHubbleJson({ flow, node_name: 'n1', time: flow.time });
    expect(JSON.parse(line).flow.time).toBe('2023-11-14T22:13:20.5Z');
    expect(parseHubbleJson(line).records[0]).toEqual(toRecord(flowSchema.parse(flow), 'n1'));
    expect(parseHubbleJson(line).records[0]?.http).toEqual({ code: 503, latencyMs: 2.5, type: 'RESPONSE' });
  });
});

describe('the relay client reads the decoded stream without a second check', () => {
  const method = observerService().definition.GetFlows as unknown as {
    responseSerialize(m: unknown): Buffer;
    responseDeserialize(b: Buffer): unknown;
  };
  const toWorld = (uuid: string, names?: string[]) => ({
    flow: {
      time: { seconds: '1700000000', nanos: 250000000 },
      uuid,
      verdict: 'DROPPED',
      drop_reason_desc: 'POLICY_DENIED',
      IP: { source: '10.244.1.10', destination: '203.0.113.9', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 41000, destination_port: 443, flags: { SYN: true } } },
      source: {
        identity: 9241,
        namespace: 'production',
        labels: ['k8s:app=checkout-frontend'],
        pod_name: 'checkout-frontend-7d9f8b6c4-x2x7q',
      },
      destination: { identity: 2, labels: ['reserved:world'] },
      ...(names ? { destination_names: names } : {}),
      Type: 'L3_L4',
      node_name: 'lab-node-2',
      is_reply: { value: false },
    },
    node_name: 'lab-node-2',
  });
  const lost = { lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: '7' }, node_name: 'lab-node-1' };
  const decoded = [...shopFlows(300), toWorld('d-1', ['payments.example.com']), toWorld('d-2'), lost].map((m) =>
    method.responseDeserialize(method.responseSerialize(m)),
  );

  test('every decoded response is one responseSchema accepts, and reads to the same record either way', () => {
    const peers: PeerCache = new Map();
    for (const message of decoded) {
      const checked = responseSchema.parse(message);
      const wire = fromWire(message);
      expect(wire?.lost_events?.num_events_lost).toEqual(checked.lost_events?.num_events_lost);
      if (!checked.flow) continue;
      expect(wire?.flow && toRecord(wire.flow, wire.node_name, peers)).toEqual(
        toRecord(checked.flow, checked.node_name),
      );
    }
    expect(fromWire(undefined)).toBeUndefined();
  });

  test('peers are read once per endpoint and never mixed up', () => {
    const peers: PeerCache = new Map();
    const records = decoded.flatMap((m) => {
      const r = fromWire(m);
      return r?.flow ? [toRecord(r.flow, r.node_name, peers)] : [];
    });
    const pods = new Set(records.flatMap((r) => [r.source.pod, r.destination.pod]));
    expect(peers.size).toBeLessThanOrEqual(pods.size + 1);
    for (const p of records.flatMap((r) => [r.source, r.destination]))
      if (p.pod) expect(p.pod.startsWith(`${p.labels.app}-`)).toBe(true);
    // A name Hubble learned from DNS names this flow's destination only, not the peer the next flow shares.
    const named = records.filter((r) => r.destination.ip === '203.0.113.9').map((r) => r.destination.workload);
    expect(named).toEqual(['payments.example.com', 'world']);
  });
});

describe('the stand-in applies FlowFilters as Hubble does', () => {
  const flow = {
    verdict: 'DROPPED',
    node_name: 'lab-node-2',
    IP: { source: '10.244.1.5', destination: '10.244.2.7' },
    source: { namespace: 'production', pod_name: 'checkout-frontend-x', labels: ['k8s:app=checkout-frontend'] },
    destination: { namespace: 'production', pod_name: 'cart-service-v1-y', labels: ['k8s:app=cart-service-v1'] },
    l4: { TCP: { source_port: 40000, destination_port: 80 } },
  };

  test('fields AND, list elements OR, pod prefixes with namespace, CIDRs, labels, globs', () => {
    expect(flowMatches({ source_pod: ['production/checkout'] }, flow)).toBe(true);
    expect(flowMatches({ source_pod: ['finance/'] }, flow)).toBe(false);
    expect(flowMatches({ source_pod: ['production/'], verdict: ['FORWARDED'] }, flow)).toBe(false);
    expect(flowMatches({ verdict: ['FORWARDED', 'DROPPED'] }, flow)).toBe(true);
    expect(flowMatches({ destination_ip: ['10.244.2.0/24'], destination_port: ['80'] }, flow)).toBe(true);
    expect(flowMatches({ destination_label: ['k8s:app=cart-service-v1'], node_name: ['lab-node-*'] }, flow)).toBe(true);
    expect(flowMatches({ verdict: [2] }, flow)).toBe(true);
  });

  test('http_status_code keeps responses by code or prefix, never requests, and refuses what Hubble refuses', () => {
    const request = { ...flow, verdict: 'FORWARDED', l7: { type: 'REQUEST', http: { method: 'GET', url: '/cart' } } };
    const answer = (code: number) => ({ ...request, l7: { type: 'RESPONSE', http: { code } } });
    const every = ['1+', '2+', '3+', '4+', '5+'];
    expect(flowMatches({ http_status_code: every }, request)).toBe(false);
    expect(flowMatches({ http_status_code: every }, flow)).toBe(false);
    expect(flowMatches({ http_status_code: every }, answer(200))).toBe(true);
    expect(flowMatches({ http_status_code: ['5+'] }, answer(503))).toBe(true);
    expect(flowMatches({ http_status_code: ['5+'] }, answer(404))).toBe(false);
    expect(flowMatches({ http_status_code: ['40+'] }, answer(404))).toBe(true);
    expect(flowMatches({ http_status_code: ['404'] }, answer(404))).toBe(true);
    expect(flowMatches({ http_status_code: ['404'] }, answer(403))).toBe(false);
    expect(() => flowMatches({ http_status_code: ['6+'] }, answer(200))).toThrow(/invalid status code prefix: "6\+"/);
    expect(() => flowMatches({ http_status_code: ['2xx'] }, answer(200))).toThrow(/"2xx"/);
    expect(() => flowMatches({ http_status_code: ['5+'], event_type: [{ type: 1 }] }, answer(500))).toThrow(
      /event type filter to only match 'l7'/,
    );
    expect(flowMatches({ http_status_code: ['5+'], event_type: [{ type: 129 }] }, answer(500))).toBe(true);
  });
});

describe('connections: when the loss began', () => {
  const T0 = Date.parse('2026-12-02T03:00:00Z');
  const host: Peer = { workload: 'host', labels: {}, ip: '10.200.0.1' };
  const cart: Peer = { namespace: 'production', workload: 'cart-service-v1', labels: {}, ip: '10.244.1.5' };
  let clientPort = 40000;
  /** One connection host → cart:80 opened at `atMs`, answered or not. */
  const connection = (atMs: number, answered: boolean): FlowRecord[] => {
    const port = clientPort++;
    const time = new Date(T0 + atMs).toISOString();
    const syn: FlowRecord = {
      time,
      verdict: 'FORWARDED',
      source: host,
      destination: cart,
      protocol: 'TCP',
      sourcePort: port,
      destinationPort: 80,
      tcpFlags: ['SYN'],
      isReply: false,
    };
    const synAck: FlowRecord = {
      ...syn,
      source: cart,
      destination: host,
      sourcePort: 80,
      destinationPort: port,
      tcpFlags: ['SYN', 'ACK'],
      isReply: true,
    };
    return answered ? [syn, synAck] : [syn];
  };
  const pair = (records: FlowRecord[], asOf: AsOf = T0 + 30_000) =>
    summariseFlows(records, 0, 20, asOf).connections.find((c) => c.port === 80);

  test('a cut that began mid-window: few of the window, every connection since it began', () => {
    const records = [
      ...Array.from({ length: 300 }, (_, i) => connection(i * 50, i % 100 !== 3)).flat(), // 0-15 s, 3 stray losses
      ...Array.from({ length: 40 }, (_, i) => connection(16_000 + i * 250, false)).flat(), // 16-26 s none
    ];
    const c = pair(records);
    expect(c).toMatchObject({ attempts: 340, answered: 297 });
    expect(c?.trailingLoss).toEqual({ unanswered: 40, since: '2026-12-02T03:00:16.000Z', spanMs: 9750 });
    expect(unansweredEnough(c!)).toBe(true);
  });

  test('stray losses spread over a busy window are not loss', () => {
    const records = Array.from({ length: 600 }, (_, i) => connection(i * 40, i % 50 !== 7)).flat();
    const c = pair(records);
    expect(c?.attempts).toBe(600);
    expect(c?.answered).toBe(588);
    expect(c?.trailingLoss.unanswered).toBe(0);
    expect(unansweredEnough(c!)).toBe(false);
  });

  test('a few answers late together at the end are not a cut: the run must last', () => {
    const records = [
      ...Array.from({ length: 30 }, (_, i) => connection(i * 500, true)).flat(),
      ...Array.from({ length: 4 }, (_, i) => connection(20_000 + i * 100, false)).flat(),
    ];
    const c = pair(records);
    expect(c?.trailingLoss.unanswered).toBe(4);
    expect(unansweredEnough(c!)).toBe(false);
  });

  test('connections opened within the grace before the question are not yet unanswered', () => {
    const records = [
      ...Array.from({ length: 100 }, (_, i) => connection(i * 100, true)).flat(),
      ...Array.from({ length: 5 }, (_, i) => connection(29_000 + i * 100, false)).flat(),
    ];
    expect(pair(records)).toMatchObject({ attempts: 100, answered: 100 });
    // Asked later, the same five have had their time: they count.
    expect(pair(records, T0 + 29_400 + REPLY_GRACE_MS + 1)).toMatchObject({ attempts: 105, answered: 100 });
  });

  test('a relay behind the clock is judged at its newest flow; a quiet one at the clock, less the lag it may run', () => {
    const records = [
      ...Array.from({ length: 20 }, (_, i) => connection(i * 100, true)).flat(),
      ...Array.from({ length: 5 }, (_, i) => connection(10_000 + i * 100, false)).flat(), // newest flow at 10.4 s
    ];
    // Asked 1 s after its newest flow: the relay may still be behind, the five are too new.
    expect(judgedAt(records, T0 + 11_400)).toBe(T0 + 10_400);
    expect(pair(records, judgedAt(records, T0 + 11_400))).toMatchObject({ attempts: 20, answered: 20 });
    // Asked 5 s after: the relay has been quiet longer than it may lag, so nothing more is coming.
    expect(judgedAt(records, T0 + 15_400)).toBe(T0 + 15_400 - RELAY_LAG_MS);
    expect(pair(records, judgedAt(records, T0 + 15_400))).toMatchObject({ attempts: 25, answered: 20 });
  });

  test('openings from an answer cut short are judged where it ends, not where a longer answer ends', () => {
    // The openings' answer was cut by the deadline at its newest flow, 11.8 s: the replies to the last
    // nine openings (10.2-11.8 s) came after the cut. Another answer of the same question reached 30 s.
    const read = Array.from({ length: 60 }, (_, i) => connection(i * 200, true).slice(0, i * 200 > 10_000 ? 1 : 2));
    const cut = read.flat();
    const reach = new Map(cut.map((r) => [r, T0 + 11_800]));
    const judged = (r: FlowRecord) => reach.get(r) ?? T0 + 30_000;
    // Judged at 30 s, the nine look unanswered; judged where their answer ended, they are too new to tell.
    expect(pair(cut, T0 + 30_000)).toMatchObject({ attempts: 60, answered: 51 });
    expect(pair(cut, judged)).toMatchObject({ attempts: 51, answered: 51 });
    // A connection lost well before the cut still counts.
    expect(pair([...cut, ...connection(3_000, false)], judged)).toMatchObject({ attempts: 52, answered: 51 });
  });
});
