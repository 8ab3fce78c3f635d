// The remediations hypotheses offer, each naming a catalogue action and the
// exact parameters it would run with. Ids are stable, so the same evidence
// offers the same decision options.
import type { Remediation, Value } from '../../model/index.ts';
import { citeKinds, type Signals } from './signals.ts';

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 50);

function remedy(
  id: string,
  title: string,
  action: string,
  params: Record<string, Value>,
  destructive: boolean,
): Remediation {
  return { id: slug(id), title, action, params, destructive };
}

export const stopFault = (faultId: string): Remediation =>
  remedy(`stop-fault-${faultId}`, `Stop nightshift fault ${faultId}`, 'stop-fault', { faultId }, false);

export const restorePolicy = (kind: string, namespace: string | undefined, name: string): Remediation =>
  remedy(
    `restore-${name}`,
    `Restore ${kind} ${namespace ? `${namespace}/` : ''}${name} to its previous version`,
    'restore-policy',
    { kind, ...(namespace ? { namespace } : {}), name },
    false,
  );

export const shiftRoute = (namespace: string, route: string, stable: string): Remediation =>
  remedy(
    `shift-${route}-to-${stable}`,
    `Send all of HTTPRoute ${namespace}/${route} to ${stable}`,
    'shift-route-weight',
    { namespace, route, backend: stable },
    false,
  );

export const cordonNode = (node: string): Remediation =>
  remedy(`cordon-${node}`, `Cordon node ${node}`, 'cordon-node', { node }, true);

export const rollback = (namespace: string, deployment: string): Remediation =>
  remedy(
    `rollback-${namespace}-${deployment}`,
    `Roll back Deployment ${namespace}/${deployment} to its previous revision`,
    'rollback-deployment',
    { namespace, deployment },
    true,
  );

/** Restart cluster DNS: the Deployment named by the runbook's dnsDeployment param (default kube-system/coredns). */
export function restartDns(s: Signals): Remediation {
  const given =
    typeof s.params.dnsDeployment === 'string' && s.params.dnsDeployment.includes('/')
      ? s.params.dnsDeployment
      : 'kube-system/coredns';
  const [namespace = 'kube-system', deployment = 'coredns'] = given.split('/');
  return remedy(
    `restart-dns-${deployment}`,
    `Restart cluster DNS (rollout restart ${namespace}/${deployment})`,
    'rollout-restart',
    { namespace, deployment },
    true,
  );
}

/**
 * Active nightshift faults that plausibly cause what was seen (by namespace,
 * protocol, port or node). `on` keeps only faults on workloads (pods of a
 * namespace) or only faults on a node's own interface.
 */
export function matchingFaults(
  s: Signals,
  match: {
    namespace?: string;
    kind?: string;
    port?: number;
    protocol?: string;
    node?: string;
    on?: 'workload' | 'node';
  },
): string[] {
  const active = s.faults?.v.active ?? [];
  return active
    .filter((f) => (match.kind ? f.kind === match.kind : true))
    .filter((f) =>
      match.on === 'workload' ? Boolean(f.namespace) : match.on === 'node' ? Boolean(f.node) && !f.namespace : true,
    )
    .filter((f) => (match.namespace && f.namespace ? f.namespace === match.namespace : true))
    .filter((f) => (match.node && f.node ? f.node === match.node : true))
    .filter((f) =>
      match.protocol && f.protocol && f.protocol !== 'any'
        ? f.protocol.toLowerCase() === match.protocol.toLowerCase()
        : true,
    )
    .filter((f) => {
      if (match.port === undefined || !f.ports) return true;
      const [from = 0, to = from] = f.ports.split('-').map(Number);
      return match.port >= from && match.port <= to;
    })
    .map((f) => f.faultId)
    .sort();
}

/** Evidence ids of the `faults.active` findings of these faults. */
export function citeFaults(s: Signals, faultIds: readonly string[]): string[] {
  return citeKinds(s, 'faults.active').filter((r) => faultIds.some((id) => r.endsWith(`active:${id}`)));
}
