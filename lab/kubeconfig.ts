// Kubeconfig files for the lab cluster, with the certificates embedded so a
// copied file keeps working. `kubectl` and @kubernetes/client-node read them.
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { APISERVER_URL } from './topology.ts';

export const LAB_CONTEXT = 'nightshift-lab';

function b64(path: string): string {
  return readFileSync(path).toString('base64');
}

/** A kubeconfig that authenticates with a bearer token (a ServiceAccount's, from a TokenRequest). */
export function writeTokenKubeconfig(path: string, ca: string, token: string, user: string): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': LAB_CONTEXT,
    clusters: [{ name: LAB_CONTEXT, cluster: { server: APISERVER_URL, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: LAB_CONTEXT, context: { cluster: LAB_CONTEXT, user } }],
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}

export function writeKubeconfig(path: string, ca: string, cert: string, key: string, user: string): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': LAB_CONTEXT,
    clusters: [{ name: LAB_CONTEXT, cluster: { server: APISERVER_URL, 'certificate-authority-data': b64(ca) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: LAB_CONTEXT, context: { cluster: LAB_CONTEXT, user } }],
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}
