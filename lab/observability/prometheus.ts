// The lab's Prometheus: what it scrapes and how it finds it. The shop's pods
// are found by Kubernetes service discovery against the lab API server (the
// prometheus.io/scrape and /port annotations), the API server through its own
// `kubernetes` Service endpoints; CoreDNS, etcd, the lab gateway and
// nightshift's processes run outside the cluster's pods here, so they are
// static targets. Prometheus authenticates to the API server as its own user.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import type { Pki } from '../pki.ts';
import { APISERVER_URL, ETCD_MEMBERS, HOST_IP, NODES, PORTS } from '../topology.ts';
import { LAB_MONITORING, RULE_FILES, seconds } from './settings.ts';

export interface PrometheusTargets {
  /** nightshift's gateway, where the demo or a test serves it. */
  gatewayPort: number;
  /** nightshift run from its chart (`lab up --chart`): its pods' metrics, in place of the loopback ports. */
  chart?: { gateway: string; worker: string; agents: ReadonlyArray<{ node: string; target: string }> };
}

const relabel = (source: string, target: string) => ({ source_labels: [source], target_label: target });

/** Prometheus's configuration for the lab, as an object (written as YAML). */
export function prometheusConfig(pki: Pki, targets: PrometheusTargets, settings = LAB_MONITORING): object {
  const tls = { ca_file: pki.caCert, cert_file: pki.prometheusCert, key_file: pki.prometheusKey };
  const sd = (role: string, extra: object = {}) => [{ role, api_server: APISERVER_URL, tls_config: tls, ...extra }];
  const one = (job: string, target: string) => ({ job_name: job, static_configs: [{ targets: [target] }] });
  return {
    global: {
      scrape_interval: seconds(settings.scrapeIntervalS),
      scrape_timeout: seconds(settings.scrapeIntervalS),
      evaluation_interval: seconds(settings.evaluationIntervalS),
      external_labels: { cluster: 'nightshift-lab' },
    },
    rule_files: [RULE_FILES],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${PORTS.alertmanager}`] }] }] },
    scrape_configs: [
      {
        job_name: 'kubernetes-pods',
        kubernetes_sd_configs: sd('pod'),
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' },
          { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
          {
            source_labels: ['__meta_kubernetes_pod_ip', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
            regex: '(.+);(\\d+)',
            target_label: '__address__',
            replacement: '$1:$2',
          },
          {
            source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'],
            regex: '(.+)',
            target_label: '__metrics_path__',
          },
          relabel('__meta_kubernetes_namespace', 'namespace'),
          relabel('__meta_kubernetes_pod_name', 'pod'),
          relabel('__meta_kubernetes_pod_label_app', 'app'),
          relabel('__meta_kubernetes_pod_node_name', 'node'),
        ],
      },
      {
        job_name: 'kube-apiserver',
        scheme: 'https',
        scrape_interval: seconds(settings.apiserverScrapeIntervalS),
        scrape_timeout: seconds(Math.min(5, settings.apiserverScrapeIntervalS)),
        tls_config: tls,
        kubernetes_sd_configs: sd('endpoints', { namespaces: { names: ['default'] } }),
        relabel_configs: [
          {
            source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'],
            regex: 'kubernetes;https',
            action: 'keep',
          },
        ],
      },
      {
        job_name: 'etcd',
        static_configs: ETCD_MEMBERS.map((m) => ({
          targets: [`${m.ip}:${PORTS.etcdClient}`],
          labels: { member: m.name },
        })),
      },
      one('coredns', `${HOST_IP}:${PORTS.dnsMetrics}`),
      one('lab-gateway', `127.0.0.1:${PORTS.gatewayAdmin}`),
      one('nightshift-gateway', targets.chart?.gateway ?? `127.0.0.1:${targets.gatewayPort}`),
      one('nightshift-worker', targets.chart?.worker ?? `127.0.0.1:${PORTS.workerMetrics}`),
      {
        job_name: 'nightshift-agent',
        static_configs: (
          targets.chart?.agents ??
          NODES.map((node, i) => ({ node: node.name, target: `127.0.0.1:${PORTS.agentMetrics + i}` }))
        ).map(({ node, target }) => ({ targets: [target], labels: { node } })),
      },
    ],
  };
}

export function prometheusComponent(
  paths: LabPaths,
  pki: Pki,
  targets: PrometheusTargets,
  bin: string,
  settings = LAB_MONITORING,
): Component {
  const dir = join(paths.root, 'prometheus');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, stringify(prometheusConfig(pki, targets, settings)));
  return {
    name: 'prometheus',
    spawn: {
      command: bin,
      args: [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
        '--log.level=warn',
      ],
      log: join(paths.logs, 'prometheus.log'),
    },
    health: { kind: 'http', url: `http://127.0.0.1:${PORTS.prometheus}/-/ready` },
  };
}
