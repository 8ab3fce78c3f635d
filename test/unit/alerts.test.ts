// The alert path's pure parts: matchers like Alertmanager's, payload
// validation, routing with templated parameters, dedupe keys, auth.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIssues } from '../../model/index.ts';
import { loadConfig } from '../../worker/config.ts';
import {
  checkAuth,
  dedupeKey,
  findRoute,
  matchesAll,
  parseMatcher,
  renderParams,
  webhookAuthProblem,
  webhookSchema,
} from '../../worker/alerts/index.ts';
import { sameSecret } from '../../worker/secret-compare.ts';
import { payload } from '../fixtures/alerts.ts';

describe('matchers', () => {
  test.each([
    ['alertname="CheckoutErrorBudgetBurn"', true],
    ['alertname!="Other"', true],
    ['namespace=~"prod.*"', true],
    ['namespace=~"prod"', false], // anchored, like Alertmanager
    ['severity!~"info|warning"', true],
    ['team="payments"', false],
    ['team=""', true], // a missing label equals the empty string
  ])('%s → %s', (text, expected) => {
    expect(
      matchesAll([parseMatcher(text)], {
        alertname: 'CheckoutErrorBudgetBurn',
        namespace: 'production',
        severity: 'page',
      }),
    ).toBe(expected);
  });

  test('bad matchers are refused with the reason', () => {
    expect(() => parseMatcher('alertname')).toThrow(/is not a matcher/);
    expect(() => parseMatcher('namespace=~"prod("')).toThrow(/bad regular expression/);
  });

  test('a bad matcher or dedupe mode in config is a config problem naming where', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-alerts-'));
    const file = join(dir, 'config.yaml');
    try {
      writeFileSync(file, "alerts:\n  routes:\n    - matchers: ['alertname']\n      runbook: traffic-vanish\n");
      expect(() => loadConfig({ NIGHTSHIFT_CONFIG: file, NIGHTSHIFT_ALERTS_DEDUPE_BY: 'alertname' })).toThrow(
        /alerts\.dedupeBy: .*\(from NIGHTSHIFT_ALERTS_DEDUPE_BY\)[\s\S]*alerts\.routes\[0\]\.matchers\[0\]: "alertname" is not a matcher/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('payload', () => {
  test('a real Alertmanager v4 payload parses', () => {
    expect(webhookSchema.safeParse(payload()).success).toBe(true);
  });

  test.each([
    [{ version: '3' }, {}, 'version: expected webhook payload version "4"'],
    [{ alerts: [] }, {}, 'alerts: expected at least one alert'],
    [{}, { fingerprint: 'not hex!' }, 'alerts[0].fingerprint: expected a hex fingerprint'],
    [{}, { status: 'pending' }, 'alerts[0].status'],
    [{}, { startsAt: 'yesterday' }, 'alerts[0].startsAt'],
  ])('%j %j is refused: %s', (top, alert, problem) => {
    const result = webhookSchema.safeParse(payload(top as never, alert));
    expect(result.success).toBe(false);
    const lines = formatIssues(result.error?.issues ?? []);
    expect(lines.some((line) => line.startsWith(problem))).toBe(true);
  });
});

describe('routing', () => {
  const config = loadConfig({});
  const parsed = webhookSchema.parse(payload());
  const alert = parsed.alerts[0];
  if (!alert) throw new Error('fixture');

  test('the default route sends CheckoutErrorBudgetBurn to traffic-vanish with the alert namespace', () => {
    const route = findRoute(config.alerts.routes, alert.labels);
    expect(route?.runbook).toBe('traffic-vanish');
    expect(route && renderParams(route, alert)).toEqual({ params: { namespace: 'production' }, missing: [] });
  });

  test('a template naming a missing label is reported', () => {
    const route = { matchers: ['alertname=~".+"'], runbook: 'x', params: { node: '${labels.node}' } };
    expect(renderParams(route, alert).missing).toEqual(['labels.node']);
  });

  test('dedupe keys: one per alert firing episode, or one per group', () => {
    expect(dedupeKey(parsed, alert, 'fingerprint')).toBe('a1b2c3d4e5f60718-1795662000');
    const later = webhookSchema.parse(payload({}, { startsAt: '2026-11-27T03:00:00Z' }));
    expect(dedupeKey(later, later.alerts[0] as typeof alert, 'fingerprint')).not.toBe(
      dedupeKey(parsed, alert, 'fingerprint'),
    );
    expect(dedupeKey(parsed, alert, 'groupKey')).toMatch(/^group-[0-9a-f]{16}-1795662000$/);
  });
});

describe('authentication', () => {
  const body = Buffer.from('{}');
  const bearer = { ...loadConfig({}).alerts, bearerToken: 's3cret' };
  const basic = { ...loadConfig({}).alerts, username: 'am', password: 'pw:with:colons' };

  test('open when nothing is configured', () => {
    expect(checkAuth(loadConfig({}).alerts, { headers: {}, body })).toBeUndefined();
  });

  test('bearer token', () => {
    expect(checkAuth(bearer, { headers: { authorization: 'Bearer s3cret' }, body })).toBeUndefined();
    expect(checkAuth(bearer, { headers: { authorization: 'Bearer wrong' }, body })?.status).toBe(401);
    expect(checkAuth(bearer, { headers: {}, body })?.body).toEqual({ error: 'credentials required' });
  });

  test('basic auth', () => {
    const good = `Basic ${Buffer.from('am:pw:with:colons').toString('base64')}`;
    expect(checkAuth(basic, { headers: { authorization: good }, body })).toBeUndefined();
    expect(
      checkAuth(basic, { headers: { authorization: `Basic ${Buffer.from('am:nope').toString('base64')}` }, body })
        ?.status,
    ).toBe(401);
  });

  test.each([
    ['the user alone', 'am'],
    ['the user and an empty password', 'am:'],
    ['an empty user and the password', ':pw:with:colons'],
    ['a prefix of the password', 'am:pw'],
  ])('basic auth refuses %s', (_name, credentials) => {
    const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    expect(checkAuth(basic, { headers: { authorization }, body })?.status).toBe(401);
  });

  test('a username configured without a password (a config that loadConfig refuses) lets nobody in', () => {
    const half = { ...loadConfig({}).alerts, username: 'am' };
    const authorization = `Basic ${Buffer.from('am:').toString('base64')}`;
    expect(checkAuth(half, { headers: { authorization }, body })?.status).toBe(401);
  });

  test('secrets compare equal only when equal, whatever their lengths', () => {
    expect(sameSecret('s3cret', 's3cret')).toBe(true);
    expect(sameSecret('s3cre', 's3cret')).toBe(false);
    expect(sameSecret('s3cret!', 's3cret')).toBe(false);
    expect(sameSecret('', 's3cret')).toBe(false);
  });
});

describe('a webhook without credentials', () => {
  test('outside dev and demo it is refused, naming how to protect it or opt out', () => {
    expect(webhookAuthProblem(loadConfig({}).alerts, 'service')).toMatch(
      /needs credentials: set NIGHTSHIFT_ALERTS_TOKEN[\s\S]*NIGHTSHIFT_ALERTS_ALLOW_UNAUTHENTICATED=true/,
    );
  });

  test.each([
    ['in dev and the demo', {}, 'dev'],
    ['with a bearer token', { NIGHTSHIFT_ALERTS_TOKEN: 't' }, 'service'],
    ['with basic auth', { NIGHTSHIFT_ALERTS_USERNAME: 'am', NIGHTSHIFT_ALERTS_PASSWORD: 'pw' }, 'service'],
    ['with the explicit insecure flag', { NIGHTSHIFT_ALERTS_ALLOW_UNAUTHENTICATED: 'true' }, 'service'],
  ] as const)('is allowed %s', (_name, env, where) => {
    expect(webhookAuthProblem(loadConfig(env).alerts, where)).toBeUndefined();
  });

  test('`nightshift gateway` refuses to start without webhook credentials, before it connects to anything', () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !name.startsWith('NIGHTSHIFT_ALERTS_') && !name.startsWith('SLACK_'),
      ),
    );
    const run = spawnSync(process.execPath, [fileURLToPath(new URL('../../cli/main.ts', import.meta.url)), 'gateway'], {
      env: {
        ...env,
        NIGHTSHIFT_DATA_DIR: mkdtempSync(join(tmpdir(), 'nightshift-gw-')),
        TEMPORAL_ADDRESS: '127.0.0.1:1',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the Alertmanager webhook needs credentials/);
  });
});
