// The two CLI contracts the images rely on, run as real processes:
// `nightshift --version` is package.json's version, and `nightshift agent
// check` reports this process's real capabilities, exits 0 where faults can
// run and 1, naming them, when CAP_BPF and CAP_NET_ADMIN are taken away, or
// when only those two are left (the verifier also wants CAP_PERFMON).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../package.json', import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` (a command, then its arguments) and resolves with its exit code whatever it is. */
function run(argv: string[], env: Record<string, string> = {}): Promise<Ran> {
  const [file, ...args] = argv;
  return new Promise((done) => {
    execFile(file!, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

const nightshift = (args: string[], env?: Record<string, string>) => run([process.execPath, CLI, ...args], env);

const checkSchema = z.object({
  capabilities: z.record(z.string(), z.boolean()),
  missingCapabilities: z.array(z.string()),
  canRunFaults: z.boolean(),
  attachMode: z.enum(['tcx', 'tc', 'none']),
  problems: z.array(z.string()),
});

/** Capability bits (linux/capability.h), read independently of the CLI's own table. */
const BITS = { CAP_NET_ADMIN: 12, CAP_SYS_PTRACE: 19, CAP_SYS_ADMIN: 21, CAP_PERFMON: 38, CAP_BPF: 39 };

function ownCapabilities(): Record<string, boolean> {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const eff = BigInt(`0x${hex}`);
  return Object.fromEntries(Object.entries(BITS).map(([name, bit]) => [name, (eff & (1n << BigInt(bit))) !== 0n]));
}

describe('nightshift --version', () => {
  const { version } = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(PACKAGE, 'utf8')));

  test("prints nightshift and package.json's version, exit 0 (also as -V)", async () => {
    for (const flag of ['--version', '-V']) {
      const ran = await nightshift([flag]);
      expect(ran).toEqual({ code: 0, stdout: `nightshift ${version}\n`, stderr: '' });
    }
  });

  test('with --json prints {"version": ...}', async () => {
    const ran = await nightshift(['--version', '--json']);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ version });
  });

  test('refuses anything else after it, exit 2', async () => {
    const ran = await nightshift(['--version', 'worker']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('unexpected argument worker');
  });
});

const root = process.getuid?.() === 0;
const dropper = ['/usr/bin/setpriv', '/usr/sbin/capsh', '/sbin/capsh'].find((path) => existsSync(path));
const checkSuite = root ? describe : describe.skip;
const NOT_ROOT = root ? '' : ' (skipped: needs root: the check adds a veth and loads the program)';

checkSuite(`nightshift agent check${NOT_ROOT}`, () => {
  // The probe makes its pin root; a root of its own leaves /sys/fs/bpf/nightshift alone.
  const pinRoot = `/sys/fs/bpf/nightshift-check-${randomBytes(3).toString('hex')}`;
  const env = { NIGHTSHIFT_PIN_ROOT: pinRoot };
  afterAll(() => rmSync(pinRoot, { recursive: true, force: true }));

  test('--json reports the capabilities this process really has, and faults can run as root here', async () => {
    const ran = await nightshift(['agent', 'check', '--json'], env);
    const result = checkSchema.parse(JSON.parse(ran.stdout));
    expect(result.capabilities).toEqual(ownCapabilities());
    const missing = Object.entries(ownCapabilities()).filter(([, has]) => !has);
    expect([...result.missingCapabilities].sort()).toEqual(missing.map(([name]) => name).sort());
    expect(result).toMatchObject({ canRunFaults: true });
    expect(result.attachMode).not.toBe('none');
    expect(ran.code).toBe(0);
  });

  const dropTest = dropper ? test : test.skip;
  dropTest(
    `without CAP_BPF and CAP_NET_ADMIN it exits 1 and names them${dropper ? '' : ' (skipped: neither setpriv (util-linux) nor capsh (libcap2-bin) is installed)'}`,
    async () => {
      const drop = dropper!.endsWith('setpriv')
        ? [dropper!, '--inh-caps=-all', '--bounding-set=-bpf,-net_admin']
        : [dropper!, '--drop=cap_bpf,cap_net_admin', '--', '-c', 'exec "$0" "$@"'];
      const json = await run([...drop, process.execPath, CLI, 'agent', 'check', '--json'], env);
      const result = checkSchema.parse(JSON.parse(json.stdout));
      expect(json.code).toBe(1);
      expect(result.canRunFaults).toBe(false);
      expect(result.capabilities).toMatchObject({ CAP_BPF: false, CAP_NET_ADMIN: false });
      expect(result.missingCapabilities).toEqual(expect.arrayContaining(['CAP_BPF', 'CAP_NET_ADMIN']));

      const text = await run([...drop, process.execPath, CLI, 'agent', 'check'], env);
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(/cannot run its fault activities here: missing capabilities: CAP_BPF, CAP_NET_ADMIN/);
      expect(text.stdout).toMatch(/MISSING {2}CAP_BPF/);
      expect(text.stdout).toMatch(/MISSING {2}CAP_NET_ADMIN/);
    },
  );

  const onlyTest = dropper?.endsWith('setpriv') ? test : test.skip;
  onlyTest(
    `with CAP_BPF and CAP_NET_ADMIN alone the program does not load: it exits 1 naming CAP_PERFMON${dropper?.endsWith('setpriv') ? '' : ' (skipped: setpriv (util-linux) is not installed)'}`,
    async () => {
      const only = [dropper!, '--inh-caps=-all', '--bounding-set=-all,+bpf,+net_admin'];
      const ran = await run([...only, process.execPath, CLI, 'agent', 'check', '--json'], env);
      const result = checkSchema.parse(JSON.parse(ran.stdout));
      expect(ran.code).toBe(1);
      expect(result).toMatchObject({ canRunFaults: false, attachMode: 'none' });
      expect(result.capabilities).toMatchObject({ CAP_BPF: true, CAP_NET_ADMIN: true, CAP_PERFMON: false });
      expect(result.problems).toEqual(
        expect.arrayContaining([
          'missing capabilities: CAP_PERFMON',
          'the fault program does not load: Permission denied',
        ]),
      );
    },
  );
});
