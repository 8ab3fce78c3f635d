// A real CoreDNS for tests, on loopback (or inside a network namespace),
// with zones that answer, drop every second query (erratic), or answer late.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from './ports.ts';

export const COREDNS_BIN = resolve(
  process.env.NIGHTSHIFT_TOOLS ?? resolve(import.meta.dirname, '../../../.tools'),
  'bin/coredns',
);

export function corednsAvailable(): boolean {
  return existsSync(COREDNS_BIN);
}

export interface TestCoredns {
  /** "127.0.0.1:<port>" */
  server: string;
  metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * Zones: shop.test is authoritative from a zone file (unknown names: NXDOMAIN);
 * lossy.test drops every 2nd query; slow.test answers every query 80 ms late.
 */
export async function startCoredns(
  options: { netns?: string; port?: number; metricsPort?: number; bind?: string } = {},
): Promise<TestCoredns> {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-coredns-'));
  const port = options.port ?? (await freePort());
  const metricsPort = options.metricsPort ?? (await freePort());
  const bind = options.bind ?? '127.0.0.1';
  const block = (zone: string, body: string) => `${zone}:${port} {\n  bind ${bind}\n${body}\n}\n`;
  const corefile = [
    block('shop.test', `  file ${join(dir, 'db.shop.test')}\n  prometheus 127.0.0.1:${metricsPort}\n  errors`),
    block('lossy.test', '  erratic {\n    drop 2\n  }\n  prometheus 127.0.0.1:' + metricsPort),
    block('slow.test', '  erratic {\n    drop 0\n    delay 1 80ms\n  }\n  prometheus 127.0.0.1:' + metricsPort),
  ].join('\n');
  writeFileSync(join(dir, 'Corefile'), corefile);
  writeFileSync(
    join(dir, 'db.shop.test'),
    [
      '$ORIGIN shop.test.',
      '@ 3600 IN SOA ns.shop.test. admin.shop.test. 1 7200 3600 1209600 3600',
      '@ 3600 IN NS ns.shop.test.',
      'ns 3600 IN A 127.0.0.1',
      'cart 30 IN A 10.244.1.10',
      'payment 30 IN A 10.244.2.10',
      '',
    ].join('\n'),
  );
  const command = options.netns ? 'ip' : COREDNS_BIN;
  const args = options.netns
    ? ['netns', 'exec', options.netns, COREDNS_BIN, '-conf', join(dir, 'Corefile')]
    : ['-conf', join(dir, 'Corefile')];
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!options.netns) {
    try {
      await waitFor('coredns metrics', async () => ((await fetch(metricsUrl)).ok ? true : undefined), 15_000);
    } catch (err) {
      await stop();
      throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
    }
  } else {
    await new Promise((r) => setTimeout(r, 1500));
  }
  return { server: `${bind}:${port}`, metricsUrl, stop };
}
