// A container's mounts as the node simulator makes them, without a lab: a
// throw-away network namespace (pmt-*), the pod's dir under the temporary
// dir, and the launch plan of the runtime (mount-script.ts) run for real.
// The process sees its volumes at their paths (read-only where asked, /tmp
// an emptyDir over the very dir the pod's files live in, /sys/fs/bpf a
// hostPath), mount points made where the machine has none; the machine sees
// none of it, before or after. Root only; skips visibly without it.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { planLaunch, type LaunchPlan } from '../../lab/simulator/mount-script.ts';
import { podDirs } from '../../lab/simulator/volumes.ts';

const exec = promisify(execFile);
const root = process.getuid?.() === 0;
const suite = root ? describe : describe.skip;
if (!root) console.warn('SKIPPED pod mount tests: they need root for mount and network namespaces');

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const CONFIG_DIR = '/etc/pmt-nightshift/config';

/** Make what the plan asks for, run it, and return what the process printed. */
function launch(plan: LaunchPlan): Promise<{ code: number | null; out: string }> {
  for (const { path, kind } of plan.create) {
    mkdirSync(kind === 'dir' ? path : join(path, '..'), { recursive: true });
    if (kind === 'file') closeSync(openSync(path, 'a'));
  }
  for (const { path, content } of plan.files) writeFileSync(path, content);
  const [command = 'false', ...args] = plan.argv;
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => done({ code, out }));
  });
}

function hostMounts(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(dir) || line.includes('pmt-nightshift'));
}

suite("a container's mounts", () => {
  const netns = `pmt-${randomBytes(3).toString('hex')}`;
  let top: string;

  beforeAll(async () => {
    top = mkdtempSync(join(tmpdir(), 'nightshift-pmt-'));
    await exec('ip', ['netns', 'add', netns]);
  });
  afterAll(async () => {
    await exec('ip', ['netns', 'del', netns]).catch(() => undefined);
    rmSync(top, { recursive: true, force: true });
  });

  test('volumes at their paths in the container, read-only where asked, and nothing of them on the machine', async () => {
    const dirs = podDirs(join(top, 'kubelet'), 'uid-1');
    const volume = (name: string, files: Record<string, string>) => {
      mkdirSync(dirs.volume(name), { recursive: true });
      for (const [file, content] of Object.entries(files)) writeFileSync(join(dirs.volume(name), file), content);
      return dirs.volume(name);
    };
    const token = volume('kube-api-access', { token: 'TOKEN', namespace: 'ops' });
    const config = volume('config', { 'nightshift.yaml': 'logLevel: info\n' });
    const scratch = volume('tmp', {});
    const data = volume('data', {});
    const plan = planLaunch({
      netns,
      podRoot: dirs.root,
      stageDir: dirs.stage('main'),
      stages: [{ path: '/sys/fs/bpf', stage: dirs.hostPathStage('bpffs') }],
      mounts: [
        // /tmp over the very dir the pod's files are in: the later sources must still be found.
        { volume: 'tmp', source: scratch, target: '/tmp', readOnly: false },
        { volume: 'kube-api-access', source: token, target: SA_DIR, readOnly: true },
        { volume: 'config', source: config, target: CONFIG_DIR, readOnly: true },
        { volume: 'data', source: data, target: '/var/lib/pmt-nightshift', readOnly: false },
        {
          volume: 'bpffs',
          source: dirs.hostPathStage('bpffs'),
          target: '/sys/fs/bpf',
          readOnly: false,
          recursive: true,
        },
      ],
      workingDir: '/var/lib/pmt-nightshift',
      argv: [
        'sh',
        '-c',
        [
          `cat ${SA_DIR}/token; echo`,
          `cat ${SA_DIR}/namespace; echo`,
          `cat ${CONFIG_DIR}/nightshift.yaml`,
          `touch ${CONFIG_DIR}/x 2>/dev/null && echo config-writable || echo config-read-only`,
          'echo kept > written && pwd',
          'touch /tmp/pmt-scratch && echo tmp-writable',
          'stat -f -c %T /sys/fs/bpf',
          'ls /etc/passwd /run/netns >/dev/null && echo parents-intact',
          'ip -o link show | wc -l',
          'ls -l /proc/self/fd | grep -c " 9 ->" || true',
        ].join('\n'),
      ],
    });
    const { code, out } = await launch(plan);
    expect({ code, out }).toEqual({
      code: 0,
      out: [
        'TOKEN',
        'ops',
        'logLevel: info',
        'config-read-only',
        '/var/lib/pmt-nightshift',
        'tmp-writable',
        'bpf_fs',
        'parents-intact',
        // The network namespace's own: loopback only.
        '1',
        // The pod dir's fd is closed before the process starts.
        '0',
        '',
      ].join('\n'),
    });
    // What the process wrote went to its volumes.
    expect(readFileSync(join(data, 'written'), 'utf8')).toBe('kept\n');
    expect(existsSync(join(scratch, 'pmt-scratch'))).toBe(true);
    // The machine has none of it: no mount point, no file, no mount.
    for (const path of ['/run/secrets', '/etc/pmt-nightshift', '/var/lib/pmt-nightshift', '/tmp/pmt-scratch'])
      expect([path, existsSync(path)]).toEqual([path, false]);
    expect(hostMounts(top)).toEqual([]);
  }, 60_000);
});
