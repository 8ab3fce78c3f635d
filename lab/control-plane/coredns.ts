// CoreDNS as the lab's cluster DNS on 10.96.0.10:53: the kubernetes plugin
// watches the lab API server and serves cluster.local (headless Services
// resolve to ready pod IPs); api.stripe.com resolves to the "outside"
// stand-in; every other name is NXDOMAIN (the lab is offline).
// Metrics (prometheus plugin), health and readiness are on the fabric address.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from '../component.ts';
import { LAB_CONTEXT } from '../kubeconfig.ts';
import type { LabPaths } from '../paths.ts';
import { CLUSTER_DOMAIN, DNS_IP, HOST_IP, OUTSIDE_IP, PORTS } from '../topology.ts';

export const COREDNS_METRICS_URL = `http://${HOST_IP}:${PORTS.dnsMetrics}/metrics`;

/** The names outside the cluster the lab DNS answers, and their addresses (what toFQDNs rules can learn). */
export const EXTERNAL_NAMES: Readonly<Record<string, string>> = { 'api.stripe.com': OUTSIDE_IP };

export function corefile(kubeconfig: string): string {
  return `${CLUSTER_DOMAIN}:${PORTS.dns} in-addr.arpa:${PORTS.dns} {
    bind ${DNS_IP}
    errors
    log . {
        class denial error
    }
    health ${HOST_IP}:${PORTS.dnsHealth}
    ready ${HOST_IP}:${PORTS.dnsReady}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa {
        kubeconfig ${kubeconfig} ${LAB_CONTEXT}
        pods insecure
        ttl 5
    }
    prometheus ${HOST_IP}:${PORTS.dnsMetrics}
    loadbalance
}

${Object.entries(EXTERNAL_NAMES)
  .map(
    ([name, ip]) => `${name}:${PORTS.dns} {
    bind ${DNS_IP}
    errors
    hosts {
        ${ip} ${name}
    }
    prometheus ${HOST_IP}:${PORTS.dnsMetrics}
}
`,
  )
  .join('\n')}
.:${PORTS.dns} {
    bind ${DNS_IP}
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
    prometheus ${HOST_IP}:${PORTS.dnsMetrics}
}
`;
}

export function corednsComponent(paths: LabPaths, bin: string): Component {
  writeFileSync(paths.corefile, corefile(paths.kubeconfig));
  return {
    name: 'coredns',
    spawn: { command: bin, args: ['-conf', paths.corefile], log: join(paths.logs, 'coredns.log') },
    // Ready (the kubernetes plugin has synced) and serving metrics (CoreDNS keeps running without them).
    health: { kind: 'http', url: `http://${HOST_IP}:${PORTS.dnsReady}/ready`, also: [COREDNS_METRICS_URL] },
  };
}
