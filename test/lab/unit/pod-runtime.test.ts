// The node simulator's runtime, its pure parts: images and command lines,
// environment from ConfigMaps and Secrets, volume planning (the token volume
// admission would add), token refresh times, and the mount plan against a
// real directory tree.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Container, V1Pod, V1Secret, V1Volume } from '@kubernetes/client-node';
import { REPO_ROOT } from '../../../worker/base.ts';
import { serviceEnv } from '../../../lab/simulator/container-config.ts';
import { containerEnv, EnvError, type PodObjects } from '../../../lab/simulator/env.ts';
import { containerArgv, expandVars, parseImageRef, resolveImage, workingDir } from '../../../lab/simulator/images.ts';
import { fstabPath, MountError, planLaunch } from '../../../lab/simulator/mount-script.ts';
import { refreshAt } from '../../../lab/simulator/sa-token.ts';
import {
  containerMounts,
  planVolume,
  podDirs,
  SA_MOUNT_PATH,
  serviceAccountOf,
  volumeReferences,
  withApiAccess,
} from '../../../lab/simulator/volumes.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const pod = (spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { name: 'w-1', namespace: 'ops', uid: 'a1b2c3d4-0000', labels: { app: 'w' } },
  spec: { nodeName: 'lab-node-1', containers: [{ name: 'main', image: 'nightshift/control' }], ...spec },
});

const objects = (cms: V1ConfigMap[] = [], secrets: V1Secret[] = []): PodObjects => ({
  configMaps: new Map(cms.map((c) => [c.metadata?.name ?? '', c])),
  secrets: new Map(secrets.map((s) => [s.metadata?.name ?? '', s])),
});

describe('images', () => {
  test("the chart's images run the checkout's bin/nightshift with their Dockerfiles' cmd and env", () => {
    const control = resolveImage('nightshift/control:0.9.0');
    expect(control).toMatchObject({
      repository: 'nightshift/control',
      tag: '0.9.0',
      entrypoint: [join(REPO_ROOT, 'bin', 'nightshift')],
      cmd: ['--help'],
      env: { NODE_ENV: 'production', HOME: '/tmp' },
      workingDir: REPO_ROOT,
    });
    expect(resolveImage('nightshift/agent')).toMatchObject({ tag: 'latest', cmd: ['agent'] });
    // What scripts/build-images.sh tags, and a registry with a port and a digest.
    expect(resolveImage('localhost/nightshift/agent:dev').repository).toBe('nightshift/agent');
    expect(resolveImage(`registry.example:5000/nightshift/control:1.0@sha256:${'a'.repeat(64)}`).repository).toBe(
      'nightshift/control',
    );
    expect(parseImageRef('Bad Image')).toBeUndefined();
  });

  test('an unknown image is refused naming the image and the known ones', () => {
    expect(() => resolveImage('nightshift/gateway:1.0')).toThrow(
      /"nightshift\/gateway:1.0" is not an image the lab can run \(known: nightshift\/control, nightshift\/agent, nightshift-lab\/checkout-frontend/,
    );
    expect(() => resolveImage('')).toThrow(/"" is not a valid image reference \(known: nightshift\/control/);
  });

  test('command replaces the entrypoint and drops the cmd; args replace the cmd; $(VAR) expanded', () => {
    const image = resolveImage('nightshift/control');
    const bin = join(REPO_ROOT, 'bin', 'nightshift');
    const env = { NODE: 'lab-node-2' };
    expect(containerArgv(image, undefined, undefined, env)).toEqual([bin, '--help']);
    expect(containerArgv(image, undefined, ['worker'], env)).toEqual([bin, 'worker']);
    expect(containerArgv(image, ['sh', '-c'], undefined, env)).toEqual(['sh', '-c']);
    expect(
      containerArgv(image, ['/app/bin/nightshift'], ['agent', '--node=$(NODE)', '$(NONE)', '$$(NODE)'], env),
    ).toEqual([bin, 'agent', '--node=lab-node-2', '$(NONE)', '$(NODE)']);
    expect(workingDir(image, '/app/runbooks')).toBe(join(REPO_ROOT, 'runbooks'));
    expect(workingDir(image, undefined)).toBe(REPO_ROOT);
    expect(expandVars('a$$b', {})).toBe('a$b');
  });
});

describe('environment', () => {
  const cm: V1ConfigMap = { metadata: { name: 'cfg' }, data: { LEVEL: 'debug', 'bad=key': 'x', URL: 'http://x' } };
  const secret: V1Secret = { metadata: { name: 'sec' }, data: { token: b64('s3cret') } };

  test('envFrom first (with its prefix), then env: key refs, $(VAR) over both, the API server address under all', () => {
    const container: V1Container = {
      name: 'main',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec' }, prefix: 'S_' }],
      env: [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'URL' } } },
        { name: 'BOTH', value: '$(S_token)@$(KUBERNETES_SERVICE_HOST)' },
        { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
      ],
    };
    const env = containerEnv(pod(), container, {
      podIp: '10.244.1.2',
      hostIp: '10.200.0.11',
      objects: objects([cm], [secret]),
      base: serviceEnv(),
    });
    expect(env).toEqual({
      KUBERNETES_SERVICE_HOST: '10.200.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '6443',
      LEVEL: 'http://x',
      URL: 'http://x',
      S_token: 's3cret',
      TOKEN: 's3cret',
      BOTH: 's3cret@10.200.0.1',
    });
  });

  test("a missing object or key is refused in the kubelet's words, unless optional", () => {
    const ctx = { podIp: '', hostIp: '', objects: objects([cm], [secret]) };
    const env = (e: V1Container['env'], envFrom?: V1Container['envFrom']) =>
      containerEnv(pod(), { name: 'c', env: e, envFrom }, ctx);
    expect(() => env([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }])).toThrow(
      new EnvError('configmap "nope" not found'),
    );
    expect(() => env([{ name: 'A', valueFrom: { secretKeyRef: { name: 'sec', key: 'nokey' } } }])).toThrow(
      "couldn't find key nokey in Secret ops/sec",
    );
    expect(() => env(undefined, [{ secretRef: { name: 'gone' } }])).toThrow('secret "gone" not found');
    expect(
      env(
        [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'sec', key: 'nokey', optional: true } } },
        ],
        [{ configMapRef: { name: 'gone', optional: true } }],
      ),
    ).toEqual({});
  });
});

