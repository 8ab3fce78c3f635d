// L7 HTTP rules, without a kernel: which pods get a proxy and which clients
// it sees (the datapath's lookup order: allow-localhost keeps the node out),
// how a request is judged (method and path as fully anchored regular
// expressions, host, headers, as Cilium and Envoy match them), the pod's
// nftables table, the proxy's entries as Hubble's L7 flows, and flowtap
// leaving out the L7 events of connections a proxy reports.
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { LAB_POLICY, POLICY_3AM } from '../../../lab/apply.ts';
import { identityOf, toFlows, type EndpointInfo, type EndpointSource } from '../../../lab/hubble/index.ts';
import {
  compile,
  decideL7,
  l7Configs,
  l7ToFlow,
  labClusterView,
  labPods,
  nftScript,
  redirected,
  RESERVED,
  type L7Event,
} from '../../../lab/policy/index.ts';
import { NODES } from '../../../lab/topology.ts';

const pod = (namespace: string, name: string, app: string, ip: string): V1Pod => ({
  metadata: { namespace, name, labels: { app } },
  status: { podIP: ip, podIPs: [{ ip }] },
});
const FRONTEND = '10.244.1.10';
const PAYMENT = '10.244.2.10';
const POSTGRES = '10.244.3.10';
const NODE = NODES[1]?.gateway ?? '';
const namespaces = ['production', 'finance', 'kube-system'].map((name) => ({ metadata: { name } }));
const view = labClusterView(
  labPods(
    [
      pod('production', 'checkout-frontend-a', 'checkout-frontend', FRONTEND),
      pod('finance', 'payment-processor-a', 'payment-processor', PAYMENT),
      pod('finance', 'postgres-db-a', 'postgres-db', POSTGRES),
    ],
    new Map(),
  ),
  namespaces,
);
const yaml = (file: string): unknown => parse(readFileSync(file, 'utf8'));
const payment = (policies: unknown[]) => {
  const configs = l7Configs(compile(policies, view));
  const config = configs.find((c) => c.endpoint.pod === 'payment-processor-a');
  if (!config) throw new Error(`no L7 config for payment: ${JSON.stringify(configs.map((c) => c.endpoint.pod))}`);
  return config;
};
const cnp = (ingress: unknown[]) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name: 'l7', namespace: 'finance' },
  spec: { endpointSelector: { matchLabels: { app: 'payment-processor' } }, ingress },
});
const http8080 = (http: unknown[]) => ({ ports: [{ port: '8080', protocol: 'TCP' }], rules: { http } });

describe('which pods get an L7 proxy, and which clients it sees', () => {
  test("the lab's working policy: payment's port 8080 gets a proxy for the frontend only", () => {
    const configs = l7Configs(compile([yaml(LAB_POLICY)], view));
    expect(configs.map((c) => `${c.endpoint.namespace}/${c.endpoint.pod}`)).toEqual(['finance/payment-processor-a']);
    const config = payment([yaml(LAB_POLICY)]);
    expect(config.ports).toEqual([
      {
        port: 8080,
        proxyPort: 15001,
        sources: [
          { prefix: `${FRONTEND}/32`, proxy: true },
          { prefix: '0.0.0.0/0', proxy: false },
        ],
      },
    ]);
    expect(redirected(config, FRONTEND, 8080)).toBe(true);
    // The admin port has no HTTP rules; the node and other pods never meet the proxy.
    expect(redirected(config, FRONTEND, 9901)).toBe(false);
    expect(redirected(config, NODE, 8080)).toBe(false);
    expect(redirected(config, POSTGRES, 8080)).toBe(false);
  });

  test('the 3 AM policy selects no frontend, so no pod gets a proxy (its drops stay L3/L4)', () => {
    expect(l7Configs(compile([yaml(POLICY_3AM)], view))).toEqual([]);
  });

  test('a rule for any peer sends every client to the proxy except the node (allow-localhost comes first)', () => {
    const config = payment([cnp([{ toPorts: [http8080([{ method: 'GET', path: '/public/.*' }])] }])]);
    const sources = config.ports[0]?.sources ?? [];
    expect(sources.at(-1)).toEqual({ prefix: '0.0.0.0/0', proxy: true });
    for (const node of NODES) {
      expect(sources).toContainEqual({ prefix: `${node.gateway}/32`, proxy: false });
      expect(redirected(config, node.ip, 8080)).toBe(false);
    }
    expect(redirected(config, POSTGRES, 8080)).toBe(true);
    expect(redirected(config, '192.0.2.7', 8080)).toBe(true);
  });

  test('a plain L4 allow of the same peer and port lets every request through: no proxy', () => {
    const l4 = { fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'production' } }] };
    const policy = cnp([
      { ...l4, toPorts: [http8080([{ method: 'POST' }])] },
      { ...l4, toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] },
    ]);
    expect(l7Configs(compile([policy], view))).toEqual([]);
  });

  test('an enforced port never shares its number with a proxy port', () => {
    const config = payment([
      cnp([{ toPorts: [{ ports: [{ port: '15001', protocol: 'TCP' }], rules: { http: [{}] } }, http8080([{}])] }]),
    ]);
    expect(config.ports.map((p) => [p.port, p.proxyPort])).toEqual([
      [8080, 15002],
      [15001, 15003],
    ]);
  });
});

