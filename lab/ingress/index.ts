// Public face of the lab's ingress to nightshift's gateway: how the lab
// starts it and where the host reaches the gateway through it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import { INGRESS_LISTEN_ENV, INGRESS_SERVICE_ENV } from './env.ts';

export { INGRESS_LISTEN_ENV, INGRESS_SERVICE_ENV, parseIngressEnv } from './env.ts';

const INGRESS_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** The ingress on 127.0.0.1:`port` to the ready endpoints of Service `namespace/name`. */
export function ingressComponent(
  paths: LabPaths,
  dataDir: string,
  port: number,
  service: { namespace: string; name: string },
): Component {
  return {
    name: 'gateway-ingress',
    spawn: {
      command: process.execPath,
      args: ['--no-warnings', INGRESS_MAIN],
      log: join(paths.logs, 'gateway-ingress.log'),
      env: {
        NIGHTSHIFT_DATA_DIR: dataDir,
        [INGRESS_LISTEN_ENV]: `127.0.0.1:${port}`,
        [INGRESS_SERVICE_ENV]: `${service.namespace}/${service.name}`,
      },
    },
    health: { kind: 'tcp', host: '127.0.0.1', port },
  };
}
