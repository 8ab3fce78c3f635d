// What ships in deploy/prometheus, checked by the tools that will load it:
// `promtool check rules` and `promtool test rules` (the rules' own unit tests
// with series fixtures, deploy/prometheus/tests), `amtool check-config` on the
// receiver; and the configurations the lab writes from them (the same rules,
// the same receiver with the lab's gateway, token file and timings).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import {
  ALERTMANAGER_SNIPPET,
  alertmanagerConfig,
  DEPLOY_ALERTMANAGER,
  DEPLOY_PROMETHEUS,
  LAB_MONITORING,
  prometheusConfig,
} from '../../lab/index.ts';
import { requireTool } from '../../worker/tools.ts';

const exec = promisify(execFile);
const rulesDir = join(DEPLOY_PROMETHEUS, 'rules');
const testsDir = join(DEPLOY_PROMETHEUS, 'tests');
const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(rulesDir, f));
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(testsDir, f));

async function tool(name: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec(requireTool(name), args, { cwd: DEPLOY_PROMETHEUS });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-prom-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deploy/prometheus', () => {
  it('ships rules for checkout, DNS, etcd and nightshift itself, and a test file for each', () => {
    expect(ruleFiles.map((f) => f.split('/').pop()).sort()).toEqual([
      'checkout.yaml',
      'dns.yaml',
      'etcd.yaml',
      'nightshift.yaml',
    ]);
    expect(testFiles.length).toBe(ruleFiles.length);
  });

  it('passes promtool check rules', async () => {
    const r = await tool('promtool', ['check', 'rules', ...ruleFiles]);
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
  });

  it('passes promtool test rules (the rules fire on their fixtures and stay quiet on the others)', async () => {
    const r = await tool('promtool', ['test', 'rules', ...testFiles]);
    if (r.code !== 0) throw new Error(r.out);
    expect(r.out).toMatch(/SUCCESS/);
  });

  it('promtool test rules fails when a rule changes: the tests are not vacuous', async () => {
    const changed = join(dir, 'rules');
    mkdirSync(changed, { recursive: true });
    // The checkout page with its threshold moved: the fixtures that expect it to fire must now fail.
    const checkout = parse(readFileSync(join(rulesDir, 'checkout.yaml'), 'utf8')) as {
      groups: { rules: { alert?: string; expr: string }[] }[];
    };
    for (const rule of checkout.groups[0]?.rules ?? [])
      if (rule.alert === 'CheckoutErrorBudgetBurn') rule.expr = rule.expr.replace('< 0.95', '< 0.5');
    writeFileSync(join(changed, 'checkout.yaml'), stringify(checkout));
    const test = join(dir, 'checkout.test.yaml');
    const fixture = parse(readFileSync(join(testsDir, 'checkout.test.yaml'), 'utf8')) as { rule_files: string[] };
    fixture.rule_files = [join(changed, 'checkout.yaml')];
    writeFileSync(test, stringify(fixture));
    const r = await tool('promtool', ['test', 'rules', test]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/CheckoutErrorBudgetBurn/);
  });

  it('passes amtool check-config with the nightshift receiver', async () => {
    const r = await tool('amtool', ['check-config', ALERTMANAGER_SNIPPET]);
    if (r.code !== 0) throw new Error(r.out);
    expect(r.out).toMatch(/2 receivers/);
  });

  it('ships the same route and receiver as a Prometheus Operator AlertmanagerConfig', () => {
    type Route = {
      receiver: string;
      matchers: string[];
      group_by: string[];
      group_wait: string;
      group_interval: string;
      repeat_interval: string;
      continue: boolean;
    };
    type Hook = {
      url: string;
      send_resolved: boolean;
      max_alerts: number;
      http_config: { authorization: { type: string } };
    };
    const plain = parse(readFileSync(ALERTMANAGER_SNIPPET, 'utf8')) as {
      route: { routes: Route[] };
      receivers: { name: string; webhook_configs?: Hook[] }[];
    };
    const cr = parse(readFileSync(join(DEPLOY_ALERTMANAGER, 'alertmanagerconfig.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      spec: {
        route: Omit<Route, 'matchers' | 'group_by' | 'group_wait' | 'group_interval' | 'repeat_interval'> & {
          matchers: { name: string; matchType: string; value: string }[];
          groupBy: string[];
          groupWait: string;
          groupInterval: string;
          repeatInterval: string;
        };
        receivers: {
          name: string;
          webhookConfigs: {
            url: string;
            sendResolved: boolean;
            maxAlerts: number;
            httpConfig: { authorization: { type: string; credentials: { name: string; key: string } } };
          }[];
        }[];
      };
    };
    expect([cr.apiVersion, cr.kind]).toEqual(['monitoring.coreos.com/v1alpha1', 'AlertmanagerConfig']);
    const route = plain.route.routes.find((r) => r.receiver === 'nightshift') as Route;
    const r = cr.spec.route;
    expect({
      receiver: r.receiver,
      matchers: r.matchers.map((m) => `${m.name}${m.matchType}"${m.value}"`),
      group_by: r.groupBy,
      group_wait: r.groupWait,
      group_interval: r.groupInterval,
      repeat_interval: r.repeatInterval,
      continue: r.continue,
    }).toEqual(route);
    const hook = plain.receivers.find((x) => x.name === 'nightshift')?.webhook_configs?.[0] as Hook;
    const crHook = cr.spec.receivers.find((x) => x.name === r.receiver)?.webhookConfigs[0];
    expect({
      url: crHook?.url,
      send_resolved: crHook?.sendResolved,
      max_alerts: crHook?.maxAlerts,
      type: crHook?.httpConfig.authorization.type,
    }).toEqual({
      url: hook.url,
      send_resolved: true,
      max_alerts: hook.max_alerts,
      type: hook.http_config.authorization.type,
    });
    // The token comes from a Secret, never written in the resource.
    expect(crHook?.httpConfig.authorization.credentials).toEqual({ name: 'nightshift-webhook', key: 'token' });
  });
});

