// Which Slack the processes talk to: the stand-in without a bot token (using
// a given signing secret as its own); with one, real Slack, refusing to start
// while naming what is missing.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../worker/config.ts';
import { resolveSlack } from '../../worker/gateway/index.ts';

test('without credentials the stand-in is used, with a token and signing secret kept in the data dir for every process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-standin-'));
  const slack = resolveSlack(loadConfig({ NIGHTSHIFT_DATA_DIR: dataDir }));
  expect(slack).toMatchObject({
    mode: 'standin',
    channel: 'C0INCIDENTS',
    apiUrl: 'http://127.0.0.1:3001/api/',
    socketMode: false,
  });
  expect(slack.botToken).toMatch(/^xoxb-standin-/);
  expect(slack.signingSecret.length).toBeGreaterThan(20);
  // A second process (the worker, the gateway) resolves the same secrets.
  const again = resolveSlack(loadConfig({ NIGHTSHIFT_DATA_DIR: dataDir }));
  expect(again.botToken).toBe(slack.botToken);
  expect(again.signingSecret).toBe(slack.signingSecret);
  expect(statSync(join(dataDir, 'slack-standin.json')).mode & 0o777).toBe(0o600);
});

test("without a bot token a given SLACK_SIGNING_SECRET is the stand-in's, so `nightshift dev` starts with it", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-standin-'));
  const slack = resolveSlack(loadConfig({ NIGHTSHIFT_DATA_DIR: dataDir, SLACK_SIGNING_SECRET: 'the-given-secret' }));
  expect(slack).toMatchObject({
    mode: 'standin',
    signingSecret: 'the-given-secret',
    apiUrl: 'http://127.0.0.1:3001/api/',
  });
  expect(slack.botToken).toMatch(/^xoxb-standin-/);
});

test('Slack mode names every missing credential at once', () => {
  expect(() => resolveSlack(loadConfig({ NIGHTSHIFT_SLACK_MODE: 'slack', SLACK_SIGNING_SECRET: 'x' }))).toThrow(
    /SLACK_BOT_TOKEN \(or SLACK_BOT_TOKEN_FILE\) is missing[\s\S]*NIGHTSHIFT_SLACK_CHANNEL/,
  );
  expect(() => resolveSlack(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', NIGHTSHIFT_SLACK_CHANNEL: 'C1' }))).toThrow(
    /SLACK_SIGNING_SECRET \(or SLACK_SIGNING_SECRET_FILE\) is missing/,
  );
  expect(() =>
    resolveSlack(
      loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', NIGHTSHIFT_SLACK_CHANNEL: 'C1', NIGHTSHIFT_SLACK_SOCKET_MODE: 'true' }),
    ),
  ).toThrow(/SLACK_APP_TOKEN/);
});

test('secrets may come from files; the message never contains a secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-slack-'));
  writeFileSync(join(dir, 'token'), 'xoxb-from-file\n');
  writeFileSync(join(dir, 'secret'), 'shh-from-file');
  const slack = resolveSlack(
    loadConfig({
      SLACK_BOT_TOKEN_FILE: join(dir, 'token'),
      SLACK_SIGNING_SECRET_FILE: join(dir, 'secret'),
      NIGHTSHIFT_SLACK_CHANNEL: 'C1',
    }),
  );
  expect(slack).toMatchObject({
    mode: 'slack',
    botToken: 'xoxb-from-file',
    signingSecret: 'shh-from-file',
    channel: 'C1',
  });
  let message = '';
  try {
    resolveSlack(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-secret-value', SLACK_SIGNING_SECRET_FILE: join(dir, 'missing') }));
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/SLACK_SIGNING_SECRET_FILE .*missing: ENOENT/);
  expect(message).not.toContain('xoxb-secret-value');
});
