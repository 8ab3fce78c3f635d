// Public face of the host relay: how the lab starts it, and where a pod finds
// a loopback server of the host through it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import { HOST_IP } from '../topology.ts';
import { RELAY_PORTS_ENV } from './ports.ts';

export { parseRelayPorts, RELAY_HOST_ENV, RELAY_PORTS_ENV } from './ports.ts';
export { splice } from './splice.ts';

/** The relay's script, for `node <it>`. */
export const RELAY_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export function relayComponent(paths: LabPaths, ports: readonly number[]): Component {
  const first = ports[0];
  if (first === undefined) throw new Error('the host relay needs at least one port');
  return {
    name: 'host-relay',
    spawn: {
      command: process.execPath,
      args: ['--no-warnings', RELAY_MAIN],
      log: join(paths.logs, 'host-relay.log'),
      env: { [RELAY_PORTS_ENV]: ports.join(',') },
    },
    health: { kind: 'tcp', host: HOST_IP, port: first },
  };
}

/** A loopback `host:port` or URL as a pod reaches it through the relay (other hosts unchanged). */
export function throughRelay(address: string): string {
  return address.replace(
    /^(\w+:\/\/)?(127\.0\.0\.1|localhost)(?=:\d+)/,
    (_, scheme: string | undefined) => `${scheme ?? ''}${HOST_IP}`,
  );
}
