// The lab's Alertmanager: the receiver that ships in
// deploy/alertmanager/alertmanager.yaml, pointed at nightshift's gateway on this
// machine with the lab's token file, and the lab's short timings. Nothing
// else of the shipped file changes, so the lab proves the file users copy.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { Component } from '../component.ts';
import type { LabPaths } from '../paths.ts';
import { LabError } from '../sh.ts';
import { PORTS } from '../topology.ts';
import { ALERTMANAGER_SNIPPET, LAB_MONITORING, seconds } from './settings.ts';

export const NIGHTSHIFT_RECEIVER = 'nightshift';

const webhookSchema = z.object({ url: z.string(), http_config: z.object({}).loose().optional() }).loose();
const snippetSchema = z
  .object({
    route: z.object({ routes: z.array(z.object({ receiver: z.string() }).loose()).default([]) }).loose(),
    receivers: z.array(z.object({ name: z.string(), webhook_configs: z.array(webhookSchema).optional() }).loose()),
  })
  .loose();

export interface Delivery {
  /** nightshift's webhook, e.g. http://127.0.0.1:3000/webhooks/alertmanager. */
  url: string;
  /** The file that holds the bearer token (http_config.authorization.credentials_file). */
  tokenFile: string;
}

/** The shipped Alertmanager config with the lab's gateway, token file and timings. */
export function alertmanagerConfig(delivery: Delivery, settings = LAB_MONITORING, text?: string): object {
  const source = text ?? readFileSync(ALERTMANAGER_SNIPPET, 'utf8');
  const parsed = snippetSchema.safeParse(parse(source));
  if (!parsed.success) throw new LabError(`${ALERTMANAGER_SNIPPET}: ${parsed.error.issues[0]?.message}`);
  const config = parsed.data;
  const route = config.route.routes.find((r) => r.receiver === NIGHTSHIFT_RECEIVER);
  const receiver = config.receivers.find((r) => r.name === NIGHTSHIFT_RECEIVER);
  const hook = receiver?.webhook_configs?.[0];
  if (!route || !hook) {
    throw new LabError(`${ALERTMANAGER_SNIPPET}: no route and webhook receiver named "${NIGHTSHIFT_RECEIVER}"`);
  }
  Object.assign(route, {
    group_wait: seconds(settings.groupWaitS),
    group_interval: seconds(settings.groupIntervalS),
    repeat_interval: seconds(settings.repeatIntervalS),
  });
  hook.url = delivery.url;
  hook.http_config = { ...hook.http_config, authorization: { type: 'Bearer', credentials_file: delivery.tokenFile } };
  return config;
}

export function alertmanagerComponent(
  paths: LabPaths,
  delivery: Delivery,
  bin: string,
  settings = LAB_MONITORING,
): Component {
  const dir = join(paths.root, 'alertmanager');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, stringify(alertmanagerConfig(delivery, settings)));
  return {
    name: 'alertmanager',
    spawn: {
      command: bin,
      args: [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${PORTS.alertmanager}`,
        // One Alertmanager: no gossip peers to listen for.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      log: join(paths.logs, 'alertmanager.log'),
    },
    health: { kind: 'http', url: `http://127.0.0.1:${PORTS.alertmanager}/-/ready` },
  };
}
