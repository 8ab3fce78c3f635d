// deploy/slack's app manifests match what the gateway serves and what the
// code calls: the slash command, the one path Slack posts to, Socket Mode, and
// exactly the bot scopes of the Web API methods nightshift calls (read from
// the source, so a new call without its scope fails here).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { SLACK_PATH } from '../../worker/gateway/app.ts';
import { COMMAND } from '../../worker/gateway/payloads.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** The bot scopes each Web API method needs (api.slack.com/methods). */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'conversations.history': ['channels:history', 'groups:history'],
  'conversations.replies': ['channels:history', 'groups:history'],
  'usergroups.users.list': ['usergroups:read'],
};

interface Manifest {
  features: { slash_commands: { command: string; url?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url?: string }; socket_mode_enabled: boolean };
}

const manifest = (name: string) => parse(readFileSync(join(ROOT, 'deploy', 'slack', name), 'utf8')) as Manifest;

/** Every `client.<family>.<method>(` (and `.users.list(`) in nightshift's own code; the Slack stand-in is not nightshift. */
function webApiCalls(): Set<string> {
  const calls = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules' || name === 'slack-standin') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(
          /[cC]lient\.(auth|chat|files|conversations|usergroups|users|reactions|views)\.([a-zA-Z]+)(?:\.([a-zA-Z]+))?\(/g,
        ))
          calls.add([m[1], m[2], m[3]].filter(Boolean).join('.'));
    }
  };
  for (const dir of ['activities', 'worker', 'workflows', 'cli']) walk(join(ROOT, dir));
  return calls;
}

describe('the Slack app manifests', () => {
  const calls = webApiCalls();

  test('every Web API method the code calls has its scopes listed here', () => {
    expect(calls.size).toBeGreaterThan(3); // the scan finds the calls at all
    expect([...calls].filter((m) => !(m in METHOD_SCOPES))).toEqual([]);
  });

  test.each(['manifest-http.yaml', 'manifest-socket.yaml'])(
    '%s asks for exactly the scopes of those calls, plus the slash command',
    (name) => {
      const needed = new Set(['commands', ...[...calls].flatMap((m) => METHOD_SCOPES[m] ?? [])]);
      expect([...manifest(name).oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
      expect(manifest(name).features.slash_commands.map((c) => c.command)).toEqual([COMMAND]);
      expect(manifest(name).settings.interactivity.is_enabled).toBe(true);
    },
  );

  test("over HTTP, the command and the buttons post to the gateway's Slack path", () => {
    const http = manifest('manifest-http.yaml');
    expect(http.settings.socket_mode_enabled).toBe(false);
    const urls = [http.features.slash_commands[0]?.url, http.settings.interactivity.request_url];
    expect(urls.map((u) => new URL(u ?? '').pathname)).toEqual([SLACK_PATH, SLACK_PATH]);
  });

  test('in Socket Mode, nothing needs a public URL', () => {
    const socket = manifest('manifest-socket.yaml');
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(socket.features.slash_commands[0]?.url).toBeUndefined();
    expect(socket.settings.interactivity.request_url).toBeUndefined();
  });
});
