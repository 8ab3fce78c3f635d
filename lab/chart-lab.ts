// nightshift from its own chart (`lab up`, unless --no-chart): its worker,
// gateway and agents run as pods by the node simulator. The lab starts what
// the pods need of the host (the host relay to its loopback servers, the
// Slack stand-in) and what reaches them from outside (the ingress to the
// gateway's Service, which the stand-in's clicks and Alertmanager's posts
// go through), makes the Secrets the chart names (the stand-in's token and
// signing secret, the webhook token Alertmanager sends), renders the chart
// with helm and applies it with the lab admin's credentials, then waits for
// the pods and tells Prometheus where they are.
import type { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_CHANNELS, resolveSlack, workflowBundleFor, WORKFLOWS_PATH, type Config } from '../worker/index.ts';
import { installChart, labSecret, LAB_GATEWAY_SERVICE, LAB_RELEASE, writeWorkerKubeconfig } from './chart.ts';
import { waitChartPods, LAB_AGENT_NAMESPACE } from './chart-pods.ts';
import { chartLabValues, LAB_SECRETS, relayPorts } from './chart-values.ts';
import type { Component } from './component.ts';
import { ingressComponent } from './ingress/index.ts';
import { labAlertToken, writeAlertToken } from './observability/index.ts';
import type { LabPaths } from './paths.ts';
import { relayComponent, throughRelay } from './relay/index.ts';
import { standinComponent } from './services.ts';
import type { ProcessRecord } from './state.ts';

export interface ChartLabContext {
  kc: KubeConfig;
  paths: LabPaths;
  dataDir: string;
  config: Config;
  /** The lab CA, for the kubeconfig of the worker's ServiceAccount. */
  caCert: string;
  start: (c: Component) => Promise<ProcessRecord>;
  healthy: (procs: ProcessRecord[], timeoutMs: number) => Promise<unknown>;
  /** The Temporal dev server, when the lab started it. */
  temporal: ProcessRecord | undefined;
}

export interface ChartPodsRunning {
  /** Where Alertmanager posts: the gateway's webhook, through the ingress. */
  webhook: string;
  /** Agent pods running, one per node. */
  agents: number;
}

export interface ChartLab {
  /** The webhook token file Alertmanager sends from (its value is in the chart's webhook Secret). */
  tokenFile: string;
  /** Render and apply the chart, once the host's servers it needs answer. */
  install(): Promise<void>;
  /** Wait for the chart's pods to run. */
  running(): Promise<ChartPodsRunning>;
  notes: string[];
}

const PODS_TIMEOUT_MS = 180_000;

export async function startChartLab(ctx: ChartLabContext): Promise<ChartLab> {
  const { kc, paths, config } = ctx;
  // The stand-in's own token and signing secret (kept in the data dir), as the chart's Slack Secret.
  const slack = resolveSlack({ ...config, slack: { ...config.slack, mode: 'standin' } });
  const channel = DEFAULT_CHANNELS[0]?.id ?? 'C0INCIDENTS';
  const tokenFile = writeAlertToken(paths, config.alerts.bearerToken);
  const standinPort = slack.standin.port;
  const temporalAddress = config.temporal.address;
  const helpers = await Promise.all([
    ctx.start(relayComponent(paths, relayPorts({ temporalAddress, standinPort }))),
    ctx.start(
      standinComponent(paths, ctx.dataDir, {
        port: standinPort,
        token: slack.botToken,
        signingSecret: slack.signingSecret,
        // It sends clicks and commands to the gateway through the ingress; the URLs it hands
        // out (response_url, the report's upload) are where the pods reach it, through the relay.
        gatewayPort: config.http.port,
        publicUrl: `http://${throughRelay(`127.0.0.1:${standinPort}`)}`,
      }),
    ),
    ctx.start(
      ingressComponent(paths, ctx.dataDir, config.http.port, {
        namespace: LAB_RELEASE.namespace,
        name: LAB_GATEWAY_SERVICE,
      }),
    ),
  ]);
  const values = chartLabValues({
    temporalAddress,
    temporalNamespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    standinPort,
    channel,
  });
  const secrets = [
    labSecret(LAB_SECRETS.slack, { 'bot-token': slack.botToken, 'signing-secret': slack.signingSecret }),
    labSecret(LAB_SECRETS.webhook, { token: labAlertToken(paths) ?? '' }),
  ];
  // The image's build step: the workflow bundle kept beside the code (node_modules/.cache/nightshift), which
  // the worker pods read on their read-only root file system instead of each bundling at start.
  // Should it fail, each worker pod bundles for itself (and says so).
  const bundled = workflowBundleFor(WORKFLOWS_PATH).catch(() => undefined);
  return {
    tokenFile,
    async install() {
      // A pod that cannot reach Temporal at start exits and backs off; start it when Temporal answers.
      await ctx.healthy([...helpers, ...(ctx.temporal ? [ctx.temporal] : [])], 60_000);
      await bundled;
      await installChart(kc, paths, values, secrets);
      await writeWorkerKubeconfig(kc, paths, ctx.caCert);
    },
    async running() {
      const pods = await waitChartPods(kc, PODS_TIMEOUT_MS);
      return { webhook: `http://127.0.0.1:${config.http.port}/webhooks/alertmanager`, agents: pods.agents.length };
    },
    notes: [
      `nightshift runs from its chart: worker and gateway pods in namespace ${LAB_RELEASE.namespace}, an agent pod per node in ${LAB_AGENT_NAMESPACE}`,
      `the chart's Slack is the stand-in at http://127.0.0.1:${standinPort} (channel ${channel})`,
      `the gateway's Service is reached at http://127.0.0.1:${config.http.port} (the lab's ingress)`,
    ],
  };
}
