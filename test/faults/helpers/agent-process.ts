// The real node agent (`nightshift agent`) as a child process, so a test can
// SIGKILL it. Ready once it prints its task queue.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { temporalAddress } from '../../helpers/temporal.ts';

const cli = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url));

export interface AgentProcess extends ChildProcess {
  /** Everything it printed so far. */
  output(): string;
}

export async function startAgentProcess(
  node: string,
  nodeNetns: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [cli, 'agent', '--node', node, '--node-netns', nodeNetns, '--reconcile-every', '10m', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Jest's process.env is a copy: the child gets the address explicitly.
      env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), LOG_LEVEL: 'warn', ...env },
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  try {
    await new Promise<void>((done, fail) => {
      // Generous: on a loaded machine an agent's start (imports, Temporal, the first reconcile) takes a while.
      const timer = setTimeout(() => fail(new Error(`agent not ready after 120 s:\n${output}`)), 120_000);
      child.stdout.on('data', () => {
        if (output.includes('nightshift agent: node')) {
          clearTimeout(timer);
          done();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`agent exited with ${code}:\n${output}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return Object.assign(child, { output: () => output });
}
