// The node simulator runs pods as a kubelet and a runtime would, nightshift's
// own images among them: throw-away pods in a throw-away namespace get their
// ConfigMap and Secret files (kept up to date), env and ServiceAccount token
// at the usual paths inside their own mount namespace (and nothing of it on
// the host);
// the token authenticates as the pod's ServiceAccount, from a test and from
// `nightshift` itself in the pod, in-cluster; a hostNetwork pod runs in its
// node's namespace with the node's address; automountServiceAccountToken:
// false means no token; a missing ConfigMap or Secret holds the container
// with the kubelet's words until it appears; after deletion the pods leave
// nothing behind (and `lab down`, in useLab, checks the rest).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AuthenticationV1Api,
  CoreV1Api,
  KubeConfig,
  type CoreV1Event,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { loadKubeConfig, mergePatch } from '../../lab/k8s.ts';
import { APISERVER_URL, HOST_IP, nodeByName } from '../../lab/topology.ts';
import { netnsList, until } from './helpers/lab.ts';
import { useLab } from './helpers/use-lab.ts';

const exec = promisify(execFile);
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Run a command in a process's mount namespace (what `kubectl exec` would see for files). */
async function inMounts(pid: number, command: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec('nsenter', ['-t', String(pid), '-m', '--', ...command], { timeout: 20_000 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function environ(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

const sleeper = (extra: Partial<V1Container> = {}): V1Container => ({
  name: 'main',
  image: 'nightshift/control:0.1.0',
  command: ['sleep', 'infinity'],
  ...extra,
});

describe('the node simulator runs pods with volumes, tokens and hostNetwork', () => {
  const lab = useLab();
  const ns = `podrt-${randomBytes(3).toString('hex')}`;
  let core: CoreV1Api;
  let kubeconfig: string;
  let labDir: string;
  const uids = new Map<string, string>();

  const pod = async (name: string, spec: NonNullable<V1Pod['spec']>): Promise<void> => {
    const made = await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name, labels: { app: name } }, spec },
    });
    uids.set(name, made.metadata?.uid ?? '');
    lab.seen(`${ns}.${name}`);
  };
  const read = (name: string) => core.readNamespacedPod({ name, namespace: ns });
  /** The running container's pid, once its process is `comm` (the launch has exec'd it). */
  const running = (name: string, comm: string) =>
    until(`${name} running ${comm}`, 90_000, async () => {
      const status = (await read(name)).status?.containerStatuses?.[0];
      const pid = Number(/^lab:\/\/(\d+)$/.exec(status?.containerID ?? '')?.[1]);
      if (!status?.state?.running || !pid) return undefined;
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm ? pid : undefined;
    });
  const waiting = (name: string, reason: string) =>
    until(`${name} waiting with ${reason}`, 60_000, async () => {
      const w = (await read(name)).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === reason ? w.message : undefined;
    });

  beforeAll(async () => {
    const status = await lab.status();
    kubeconfig = status.kubeconfig;
    labDir = status.labDir;
    core = loadKubeConfig(kubeconfig).makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'runner' } } });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'settings' }, data: { greeting: 'hello', 'app.yaml': 'a: 1\n' } },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'creds' }, stringData: { password: 's3cret' } },
    });
  }, 60_000);

  test('ConfigMap and Secret files, env and the token at the usual paths, in the container only', async () => {
    await pod('files', {
      serviceAccountName: 'runner',
      containers: [
        sleeper({
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          ],
          envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }],
          volumeMounts: [
            { name: 'config', mountPath: '/etc/podrt/config' },
            { name: 'creds', mountPath: '/var/lib/podrt/creds' },
            { name: 'scratch', mountPath: '/tmp' },
          ],
        }),
      ],
      volumes: [
        {
          name: 'config',
          configMap: { name: 'settings', items: [{ key: 'app.yaml', path: 'conf/app.yaml', mode: 0o400 }] },
        },
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'scratch', emptyDir: {} },
      ],
    });
    const pid = await running('files', 'sleep');
    const cat = async (path: string) => (await inMounts(pid, ['cat', path])).out;
    expect(await cat('/etc/podrt/config/conf/app.yaml')).toBe('a: 1\n');
    expect((await inMounts(pid, ['stat', '-L', '-c', '%a', '/etc/podrt/config/conf/app.yaml'])).out.trim()).toBe('400');
    expect(await cat('/var/lib/podrt/creds/password')).toBe('s3cret');
    expect(await cat(`${SA_DIR}/namespace`)).toBe(ns);
    expect(await cat(`${SA_DIR}/ca.crt`)).toBe(readFileSync(join(labDir, 'pki', 'ca.crt'), 'utf8'));
    const token = (await cat(`${SA_DIR}/token`)).trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // API data is read-only, an emptyDir is the pod's own.
    expect((await inMounts(pid, ['touch', '/etc/podrt/config/x'])).code).not.toBe(0);
    expect((await inMounts(pid, ['touch', `${SA_DIR}/x`])).code).not.toBe(0);
    expect((await inMounts(pid, ['sh', '-c', 'echo scratch > /tmp/podrt-scratch && cat /tmp/podrt-scratch'])).out).toBe(
      'scratch\n',
    );
    expect(existsSync('/tmp/podrt-scratch')).toBe(false);
    // The host has none of it.
    for (const path of ['/etc/podrt', '/var/lib/podrt', '/run/secrets', SA_DIR])
      expect([path, existsSync(path)]).toEqual([path, false]);
    expect(environ(pid)).toMatchObject({
      GREETING: 'hello',
      PASSWORD: 's3cret',
      CM_greeting: 'hello',
      KUBERNETES_SERVICE_HOST: HOST_IP,
      KUBERNETES_SERVICE_PORT: new URL(APISERVER_URL).port,
      HOME: '/tmp',
      HOSTNAME: 'files',
    });

    // The token is the pod's ServiceAccount's, bound to the pod.
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      'kubernetes.io': { pod: { name: string; uid: string } };
    };
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:runner`);
    expect(claims['kubernetes.io'].pod).toEqual({ name: 'files', uid: uids.get('files') });
    const asPod = new KubeConfig();
    asPod.loadFromOptions({
      clusters: [
        { name: 'lab', server: APISERVER_URL, caData: Buffer.from(await cat(`${SA_DIR}/ca.crt`)).toString('base64') },
      ],
      users: [{ name: 'pod', token }],
      contexts: [{ name: 'pod', cluster: 'lab', user: 'pod' }],
      currentContext: 'pod',
    });
    const review = await asPod.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:runner`);

    // A changed ConfigMap reaches the running pod's files (not its env), as from a kubelet.
    await core.patchNamespacedConfigMap(
      { name: 'settings', namespace: ns, body: { data: { greeting: 'hi', 'app.yaml': 'a: 2\n' } } },
      mergePatch,
    );
    await until('the changed file', 60_000, async () =>
      (await cat('/etc/podrt/config/conf/app.yaml')) === 'a: 2\n' ? true : undefined,
    );
    expect(environ(pid).GREETING).toBe('hello');
  }, 180_000);

  test("nightshift in the control image calls the API server in-cluster, as the pod's ServiceAccount", async () => {
    await pod('incluster', {
      serviceAccountName: 'runner',
      containers: [
        {
          name: 'nightshift',
          image: 'nightshift/control:0.1.0',
          args: [
            'policy',
            'explain',
            '--cluster',
            '--from',
            `${ns}/app=a`,
            '--to',
            `${ns}/app=b`,
            '--port',
            '80',
            '--json',
          ],
        },
      ],
    });
    const log = join(labDir, 'logs', 'pods', `${ns}.incluster.nightshift.log`);
    // The runner may read nothing cluster-wide: the API server's refusal names who asked.
    const said = await until('the in-cluster call', 120_000, async () => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      return text.includes('forbidden') ? text : undefined;
    });
    // (quoted as JSON: the quotes come escaped)
    expect(said).toMatch(new RegExp(`User \\\\?"system:serviceaccount:${ns}:runner\\\\?" cannot list resource`));
    expect(said).not.toContain('no Kubernetes access configured');
  }, 180_000);

  test("a hostNetwork pod runs in its node's namespace with the node's address", async () => {
    const node = nodeByName('lab-node-2');
    if (!node) throw new Error('no lab-node-2');
    await pod('hostnet', { nodeName: node.name, hostNetwork: true, containers: [sleeper()] });
    const pid = await running('hostnet', 'sleep');
    const status = (await read('hostnet')).status;
    expect({ podIP: status?.podIP, hostIP: status?.hostIP }).toEqual({ podIP: node.ip, hostIP: node.ip });
    expect(statSync(`/proc/${pid}/ns/net`).ino).toBe(statSync(`/run/netns/${node.netns}`).ino);
    expect(await netnsList()).not.toContain(`${ns}.hostnet`);
    expect((await read('hostnet')).metadata?.annotations?.['nightshift.dev/netns']).toBeUndefined();
    expect(environ(pid)).toMatchObject({ KUBERNETES_SERVICE_HOST: HOST_IP });
    expect((await inMounts(pid, ['cat', `${SA_DIR}/namespace`])).out).toBe(ns);

    await core.deleteNamespacedPod({ name: 'hostnet', namespace: ns, body: { gracePeriodSeconds: 1 } });
    await until('hostnet gone', 60_000, async () =>
      (await read('hostnet').catch(() => undefined)) ? undefined : true,
    );
    expect(await netnsList()).toContain(node.netns);
    const { stdout } = await exec('ip', ['-n', node.netns, '-br', 'addr', 'show', 'dev', 'eth0']);
    expect(stdout).toContain(node.ip);
  }, 180_000);

  test('automountServiceAccountToken: false gives no token', async () => {
    await pod('notoken', { automountServiceAccountToken: false, containers: [sleeper()] });
    const pid = await running('notoken', 'sleep');
    expect((await inMounts(pid, ['test', '-e', SA_DIR])).code).not.toBe(0);
    expect(environ(pid)).toMatchObject({ KUBERNETES_SERVICE_HOST: HOST_IP });
  }, 120_000);

  test('a missing ConfigMap or Secret holds the container, named as a kubelet names it, until it appears', async () => {
    await pod('needs-env', {
      containers: [sleeper({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'later', key: 'x' } } }] })],
    });
    await pod('needs-volume', {
      containers: [sleeper({ volumeMounts: [{ name: 'v', mountPath: '/etc/podrt-later' }] })],
      volumes: [{ name: 'v', secret: { secretName: 'later-secret' } }],
    });
    expect(await waiting('needs-env', 'CreateContainerConfigError')).toBe('configmap "later" not found');
    expect(await waiting('needs-volume', 'ContainerCreating')).toBe(
      'MountVolume.SetUp failed for volume "v" : secret "later-secret" not found',
    );
    const events = await until('a FailedMount event', 30_000, async () => {
      const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=needs-volume' });
      return list.items.find((e: CoreV1Event) => e.reason === 'FailedMount');
    });
    expect(events).toMatchObject({ type: 'Warning', source: { component: 'kubelet' } });

    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'later' }, data: { x: 'now' } } });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'later-secret' }, stringData: { k: 'v' } },
    });
    const envPid = await running('needs-env', 'sleep');
    expect(environ(envPid).X).toBe('now');
    const volPid = await running('needs-volume', 'sleep');
    expect((await inMounts(volPid, ['cat', '/etc/podrt-later/k'])).out).toBe('v');
  }, 180_000);

  test('an image the lab cannot run is ErrImagePull, naming the image and the known ones', async () => {
    await pod('unknown', { containers: [{ name: 'main', image: 'nightshift/gateway:1.0' }] });
    expect(await waiting('unknown', 'ErrImagePull')).toMatch(
      /^image "nightshift\/gateway:1.0" is not an image the lab can run \(known: nightshift\/control, nightshift\/agent, /,
    );
  }, 60_000);

  test('deleted pods leave no namespace, mount, file or dir behind', async () => {
    await core.deleteNamespace({ name: ns });
    await until(`namespace ${ns} gone`, 120_000, async () =>
      (await core.readNamespace({ name: ns }).catch(() => undefined)) ? undefined : true,
    );
    expect((await netnsList()).filter((n) => n.startsWith(`${ns}.`))).toEqual([]);
    expect(
      existsSync('/etc/netns')
        ? (await exec('ls', ['/etc/netns'])).stdout.split('\n').filter((n) => n.startsWith(`${ns}.`))
        : [],
    ).toEqual([]);
    for (const [name, uid] of uids) expect([name, existsSync(join(labDir, 'kubelet', uid))]).toEqual([name, false]);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.includes(labDir) || l.includes('podrt') || l.includes('nightshift-lab '));
    expect(mounts).toEqual([]);
    for (const path of ['/etc/podrt', '/etc/podrt-later', '/var/lib/podrt', '/run/secrets'])
      expect([path, existsSync(path)]).toEqual([path, false]);
  }, 180_000);
});
