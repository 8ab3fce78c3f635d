// The lab's certificates, made with openssl at every `lab up`: a CA, the API
// server's serving certificate, one client certificate for the lab's own
// components (group system:masters), one for the lab's Prometheus (no group:
// it holds only what lab/manifests/50-monitoring.yaml grants it), and the
// service-account signing key.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { APISERVER_URL, HOST_IP } from './topology.ts';
import { run } from './sh.ts';

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  prometheusCert: string;
  prometheusKey: string;
  saKey: string;
  saPub: string;
}

export function pkiFiles(dir: string): Pki {
  const f = (name: string) => join(dir, name);
  return {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    controllerManagerCert: f('controller-manager.crt'),
    controllerManagerKey: f('controller-manager.key'),
    prometheusCert: f('prometheus.crt'),
    prometheusKey: f('prometheus.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
}

/** The API server user the lab's Prometheus is (its RBAC: lab/manifests/50-monitoring.yaml). */
export const PROMETHEUS_USER = 'nightshift-lab:prometheus';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const DAYS = ['-days', '30'];

function leaf(pki: Pki, cert: string, key: string, subject: string, extensions: string[]): Promise<string> {
  return run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    subject,
    ...DAYS,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    ...extensions.flatMap((ext) => ['-addext', ext]),
  ]);
}

export async function createPki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pki = pkiFiles(dir);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
    '-subj',
    '/CN=nightshift-lab-ca',
    ...DAYS,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const apiHost = new URL(APISERVER_URL).hostname;
  const sans = [
    `IP:${apiHost}`,
    `IP:${HOST_IP}`,
    'IP:127.0.0.1',
    'IP:10.96.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ];
  const client = ['extendedKeyUsage=clientAuth', 'basicConstraints=critical,CA:FALSE'];
  await Promise.all([
    leaf(pki, pki.serverCert, pki.serverKey, '/CN=kube-apiserver', [
      `subjectAltName=${[...new Set(sans)].join(',')}`,
      'extendedKeyUsage=serverAuth',
      'basicConstraints=critical,CA:FALSE',
    ]),
    leaf(pki, pki.adminCert, pki.adminKey, '/O=system:masters/CN=nightshift-lab-admin', client),
    leaf(
      pki,
      pki.controllerManagerCert,
      pki.controllerManagerKey,
      '/O=system:masters/CN=system:kube-controller-manager',
      client,
    ),
    leaf(pki, pki.prometheusCert, pki.prometheusKey, `/CN=${PROMETHEUS_USER}`, client),
    run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', pki.saKey]),
  ]);
  await run('openssl', ['pkey', '-in', pki.saKey, '-pubout', '-out', pki.saPub]);
  return pki;
}
