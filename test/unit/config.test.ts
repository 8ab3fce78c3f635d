// Configuration is validated as a whole: every problem in one message.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../worker/config.ts';

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
});
