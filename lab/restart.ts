// Restarting one lab process (an etcd member after a test killed it, CoreDNS
// for a "restart cluster DNS" remediation) exactly as `lab up` started it:
// same command, same added environment, same log, new pid in the state.
import { resolve } from 'node:path';
import { waitHealthy } from './health.ts';
import { labPaths } from './paths.ts';
import { isAlive, spawnDetached, stopAll } from './procs.ts';
import { LabError } from './sh.ts';
import { readState, StateRecorder, type ProcessRecord } from './state.ts';

export async function restartLabProcess(name: string, dataDir: string, timeoutMs = 30_000): Promise<ProcessRecord> {
  const paths = labPaths(resolve(dataDir));
  const state = readState(paths.state);
  if (!state) throw new LabError('the lab is not up');
  const old = state.processes.find((p) => p.name === name);
  if (!old) throw new LabError(`no lab process named ${name}; known: ${state.processes.map((p) => p.name).join(', ')}`);
  if (isAlive(old.pid, old.startTime)) await stopAll([old], 5000);
  const [command, ...args] = old.command;
  if (!command) throw new LabError(`lab process ${name} has no recorded command`);
  const started = await spawnDetached({
    command,
    args,
    log: old.log,
    env: { ...process.env, ...old.env },
    ...(old.cwd ? { cwd: old.cwd } : {}),
  });
  const record: ProcessRecord = { ...old, pid: started.pid, startTime: started.startTime };
  new StateRecorder(paths.state, state).process(record);
  await waitHealthy(record, timeoutMs);
  return record;
}