describe('the lab loads what ships', () => {
  it("writes a Prometheus config that promtool accepts, loading deploy/prometheus's rules unchanged", async () => {
    const pki = Object.fromEntries(
      ['caCert', 'prometheusCert', 'prometheusKey'].map((k) => [k, join(dir, `${k}.pem`)]),
    ) as never;
    for (const file of Object.values(pki) as string[]) writeFileSync(file, '');
    const config = prometheusConfig(pki, { gatewayPort: 3000 }) as {
      rule_files: string[];
      global: Record<string, string>;
      scrape_configs: { job_name: string }[];
    };
    expect(config.rule_files).toEqual([join(rulesDir, '*.yaml')]);
    expect(config.global.evaluation_interval).toBe(`${LAB_MONITORING.evaluationIntervalS}s`);
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual([
      'kubernetes-pods',
      'kube-apiserver',
      'etcd',
      'coredns',
      'lab-gateway',
      'nightshift-gateway',
      'nightshift-worker',
      'nightshift-agent',
    ]);
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, stringify(config));
    const r = await tool('promtool', ['check', 'config', '--lint=none', file]);
    if (r.code !== 0) throw new Error(r.out);
    expect(r.out).toMatch(/SUCCESS: 4 rule files found/);
  });

  it("writes an Alertmanager config that amtool accepts: the shipped route with the lab's URL, token file and timings", async () => {
    const config = alertmanagerConfig({
      url: 'http://127.0.0.1:3000/webhooks/alertmanager',
      tokenFile: join(dir, 'token'),
    }) as {
      route: { routes: Record<string, unknown>[] };
      receivers: { name: string; webhook_configs?: Record<string, unknown>[] }[];
    };
    const route = config.route.routes.find((r) => r.receiver === 'nightshift');
    expect(route).toMatchObject({
      group_wait: `${LAB_MONITORING.groupWaitS}s`,
      matchers: ['alertname="CheckoutErrorBudgetBurn"'],
    });
    const hook = config.receivers.find((r) => r.name === 'nightshift')?.webhook_configs?.[0];
    expect(hook).toMatchObject({
      url: 'http://127.0.0.1:3000/webhooks/alertmanager',
      send_resolved: true,
      http_config: { authorization: { type: 'Bearer', credentials_file: join(dir, 'token') } },
    });
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, stringify(config));
    const r = await tool('amtool', ['check-config', file]);
    if (r.code !== 0) throw new Error(r.out);
  });

  it('refuses a receiver file without the nightshift route, naming the file', () => {
    expect(() =>
      alertmanagerConfig(
        { url: 'http://x', tokenFile: '/t' },
        LAB_MONITORING,
        'route: {receiver: a}\nreceivers: [{name: a}]\n',
      ),
    ).toThrow(/alertmanager\.yaml: no route and webhook receiver named "nightshift"/);
  });
});