describe('volumes', () => {
  test('the token volume is added where admission would add it, and not where automount is off', () => {
    const { volumes, mounts } = withApiAccess(pod(), undefined);
    const access = volumes.at(-1);
    expect(access?.name).toBe('kube-api-access-a1b2c');
    expect(access?.projected?.sources?.map((s) => Object.keys(s)[0])).toEqual([
      'serviceAccountToken',
      'configMap',
      'downwardAPI',
    ]);
    expect(mounts.get('main')).toEqual([{ name: 'kube-api-access-a1b2c', mountPath: SA_MOUNT_PATH, readOnly: true }]);
    expect(serviceAccountOf(pod())).toBe('default');

    const off = { automountServiceAccountToken: false };
    expect(withApiAccess(pod(off), undefined).volumes).toEqual([]);
    expect(withApiAccess(pod(), { metadata: { name: 'default' }, ...off }).volumes).toEqual([]);
    // The pod's word wins over its ServiceAccount's.
    expect(withApiAccess(pod({ automountServiceAccountToken: true }), off).volumes).toHaveLength(1);
    // A container that mounts something at the path itself keeps it.
    const own = pod({
      containers: [{ name: 'main', volumeMounts: [{ name: 'mine', mountPath: `${SA_MOUNT_PATH}/` }] }],
    });
    expect(withApiAccess(own, undefined).mounts.get('main')).toEqual([
      { name: 'mine', mountPath: `${SA_MOUNT_PATH}/` },
    ]);
  });

  test('configMap and secret volumes: items, modes, decoding; the token volume as files and a token', () => {
    const cm: V1ConfigMap = {
      metadata: { name: 'nightshift-config' },
      data: { 'nightshift.yaml': 'a: 1\n', other: 'x' },
    };
    const sec: V1Secret = { metadata: { name: 'slack' }, data: { 'bot-token': b64('xoxb-1') } };
    const root: V1ConfigMap = { metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': 'PEM' } };
    const all = objects([cm, root], [sec]);
    const config: V1Volume = {
      name: 'config',
      configMap: { name: 'nightshift-config', items: [{ key: 'nightshift.yaml', path: 'sub/nightshift.yaml' }] },
    };
    expect(planVolume(pod(), config, all)).toEqual({
      name: 'config',
      kind: 'data',
      files: [{ path: 'sub/nightshift.yaml', mode: 0o644, content: Buffer.from('a: 1\n') }],
      tokens: [],
    });
    const slack: V1Volume = { name: 'slack', secret: { secretName: 'slack', defaultMode: 0o440 } };
    expect(planVolume(pod(), slack, all)).toMatchObject({
      files: [{ path: 'bot-token', mode: 0o440, content: Buffer.from('xoxb-1') }],
    });
    const access = withApiAccess(pod(), undefined).volumes[0];
    if (!access) throw new Error('no token volume');
    expect(planVolume(pod(), access, all)).toEqual({
      name: access.name,
      kind: 'data',
      files: [
        { path: 'ca.crt', mode: 0o644, content: Buffer.from('PEM') },
        { path: 'namespace', mode: 0o644, content: Buffer.from('ops') },
      ],
      tokens: [{ path: 'token', mode: 0o644, expirationSeconds: 3607 }],
    });
    expect(volumeReferences([config, slack, access])).toEqual({
      configMaps: ['nightshift-config', 'kube-root-ca.crt'],
      secrets: ['slack'],
    });
  });

  test("a volume that cannot be set up says so in the kubelet's words", () => {
    const none = objects();
    expect(() => planVolume(pod(), { name: 'config', configMap: { name: 'nightshift-config' } }, none)).toThrow(
      'MountVolume.SetUp failed for volume "config" : configmap "nightshift-config" not found',
    );
    expect(() => planVolume(pod(), { name: 's', secret: { secretName: 'x' } }, none)).toThrow(
      'MountVolume.SetUp failed for volume "s" : secret "x" not found',
    );
    const cm: V1ConfigMap = { metadata: { name: 'c' }, data: { a: '1' } };
    expect(() =>
      planVolume(pod(), { name: 'v', configMap: { name: 'c', items: [{ key: 'b', path: 'b' }] } }, objects([cm])),
    ).toThrow('configmap references non-existent config key: b');
    expect(() =>
      planVolume(pod(), { name: 'v', configMap: { name: 'c', items: [{ key: 'a', path: '../a' }] } }, objects([cm])),
    ).toThrow('invalid path ../a');
    expect(planVolume(pod(), { name: 'o', configMap: { name: 'gone', optional: true } }, none)).toMatchObject({
      files: [],
    });
    expect(() => planVolume(pod(), { name: 'h', hostPath: { path: '/x', type: 'Socket' } }, none)).toThrow(
      'hostPath type Socket is not supported in the lab',
    );
    expect(() => planVolume(pod(), { name: 'n', nfs: { server: 's', path: '/' } }, none)).toThrow(
      /only emptyDir, hostPath/,
    );
  });

  test('mounts: volume dirs, subPath, hostPaths through their stage, API data read-only', () => {
    const dirs = podDirs('/lab/kubelet', 'uid-1');
    const volumes = [
      { name: 'data', kind: 'emptyDir' as const },
      { name: 'bpffs', kind: 'hostPath' as const, path: '/sys/fs/bpf', type: 'Directory' as const },
      { name: 'runbooks', kind: 'data' as const, files: [], tokens: [] },
    ];
    const mounts = containerMounts(
      { name: 'main' },
      [
        { name: 'data', mountPath: '/var/lib/nightshift' },
        { name: 'bpffs', mountPath: '/sys/fs/bpf', readOnly: true },
        { name: 'runbooks', mountPath: '/app/runbooks/a.yaml', subPath: 'runbook-a.yaml' },
        { name: 'data', mountPath: '/logs', subPathExpr: '$(POD)' },
      ],
      volumes,
      dirs,
      { POD: 'w-1' },
    );
    expect(mounts).toEqual([
      { volume: 'data', source: '/lab/kubelet/uid-1/volumes/data', target: '/var/lib/nightshift', readOnly: false },
      {
        volume: 'bpffs',
        source: '/lab/kubelet/uid-1/host-paths/bpffs',
        target: '/sys/fs/bpf',
        readOnly: true,
        recursive: true,
      },
      {
        volume: 'runbooks',
        source: '/lab/kubelet/uid-1/volumes/runbooks/runbook-a.yaml',
        target: '/app/runbooks/a.yaml',
        readOnly: true,
      },
      { volume: 'data', source: '/lab/kubelet/uid-1/volumes/data/w-1', target: '/logs', readOnly: false },
    ]);
    expect(() => containerMounts({ name: 'main' }, [{ name: 'nope', mountPath: '/x' }], volumes, dirs, {})).toThrow(
      /container main mounts a volume the pod does not have/,
    );
  });

  test('a token is refreshed at 80 % of its life, at most a day after it was issued', () => {
    const issuedAt = new Date('2026-01-01T00:00:00Z');
    expect(refreshAt({ issuedAt, expiresAt: new Date(issuedAt.getTime() + 3607_000) })).toEqual(
      new Date(issuedAt.getTime() + 2885.6 * 1000),
    );
    expect(refreshAt({ issuedAt, expiresAt: new Date(issuedAt.getTime() + 365 * 86_400_000) })).toEqual(
      new Date(issuedAt.getTime() + 86_400_000),
    );
  });
});

describe('the mount plan, against a real tree', () => {
  let top: string;
  let host: string;
  let podRoot: string;
  beforeEach(() => {
    top = mkdtempSync(join(tmpdir(), 'podrt-'));
    host = join(top, 'host');
    podRoot = join(top, 'pod');
    mkdirSync(join(host, 'etc', 'ssl'), { recursive: true });
    writeFileSync(join(host, 'etc', 'passwd'), 'root:x:0:0\n');
    symlinkSync('/proc/mounts', join(host, 'etc', 'mtab'));
    mkdirSync(join(host, 'tmp'));
    symlinkSync('etc', join(host, 'etc-link'));
    mkdirSync(join(podRoot, 'volumes', 'cfg'), { recursive: true });
    mkdirSync(join(podRoot, 'volumes', 'data'), { recursive: true });
    writeFileSync(join(podRoot, 'volumes', 'cfg', 'a.yaml'), 'a: 1\n');
  });
  afterEach(() => rmSync(top, { recursive: true, force: true }));

  const spec = (
    mounts: Parameters<typeof planLaunch>[0]['mounts'],
    stages: Parameters<typeof planLaunch>[0]['stages'] = [],
  ) => ({
    netns: 'ops.w-1',
    podRoot,
    stageDir: join(podRoot, 'containers', 'main'),
    stages,
    mounts,
    workingDir: '/srv',
    argv: ['node', 'main.ts'],
  });

  test('an existing mount point is bound at once; sources are named through the pod dir it holds open', () => {
    const plan = planLaunch(
      spec([{ volume: 'data', source: join(podRoot, 'volumes', 'data'), target: join(host, 'tmp'), readOnly: false }]),
    );
    expect(plan.argv.slice(0, 6)).toEqual(['ip', 'netns', 'exec', 'ops.w-1', 'sh', '-c']);
    expect(plan.argv.slice(7)).toEqual(['sh', 'node', 'main.ts']);
    expect(plan.script.split('\n')).toEqual([
      'set -e',
      `exec 9< '${podRoot}'`,
      `mount -c --bind '/proc/self/fd/9/volumes/data' '${host}/tmp'`,
      'exec 9<&-',
      "cd '/srv'",
      'exec "$@"',
    ]);
    expect(plan.create).toEqual([]);
  });

  test('a missing mount point is made on a tmpfs that mimics its parent, reached through symlinks as the container would', () => {
    const target = join(host, 'etc-link', 'nightshift', 'config');
    const plan = planLaunch(spec([{ volume: 'cfg', source: join(podRoot, 'volumes', 'cfg'), target, readOnly: true }]));
    const stage = '/proc/self/fd/9/containers/main/mimic-0';
    expect(plan.create).toEqual([{ path: join(podRoot, 'containers', 'main', 'mimic-0'), kind: 'dir' }]);
    expect(plan.files).toEqual([
      {
        path: join(podRoot, 'containers', 'main', 'mimic-0.fstab'),
        content: `${host}/etc/passwd ${stage}/passwd none bind 0 0\n${host}/etc/ssl ${stage}/ssl none rbind 0 0\n`,
      },
    ]);
    const lines = plan.script.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `mount -c -t tmpfs -o mode=755 nightshift-lab '${stage}'`,
        `mkdir '${stage}/ssl'`,
        `touch '${stage}/passwd'`,
        `ln -s '/proc/mounts' '${stage}/mtab'`,
        `mount -a -c -T '${stage}.fstab'`,
        `mkdir -p '${stage}/nightshift' '${stage}/nightshift/config'`,
        `mount -c --move '${stage}' '${host}/etc'`,
        `mount -c --bind '/proc/self/fd/9/volumes/cfg' '${host}/etc/nightshift/config'`,
        `mount -c -o remount,bind,ro '${host}/etc/nightshift/config'`,
      ]),
    );
    // The mimic comes before the mount it makes room for.
    expect(lines.findIndex((l) => l.includes('--move'))).toBeLessThan(
      lines.findIndex((l) => l.includes('volumes/cfg')),
    );
  });

  test('a mount point inside an earlier volume is made in that volume; hostPaths are staged before the netns', () => {
    const plan = planLaunch(
      spec(
        [
          { volume: 'data', source: join(podRoot, 'volumes', 'data'), target: join(host, 'tmp'), readOnly: false },
          {
            volume: 'cfg',
            source: join(podRoot, 'volumes', 'cfg', 'a.yaml'),
            target: join(host, 'tmp', 'conf', 'a.yaml'),
            readOnly: true,
          },
          {
            volume: 'bpffs',
            source: join(podRoot, 'host-paths', 'bpffs'),
            target: join(host, 'tmp', 'bpf'),
            readOnly: false,
            recursive: true,
          },
        ],
        [{ path: join(host, 'etc'), stage: join(podRoot, 'host-paths', 'bpffs') }],
      ),
    );
    expect(plan.create).toEqual([
      // Shallower mount points first, as they are mounted.
      { path: join(podRoot, 'volumes', 'data', 'bpf'), kind: 'dir' },
      { path: join(podRoot, 'volumes', 'data', 'conf', 'a.yaml'), kind: 'file' },
      { path: join(podRoot, 'host-paths', 'bpffs'), kind: 'dir' },
    ]);
    expect(plan.argv.slice(0, 6)).toEqual(['unshare', '--mount', '--propagation', 'slave', 'sh', '-c']);
    expect(plan.argv[6]).toBe(`set -e\nmount --rbind '${host}/etc' '${podRoot}/host-paths/bpffs'\nexec "$@"`);
    expect(plan.argv.slice(7, 12)).toEqual(['sh', 'ip', 'netns', 'exec', 'ops.w-1']);
    expect(plan.script).toContain(`mount -c --rbind '/proc/self/fd/9/host-paths/bpffs' '${host}/tmp/bpf'`);
  });

  test('what cannot be mounted is refused with the volume named', () => {
    const cfg = join(podRoot, 'volumes', 'cfg');
    expect(() =>
      planLaunch(spec([{ volume: 'cfg', source: cfg, target: '/podrt-not-there/x', readOnly: true }])),
    ).toThrow(new MountError('volume cfg: cannot make /podrt-not-there/x: the lab does not add directories to /'));
    expect(() =>
      planLaunch(spec([{ volume: 'cfg', source: cfg, target: join(host, 'etc', 'passwd'), readOnly: true }])),
    ).toThrow(/volume cfg: cannot mount a dir on .*passwd, which is a file/);
    expect(() =>
      planLaunch(spec([{ volume: 'x', source: join(podRoot, 'nope'), target: '/tmp', readOnly: true }])),
    ).toThrow(/volume x: .*nope does not exist/);
    expect(fstabPath('/a b\\c')).toBe('/a\\040b\\134c');
  });
});
