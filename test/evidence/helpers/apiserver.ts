// A real kube-apiserver for tests, on loopback, storing in a test etcd:
// self-signed serving certificate, static tokens for an admin (system:masters)
// and a user with no permissions (every call is a 403), RBAC on. The lab's
// Gateway API and Cilium CRDs are installed. Stopped and removed by stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeFromConfig, type Kube } from '../../../activities/collectors/kubernetes/index.ts';
import { LAB_CRDS } from '../../../lab/crds/index.ts';
import { startEtcdCluster, type EtcdTestCluster } from './etcd-cluster.ts';
import { freePort, waitFor } from './ports.ts';

export const APISERVER_BIN = resolve(
  process.env.NIGHTSHIFT_TOOLS ?? resolve(import.meta.dirname, '../../../.tools'),
  'bin/kube-apiserver',
);

const KUBECTL_BIN = APISERVER_BIN.replace(/kube-apiserver$/, 'kubectl');

export function apiserverAvailable(): boolean {
  return [APISERVER_BIN, KUBECTL_BIN, APISERVER_BIN.replace(/kube-apiserver$/, 'etcd')].every((bin) => existsSync(bin));
}

export interface TestApiserver {
  admin: Kube;
  adminConfig: string;
  /** A user without any permission. */
  nobody: Kube;
  stop(): Promise<void>;
}

function kubeconfig(dir: string, name: string, server: string, token: string): string {
  const file = join(dir, `${name}.kubeconfig`);
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name, token }],
    contexts: [{ name, cluster: 'test', user: name }],
    currentContext: name,
  });
  writeFileSync(file, config.exportConfig());
  return file;
}

export async function startApiserver(): Promise<TestApiserver> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-apiserver-'));
  let etcd: EtcdTestCluster | undefined;
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        child?.once('exit', () => done());
        child?.kill('SIGTERM');
      });
    }
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    etcd = await startEtcdCluster(1);
    const port = await freePort();
    execFileSync('openssl', ['genrsa', '-out', join(dir, 'sa.key'), '2048'], { stdio: 'ignore' });
    execFileSync('openssl', ['rsa', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')], {
      stdio: 'ignore',
    });
    writeFileSync(join(dir, 'tokens.csv'), 'admin-token,admin,1,"system:masters"\nnobody-token,nobody,2\n');
    child = spawn(
      APISERVER_BIN,
      [
        `--etcd-servers=${etcd.endpoints.join(',')}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--disable-admission-plugins=ServiceAccount',
        '--profiling=false',
        '--v=0',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    const server = `https://127.0.0.1:${port}`;
    const adminConfig = kubeconfig(dir, 'admin', server, 'admin-token');
    const admin = kubeFromConfig(adminConfig);
    await waitFor(
      'kube-apiserver ready',
      async () => ((await admin.core.listNamespace({})).items.length > 0 ? true : undefined),
      90_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
    });
    // kubectl sends the CRDs as written; the typed client would drop their
    // x-kubernetes-preserve-unknown-fields (it only knows the camelCase name).
    execFileSync(KUBECTL_BIN, ['--kubeconfig', adminConfig, 'apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: LAB_CRDS }),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    await waitFor(
      'CRDs served',
      async () => {
        await admin.custom.listClusterCustomObject({
          group: 'gateway.networking.k8s.io',
          version: 'v1',
          plural: 'httproutes',
        });
        await admin.custom.listClusterCustomObject({
          group: 'cilium.io',
          version: 'v2',
          plural: 'ciliumnetworkpolicies',
        });
        return true;
      },
      30_000,
    );
    return { admin, adminConfig, nobody: kubeFromConfig(kubeconfig(dir, 'nobody', server, 'nobody-token')), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