describe('how the proxy judges a request', () => {
  const config = payment([yaml(LAB_POLICY)]);
  const ask = (client: string, method: string, path: string) =>
    decideL7(config, client, 8080, { method, path }).allowed;

  test("the frontend's POST /v1/charge passes; any other method or path is denied", () => {
    expect(ask(FRONTEND, 'POST', '/v1/charge')).toBe(true);
    expect(ask(FRONTEND, 'GET', '/')).toBe(false);
    expect(ask(FRONTEND, 'GET', '/v1/charge')).toBe(false);
    // Fully anchored, as Envoy matches: no prefix, no suffix, the query is part of the path.
    expect(ask(FRONTEND, 'POST', '/v1/charges')).toBe(false);
    expect(ask(FRONTEND, 'POST', '/x/v1/charge')).toBe(false);
    expect(ask(FRONTEND, 'POST', '/v1/charge?amount=1')).toBe(false);
    expect(ask(FRONTEND, 'post', '/v1/charge')).toBe(false);
  });

  test('a client without an allowing entry is denied; the node passes by allow-localhost', () => {
    expect(ask(POSTGRES, 'POST', '/v1/charge')).toBe(false);
    expect(decideL7(config, NODE, 8080, { method: 'GET', path: '/healthz' })).toMatchObject({
      allowed: true,
      identity: RESERVED.host,
    });
  });

  test('methods and paths are regular expressions; host and headers must match too', () => {
    const rules = payment([
      cnp([
        {
          toPorts: [
            http8080([
              { method: 'GET|HEAD', path: '/v1/(charge|refund)/[0-9]+' },
              { method: 'POST', host: 'payment\\.finance\\..*', headers: ['X-Trace', 'X-Tenant: shop'] },
            ]),
          ],
        },
      ]),
    ]);
    const judge = (method: string, path: string, host?: string, headers: Record<string, string> = {}) =>
      decideL7(rules, FRONTEND, 8080, { method, path, ...(host ? { host } : {}), headers }).allowed;
    expect(judge('HEAD', '/v1/refund/42')).toBe(true);
    expect(judge('GET', '/v1/refund/x')).toBe(false);
    expect(judge('POST', '/anything', 'payment.finance.svc', { 'x-trace': '1', 'x-tenant': 'shop' })).toBe(true);
    expect(judge('POST', '/anything', 'payment.finance.svc', { 'x-trace': '1', 'x-tenant': 'other' })).toBe(false);
    expect(judge('POST', '/anything', 'payment.finance.svc', { 'x-tenant': 'shop' })).toBe(false);
    expect(judge('POST', '/anything', 'evil.example', { 'x-trace': '1', 'x-tenant': 'shop' })).toBe(false);
  });
});

describe("the pod's nftables table", () => {
  test('redirects eth0 TCP to the enforced port from the proxied clients to the proxy, in one transaction', () => {
    const script = nftScript(payment([yaml(LAB_POLICY)]));
    expect(script.split('\n').slice(0, 3)).toEqual([
      'table ip nightshift_l7 {}',
      'delete table ip nightshift_l7',
      'table ip nightshift_l7 {',
    ]);
    expect(script).toContain('type nat hook prerouting priority dstnat; policy accept;');
    expect(script).toContain('iifname "eth0" tcp dport 8080 jump port_8080');
    const chain = script.slice(script.indexOf('chain port_8080'));
    expect(
      chain
        .split('\n')
        .slice(1, 3)
        .map((l) => l.trim()),
    ).toEqual([`ip saddr ${FRONTEND}/32 meta l4proto tcp redirect to :15001`, 'return']);
  });
});

