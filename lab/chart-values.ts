// The values `lab up --chart` installs nightshift's chart with: everything a
// pod needs to reach, at addresses a pod can route to (the host's loopback
// servers through the host relay at HOST_IP, etcd and CoreDNS at their own
// addresses), and the Secrets it names (made by the lab, never templated).
// What a real cluster also configures goes in the chart's own values; what
// only the lab needs (the probe, the Slack stand-in's URL, one pin root per
// simulated node on the machine's one bpffs) goes in extraEnv.
import { REPO_ROOT } from '../worker/base.ts';
import { DEMO_ACCESS } from '../worker/index.ts';
import { LAB_CHART_VALUES } from './chart.ts';
import { COREDNS_METRICS_URL } from './control-plane/coredns.ts';
import { BPF_PIN_ROOT } from './paths.ts';
import { HUBBLE_RELAY_ADDRESS } from './hubble/index.ts';
import { throughRelay } from './relay/index.ts';
import { DNS_IP, ETCD_MEMBERS, PROBE_URL, PROMETHEUS_URL } from './topology.ts';

/** The chart's ports the lab's Alertmanager and Prometheus reach its pods on (set explicitly below). */
export const CHART_PORTS = { gateway: 3000, workerMetrics: 9464, agentMetrics: 9465 } as const;

/** The Secrets the chart's existingSecret values name; `lab up --chart` makes them. */
export const LAB_SECRETS = { slack: 'nightshift-slack', webhook: 'nightshift-webhook' } as const;

export interface ChartLabInput {
  /** Temporal as the host reaches it (e.g. 127.0.0.1:7233). */
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  /** The Slack stand-in's port on 127.0.0.1 (relayed to pods). */
  standinPort: number;
  /** The channel the stand-in has and the runs post their threads in. */
  channel: string;
}

/** The port of `host:port` or of a URL without a path. */
function port(address: string): number {
  const found = /:(\d+)\/?$/.exec(address);
  if (!found) throw new Error(`no port in ${address}`);
  return Number(found[1]);
}

/** The ports of the host's loopback servers the pods reach through the relay. */
export function relayPorts(input: Pick<ChartLabInput, 'temporalAddress' | 'standinPort'>): number[] {
  return [input.temporalAddress, HUBBLE_RELAY_ADDRESS, PROMETHEUS_URL, PROBE_URL, `127.0.0.1:${input.standinPort}`]
    .filter((address) => throughRelay(address) !== address)
    .map(port);
}

export function chartLabValues(input: ChartLabInput): Record<string, unknown> {
  const temporal = throughRelay(input.temporalAddress);
  const slackApi = `http://${throughRelay(`127.0.0.1:${input.standinPort}`)}/api/`;
  return {
    ...LAB_CHART_VALUES,
    // The lab has no image root file system: the image's /app is the checkout.
    appDir: REPO_ROOT,
    temporal: { address: temporal, namespace: input.temporalNamespace, taskQueue: input.taskQueue },
    slack: { existingSecret: LAB_SECRETS.slack, channel: input.channel },
    // The stand-in's people, with the roles the gateway gives them when it runs beside the stand-in itself.
    config: { access: { users: DEMO_ACCESS } },
    alerts: { existingSecret: LAB_SECRETS.webhook, key: 'token' },
    evidence: {
      prometheusUrl: throughRelay(PROMETHEUS_URL),
      hubble: { relay: throughRelay(HUBBLE_RELAY_ADDRESS) },
      etcd: { endpoints: ETCD_MEMBERS.map((m) => m.clientUrl) },
      clusterDns: [DNS_IP],
      corednsMetrics: [COREDNS_METRICS_URL],
    },
    // Two cores: one of each is enough to show the install.
    worker: {
      replicas: 1,
      metricsPort: CHART_PORTS.workerMetrics,
      extraEnv: [
        { name: 'NIGHTSHIFT_PROBE_URL', value: throughRelay(PROBE_URL) },
        { name: 'SLACK_API_URL', value: slackApi },
      ],
    },
    gateway: {
      replicas: 1,
      port: CHART_PORTS.gateway,
      service: { port: CHART_PORTS.gateway },
      extraEnv: [{ name: 'SLACK_API_URL', value: slackApi }],
      networkPolicy: {
        temporalPort: port(temporal),
        // Slack's Web API is on 443, which the policy allows; the stand-in answers on its own port.
        extraEgress: [{ ports: [{ port: input.standinPort, protocol: 'TCP' }] }],
      },
    },
    agent: {
      metricsPort: CHART_PORTS.agentMetrics,
      // The scenarios need the vantage points (DNS and TCP from inside pods): SYS_ADMIN and SYS_PTRACE,
      // which the lab's runtime gives the agents' processes and no more (lab/simulator/security.ts).
      enterPodNamespaces: true,
      // Three simulated nodes share this machine's bpffs: each agent pins under its own node's dir, as the lab's agents did.
      extraEnv: [{ name: 'NIGHTSHIFT_PIN_ROOT', value: `${BPF_PIN_ROOT}/$(NIGHTSHIFT_NODE_NAME)` }],
    },
  };
}
