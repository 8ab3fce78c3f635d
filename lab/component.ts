// A lab process before it starts: how to run it and how to tell it is healthy.
// `launch` starts it and records it in the lab state at once. Every lab
// process carries NIGHTSHIFT_LAB_ROOT in its environment, so `lab down`
// finds it even if the state file lost it.
import type { LabPaths } from './paths.ts';
import { spawnDetached, type SpawnSpec } from './procs.ts';
import type { HealthCheck, ProcessRecord, StateRecorder } from './state.ts';

export const LAB_ROOT_ENV = 'NIGHTSHIFT_LAB_ROOT';

export interface Component {
  name: string;
  spawn: SpawnSpec;
  health: HealthCheck;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export async function launch(component: Component, recorder: StateRecorder, paths: LabPaths): Promise<ProcessRecord> {
  const env = { ...definedOnly(component.spawn.env ?? {}), [LAB_ROOT_ENV]: paths.root };
  const started = await spawnDetached({ ...component.spawn, env: { ...process.env, ...env } });
  const record: ProcessRecord = {
    name: component.name,
    pid: started.pid,
    startTime: started.startTime,
    command: started.command,
    env,
    ...(component.spawn.cwd ? { cwd: component.spawn.cwd } : {}),
    log: component.spawn.log,
    ...(component.spawn.netns ? { netns: component.spawn.netns } : {}),
    health: component.health,
  };
  recorder.process(record);
  return record;
}