describe("the proxy's entries as Hubble's L7 flows", () => {
  const frontendLabels = ['k8s:app=checkout-frontend', 'k8s:io.kubernetes.pod.namespace=production'];
  const paymentLabels = ['k8s:app=payment-processor', 'k8s:io.kubernetes.pod.namespace=finance'];
  const known: Record<string, EndpointInfo> = {
    [FRONTEND]: {
      namespace: 'production',
      pod: 'checkout-frontend-a',
      labels: frontendLabels,
      node: 'lab-node-1',
      identity: identityOf(frontendLabels),
    },
    [PAYMENT]: {
      namespace: 'finance',
      pod: 'payment-processor-a',
      labels: paymentLabels,
      node: 'lab-node-2',
      identity: identityOf(paymentLabels),
    },
  };
  const endpoints: EndpointSource = {
    byIp: (ip) => known[ip] ?? { labels: ['reserved:world'], identity: 2 },
    podNamespaces: () => [],
    nodeOfNetns: () => undefined,
    refresh: async () => undefined,
  };
  const entry = (over: Partial<L7Event>): L7Event => ({
    type: 'REQUEST',
    verdict: 'DROPPED',
    atMs: Date.parse('2026-12-04T03:00:00.250Z'),
    client: { ip: FRONTEND, port: 40312 },
    server: { ip: PAYMENT, port: 8080 },
    clientIdentity: identityOf(frontendLabels),
    serverIdentity: identityOf(paymentLabels),
    endpointId: 4,
    http: { method: 'GET', url: `http://${PAYMENT}:8080/`, protocol: 'HTTP/1.1' },
    ...over,
  });

  test('a denied request is a DROPPED L7 request from the client to the pod, seen at its ingress', () => {
    const { flow, node_name } = l7ToFlow(entry({}), { endpoints });
    expect(node_name).toBe('lab-node-2');
    expect(flow).toMatchObject({
      verdict: 'DROPPED',
      Type: 'L7',
      event_type: { type: 129 },
      traffic_direction: 'INGRESS',
      is_reply: { value: false },
      IP: { source: FRONTEND, destination: PAYMENT },
      l4: { TCP: { source_port: 40312, destination_port: 8080 } },
      source: { namespace: 'production', pod_name: 'checkout-frontend-a' },
      destination: { ID: 4, namespace: 'finance', pod_name: 'payment-processor-a' },
      l7: { type: 'REQUEST', http: { method: 'GET', url: `http://${PAYMENT}:8080/`, protocol: 'HTTP/1.1' } },
      Summary: `HTTP/1.1 GET http://${PAYMENT}:8080/`,
    });
    expect(flow.l7?.http?.code).toBeUndefined();
    expect(flow.time).toEqual({ seconds: String(Date.parse('2026-12-04T03:00:00Z') / 1000), nanos: 250_000_000 });
  });

  test("the proxy's 403 is a response from the pod to the client with its code and latency", () => {
    const { flow } = l7ToFlow(
      entry({
        type: 'RESPONSE',
        verdict: 'FORWARDED',
        latencyNs: 2_400_000,
        http: { method: 'GET', url: `http://${PAYMENT}:8080/`, protocol: 'HTTP/1.1', code: 403 },
      }),
      { endpoints },
    );
    expect(flow).toMatchObject({
      verdict: 'FORWARDED',
      is_reply: { value: true },
      IP: { source: PAYMENT, destination: FRONTEND },
      l4: { TCP: { source_port: 8080, destination_port: 40312 } },
      source: { ID: 4, pod_name: 'payment-processor-a' },
      l7: { type: 'RESPONSE', latency_ns: '2400000', http: { code: 403, method: 'GET' } },
      Summary: `HTTP/1.1 403 2ms (GET http://${PAYMENT}:8080/)`,
    });
  });
});

describe("flowtap's own L7 events", () => {
  const record = (over: object) => ({
    src: FRONTEND,
    dst: PAYMENT,
    sport: 40312,
    dport: 8080,
    proto: 6,
    tx: 3,
    txBytes: 300,
    rx: 3,
    rxBytes: 300,
    syn: 1,
    fin: 0,
    rst: 0,
    drops: 0,
    dropReason: 0,
    dropNetns: 0,
    httpRequests: 1,
    httpStatus: [0, 0, 0, 0, 0, 0],
    latencyNs: 0,
    latencyCount: 0,
    ageMs: 0,
    atMs: 0,
    method: 'GET',
    path: '/',
    ...over,
  });
  const delta = (r: ReturnType<typeof record>) => ({
    record: r,
    tx: r.tx,
    rx: r.rx,
    drops: 0,
    syn: r.syn,
    fin: 0,
    rst: 0,
    requests: r.httpRequests,
    status: r.httpStatus,
    latencyNs: 0,
    latencyCount: 0,
  });
  const endpoints: EndpointSource = {
    byIp: () => ({ labels: [], identity: 2 }),
    podNamespaces: () => [],
    nodeOfNetns: () => undefined,
    refresh: async () => undefined,
  };
  const proxied = (server: string, port: number, client: string) =>
    server === PAYMENT && port === 8080 && client === FRONTEND;
  const types = (flows: ReturnType<typeof toFlows>) => flows.map((f) => f.flow.Type);

  test('are left out where a proxy reports the connection; its L3/L4 events stay', () => {
    const at = new Date();
    const request = delta(record({}));
    const answer = delta(
      record({
        src: PAYMENT,
        dst: FRONTEND,
        sport: 8080,
        dport: 40312,
        httpRequests: 0,
        httpStatus: [0, 0, 0, 0, 1, 0],
        syn: 0,
      }),
    );
    expect(types(toFlows(request, { endpoints, at }))).toEqual(['L3_L4', 'L3_L4', 'L7']);
    expect(types(toFlows(request, { endpoints, at, l7Proxied: proxied }))).toEqual(['L3_L4', 'L3_L4']);
    expect(types(toFlows(answer, { endpoints, at, l7Proxied: proxied }))).toEqual(['L3_L4', 'L3_L4']);
    // Another client of the same pod and port is not the proxy's: flowtap keeps reporting it.
    const other = delta(record({ src: POSTGRES }));
    expect(types(toFlows(other, { endpoints, at, l7Proxied: proxied }))).toEqual(['L3_L4', 'L3_L4', 'L7']);
  });
});
