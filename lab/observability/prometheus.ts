// The lab's Prometheus: what it scrapes and how it finds it. The shop's pods
// are found by Kubernetes service discovery against the lab API server (the
// prometheus.io/scrape and /port annotations), the API server through its own
// `kubernetes` Service endpoints, nightshift's pods (from its chart) by their
// namespace, component label and named port, so a pod made again is
// followed; CoreDNS, etcd, the lab gateway and, with --no-chart, nightshift's
// processes run outside the cluster's pods here, so they are static targets.
// Prometheus authenticates to the API server as its own user.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import type { Pki } from '../pki.ts';
import { APISERVER_URL, ETCD_MEMBERS, HOST_IP, NODES, PORTS } from '../topology.ts';
import { LAB_MONITORING, RULE_FILES, seconds } from './settings.ts';

export interface PrometheusTargets {
  /** nightshift's gateway, where a test or benchmark serves it (--no-chart). */
  gatewayPort: number;
  /** nightshift runs from its chart: its pods, found in these namespaces, in place of the loopback ports. */
  chart?: { namespace: string; agentNamespace: string };
}

const relabel = (source: string, target: string) => ({ source_labels: [source], target_label: target });

/** Prometheus's configuration for the lab, as an object (written as YAML). */
export function prometheusConfig(pki: Pki, targets: PrometheusTargets, settings = LAB_MONITORING): object {
  const tls = { ca_file: pki.caCert, cert_file: pki.prometheusCert, key_file: pki.prometheusKey };
  const sd = (role: string, extra: object = {}) => [{ role, api_server: APISERVER_URL, tls_config: tls, ...extra }];
  const one = (job: string, target: string) => ({ job_name: job, static_configs: [{ targets: [target] }] });
  /** The chart's pods of one component, at the container port of that name. */
  const chartPods = (job: string, namespace: string, component: string, port: string) => ({
    job_name: job,
    kubernetes_sd_configs: sd('pod', { namespaces: { names: [namespace] } }),
    relabel_configs: [
      {
        source_labels: [
          '__meta_kubernetes_pod_label_app_kubernetes_io_component',
          '__meta_kubernetes_pod_container_port_name',
        ],
        regex: `${component};${port}`,
        action: 'keep',
      },
      { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
      relabel('__meta_kubernetes_pod_name', 'pod'),
      relabel('__meta_kubernetes_pod_node_name', 'node'),
    ],
  });
  const chart = targets.chart;
  const nightshift = chart
    ? [
        chartPods('nightshift-gateway', chart.namespace, 'gateway', 'http'),
        chartPods('nightshift-worker', chart.namespace, 'worker', 'metrics'),
        chartPods('nightshift-agent', chart.agentNamespace, 'agent', 'metrics'),
      ]
    : [
        one('nightshift-gateway', `127.0.0.1:${targets.gatewayPort}`),
        one('nightshift-worker', `127.0.0.1:${PORTS.workerMetrics}`),
        {
          job_name: 'nightshift-agent',
          static_configs: NODES.map((node, i) => ({
            targets: [`127.0.0.1:${PORTS.agentMetrics + i}`],
            labels: { node: node.name },
          })),
        },
      ];
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
      ...nightshift,
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
