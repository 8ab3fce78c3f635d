// The lab's Temporal: the configured address when something already answers
// there (or it is not local), else a dev server the lab starts, with its
// SQLite file in the lab dir. Started here rather than through
// worker/devserver.ts so it carries the lab's process marker like every other
// lab process.
import { join } from 'node:path';
import { isListening, requireTool } from '../worker/base.ts';
import type { Component } from './component.ts';
import type { LabPaths } from './paths.ts';

export interface TemporalPlan {
  address: string;
  /** Set when the lab must start the dev server. */
  component?: Component;
}

function localPort(address: string): number | undefined {
  const match = /^(?:127\.0\.0\.1|localhost):(\d+)$/.exec(address);
  return match ? Number(match[1]) : undefined;
}

export async function planTemporal(address: string, uiPort: number, paths: LabPaths): Promise<TemporalPlan> {
  const port = localPort(address);
  if (port === undefined || (await isListening(port))) return { address };
  const ui = (await isListening(uiPort)) ? ['--headless'] : ['--ui-port', String(uiPort)];
  return {
    address,
    component: {
      name: 'temporal',
      spawn: {
        command: requireTool('temporal', 'build it with scripts/build-servers.sh'),
        args: [
          'server',
          'start-dev',
          '--db-filename',
          paths.temporalDb,
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--log-level',
          'warn',
          ...ui,
        ],
        log: join(paths.logs, 'temporal.log'),
      },
      health: { kind: 'tcp', host: '127.0.0.1', port },
    },
  };
}
