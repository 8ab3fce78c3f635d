// Configuration is validated as a whole: every problem in one message.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, SECRETS } from '../../worker/config.ts';

describe('config', () => {
  test('defaults describe the embedded dev setup', () => {
    const config = loadConfig({});
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'nightshift' });
    expect(config.http.port).toBe(3000);
    expect(config.access.productionNamespaces).toEqual(['production', 'finance']);
  });

  test('environment overrides the file; lists are comma-separated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'temporal:\n  address: temporal.example:7233\naccess:\n  users:\n    U1: [responder]\n');
    const config = loadConfig({
      NIGHTSHIFT_CONFIG: file,
      TEMPORAL_NAMESPACE: 'ops',
      NIGHTSHIFT_PRODUCTION_NAMESPACES: 'prod, payments',
    });
    expect(config.temporal.address).toBe('temporal.example:7233');
    expect(config.temporal.namespace).toBe('ops');
    expect(config.access.users).toEqual({ U1: ['responder'] });
    expect(config.access.productionNamespaces).toEqual(['prod', 'payments']);
  });

  test('all problems are reported together, naming the variable they came from', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-config-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'access:\n  users:\n    U1: [superuser]\n');
    let message = '';
    try {
      loadConfig({ NIGHTSHIFT_CONFIG: file, NIGHTSHIFT_HTTP_PORT: '99999', LOG_LEVEL: 'loud' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid configuration:/);
    expect(message).toMatch(/logLevel: .* \(from LOG_LEVEL\)/);
    expect(message).toMatch(/http\.port: .* \(from NIGHTSHIFT_HTTP_PORT\)/);
    expect(message).toMatch(/access\.users\.U1\[0\]: /);
  });

  test('an unreadable config file is a problem, not a crash', () => {
    expect(() => loadConfig({ NIGHTSHIFT_CONFIG: '/nonexistent/nightshift.yaml' })).toThrow(
      /NIGHTSHIFT_CONFIG \/nonexistent\/nightshift.yaml: ENOENT/,
    );
  });

  test('every secret may come from a file (NAME_FILE), trailing newline dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-secrets-'));
    const env: Record<string, string> = {};
    for (const name of Object.keys(SECRETS)) {
      writeFileSync(join(dir, name), `value-of-${name}\n`);
      env[`${name}_FILE`] = join(dir, name);
    }
    const config = loadConfig(env);
    const at = (path: string[]) => path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
    for (const [name, path] of Object.entries(SECRETS)) expect([name, at(path)]).toEqual([name, `value-of-${name}`]);
    expect(Object.keys(SECRETS)).toEqual(
      expect.arrayContaining([
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'SLACK_APP_TOKEN',
        'NIGHTSHIFT_ALERTS_TOKEN',
        'NIGHTSHIFT_ALERTS_USERNAME',
        'NIGHTSHIFT_ALERTS_PASSWORD',
        'TEMPORAL_API_KEY',
      ]),
    );
  });

  test('the config file may name secret files too (key + "File")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-secrets-'));
    writeFileSync(join(dir, 'token'), 'xoxb-from-a-file');
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `slack:\n  botTokenFile: ${join(dir, 'token')}\n`);
    expect(loadConfig({ NIGHTSHIFT_CONFIG: file }).slack.botToken).toBe('xoxb-from-a-file');
  });

  test('a secret file that is missing or empty, or a secret given both ways, is a problem that names the variable, never the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-secrets-'));
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'token'), 'from-the-file');
    let message = '';
    try {
      loadConfig({
        NIGHTSHIFT_ALERTS_TOKEN_FILE: join(dir, 'missing'),
        NIGHTSHIFT_ALERTS_PASSWORD_FILE: join(dir, 'empty'),
        NIGHTSHIFT_ALERTS_USERNAME: 'am',
        TEMPORAL_API_KEY: 'the-api-key-value',
        TEMPORAL_API_KEY_FILE: join(dir, 'token'),
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/NIGHTSHIFT_ALERTS_TOKEN_FILE .*missing: ENOENT/);
    expect(message).toMatch(/NIGHTSHIFT_ALERTS_PASSWORD_FILE .*empty is empty/);
    expect(message).toMatch(/TEMPORAL_API_KEY_FILE: TEMPORAL_API_KEY is set as well; give the secret one way/);
    expect(message).not.toContain('the-api-key-value');
    expect(message).not.toContain('from-the-file');
  });

  test('webhook basic auth needs both halves: a username without a password is a problem, and the reverse', () => {
    expect(() => loadConfig({ NIGHTSHIFT_ALERTS_USERNAME: 'alertmanager' })).toThrow(
      /alerts\.password: a username needs a password/,
    );
    expect(() => loadConfig({ NIGHTSHIFT_ALERTS_PASSWORD: 'pw' })).toThrow(
      /alerts\.username: a password needs a username/,
    );
  });
});
