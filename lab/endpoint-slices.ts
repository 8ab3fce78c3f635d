// Ready endpoints of Services, from an EndpointSlice informer: what a
// kube-proxy or a gateway knows about where to send traffic. Shared by the
// lab gateway (cart backends) and the probe (frontend pods).
import { DiscoveryV1Api, makeInformer, type KubeConfig, type V1EndpointSlice } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { restartingInformer } from './informer.ts';

export interface Endpoint {
  ip: string;
  port: number;
  pod?: string;
}

export class EndpointSlices {
  private readonly informer;

  constructor(kc: KubeConfig) {
    const api = kc.makeApiClient(DiscoveryV1Api);
    this.informer = makeInformer<V1EndpointSlice>(kc, '/apis/discovery.k8s.io/v1/endpointslices', () =>
      api.listEndpointSliceForAllNamespaces(),
    );
  }

  start(log: Logger): Promise<void> {
    return restartingInformer(this.informer, 'endpointslices', log);
  }

  /**
   * Ready, not terminating endpoints of `namespace/service`. `port` picks the
   * slice port by number or name; without it, a slice's only port.
   */
  ready(namespace: string, service: string, port?: number | string): Endpoint[] {
    const out: Endpoint[] = [];
    for (const slice of this.informer.list(namespace)) {
      if (slice.metadata?.labels?.['kubernetes.io/service-name'] !== service) continue;
      const ports = slice.ports ?? [];
      const chosen =
        port === undefined
          ? ports.length === 1
            ? ports[0]
            : undefined
          : (ports.find((p) => p.port === port || p.name === port) ?? (ports.length === 1 ? ports[0] : undefined));
      if (!chosen?.port) continue;
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
        for (const ip of endpoint.addresses) {
          out.push({ ip, port: chosen.port, ...(endpoint.targetRef?.name ? { pod: endpoint.targetRef.name } : {}) });
        }
      }
    }
    return out;
  }
}
