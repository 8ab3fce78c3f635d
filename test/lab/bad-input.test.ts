// `lab up` refuses clearly and leaves nothing behind: without root, without a
// kernel feature it was told to require, next to another lab's network, and
// when a process fails half-way (the lab is torn down, the error names it).
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { labDir, labDown, labUp } from '../../lab/index.ts';
import { run } from '../../lab/sh.ts';
import { labTestConfig, leftovers, NOTHING_LEFT, removeDataDirs } from './helpers/lab.ts';
import { lockLab } from './helpers/lock.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

async function hasFq(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  await run('ip', ['netns', 'add', 'nightshift-test-fq']);
  try {
    await run('ip', ['-n', 'nightshift-test-fq', 'link', 'add', 'fq0', 'type', 'dummy']);
    await run('tc', ['-n', 'nightshift-test-fq', 'qdisc', 'add', 'dev', 'fq0', 'root', 'fq']);
    return true;
  } catch {
    return false;
  } finally {
    await run('ip', ['netns', 'del', 'nightshift-test-fq']);
  }
}

function listen(port: number, host: string): Promise<Server> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, host, () => done(server));
  });
}

// Which of the two feature tests can run here is known before any test runs, and the other says why it skips.
const fq = await hasFq();

describe('lab up refuses clearly and leaves nothing behind', () => {
  let unlock: () => void;
  beforeAll(async () => {
    unlock = await lockLab();
  });
  afterAll(() => {
    removeDataDirs();
    unlock?.();
  });

  test('without root it fails at once, naming root', async () => {
    const config = await labTestConfig();
    const result = await exec(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'lab', 'up'],
      {
        env: { ...process.env, NIGHTSHIFT_DATA_DIR: config.dataDir, HOME: '/tmp' },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/needs root/);
    expect(await leftovers(labDir(config.dataDir), [], [])).toEqual(NOTHING_LEFT);
  });

  (fq ? test.skip : test)(
    `a required kernel feature that is missing is named, before anything is made${fq ? ' (skipped: this kernel has sch_fq, so requiring it refuses nothing)' : ''}`,
    async () => {
      const config = await labTestConfig();
      await expect(labUp({ config, require: ['fq'] })).rejects.toThrow(/kernel feature: fq qdisc \(CONFIG_NET_SCH_FQ/);
      expect(await leftovers(labDir(config.dataDir), [], [])).toEqual(NOTHING_LEFT);
    },
  );

  test('an unknown required feature is refused with the known ones', async () => {
    const config = await labTestConfig();
    await expect(labUp({ config, require: ['warp-drive'] })).rejects.toThrow(/unknown feature warp-drive; known: fq/);
    expect(await leftovers(labDir(config.dataDir), [], [])).toEqual(NOTHING_LEFT);
  });

  test("another lab's network on the machine is refused, not swept away", async () => {
    const config = await labTestConfig();
    await run('ip', ['netns', 'add', 'nightshift-lab-node-1']);
    try {
      await expect(labUp({ config })).rejects.toThrow(
        /another lab seems to be running \(nightshift-lab-node-1 exists\)/,
      );
      expect((await run('ip', ['netns', 'list'])).split('\n').some((l) => l.startsWith('nightshift-lab-node-1'))).toBe(
        true,
      );
    } finally {
      await run('ip', ['netns', 'del', 'nightshift-lab-node-1']);
    }
  });

  test('a process that fails half-way tears the whole lab down and is named with its log', async () => {
    const config = await labTestConfig();
    // The lab gateway listens on 10.200.0.1:80; a wildcard listener takes the port first.
    const blocker = await listen(80, '0.0.0.0');
    try {
      await expect(labUp({ config })).rejects.toThrow(/lab-gateway exited during start[\s\S]*EADDRINUSE/);
    } finally {
      blocker.close();
    }
    expect(await leftovers(labDir(config.dataDir), [], [])).toEqual(NOTHING_LEFT);
  }, 120_000);

  test('lab down with no lab is a no-op', async () => {
    const config = await labTestConfig();
    const report = await labDown(config.dataDir);
    expect(report.wasUp).toBe(false);
    expect(report.processes).toBe(0);
  });
});
