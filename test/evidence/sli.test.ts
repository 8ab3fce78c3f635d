// The SLI sources the symptom and the recovery check read: a traffic probe's
// own record, or requests made now to a URL. Real HTTP servers on loopback.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createActivities } from '../../activities/index.ts';
import type { StepCall } from '../../model/index.ts';
import { startProbeServer, type Running } from './helpers/servers.ts';

const context = { workflowId: 'sli-test', runbook: 'traffic-vanish', stepId: 'gather', key: 'sli-test/gather' };
const call = (params: StepCall['params']): StepCall => ({ params, context });

describe('SLI sources', () => {
  let shop: Server;
  let shopUrl: string;
  let probe: Running;
  let served = 0;

  beforeAll(async () => {
    // Every fifth request fails, as a service with a broken replica behind it would.
    shop = createServer((_req, res) => {
      served++;
      res.writeHead(served % 5 === 0 ? 503 : 200).end('ok');
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
    const address = shop.address();
    shopUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/checkout`;
    probe = await startProbeServer(() => 1);
  });
  afterAll(async () => {
    await new Promise<void>((r) => shop.close(() => r()));
    await probe.stop();
  });

  const acts = () => createActivities({ evidence: { probeUrl: probe.url } });

  test('http: N requests made now become the symptom, failing, with no baseline to judge latency against', async () => {
    served = 0;
    const result = await acts().collectProbe(call({ source: 'http', url: shopUrl, samples: 20 }));
    expect(result.ok).toBe(true);
    expect(result.evidence).toMatchObject({ source: 'http', url: shopUrl });
    expect(result.evidence?.summary).toMatchObject({
      requests: 20,
      failures: 4,
      successRate: 0.8,
      failureKinds: { 'http-503': 4 },
    });
    expect(result.evidence?.baseline).toBeUndefined();
    expect(result.findings.map((f) => f.kind)).toContain('probe.failing');
  });

  test('probe: the traffic probe’s window against the seconds before it', async () => {
    const result = await acts().collectProbe(call({ source: 'probe', url: '' }));
    expect(result.evidence).toMatchObject({ source: 'probe', url: probe.url, summary: { successRate: 1 } });
    expect(result.evidence?.baseline?.seconds).toBeGreaterThan(0);
    expect(result.findings.map((f) => f.kind)).toContain('probe.healthy');
  });

  test('the sli verify probe reads the same source the runbook names', async () => {
    served = 1; // the next request is the 2nd: of 5 requests, the 5th fails
    expect(await acts().sliProbe(call({ source: 'http', url: shopUrl, samples: 5 }))).toMatchObject({
      source: 'http',
      requests: 5,
      successRate: 0.8,
    });
    expect(await acts().sliProbe(call({ source: 'probe', url: '' }))).toMatchObject({
      source: 'probe',
      successRate: 1,
    });
  });

  test('the http source without a URL, or a source nobody knows, is an error that names the setting', async () => {
    await expect(acts().sliProbe(call({ source: 'http', url: '' }))).rejects.toThrow(
      /needs a "url" \(the runbook parameter sliUrl\)/,
    );
    const bad = await acts().collectProbe(call({ source: 'graphite' }));
    expect(bad.ok).toBe(false);
    expect(bad.findings[0]?.summary).toMatch(
      /probe collector: bad params: .*expected "auto", "prometheus", "probe" or "http"/,
    );
    // Prometheus named but not configured: the finding names the setting.
    const unset = await acts().collectProbe(call({ source: 'prometheus' }));
    expect(unset.ok).toBe(false);
    expect(unset.findings[0]?.summary).toMatch(/no Prometheus URL \(set NIGHTSHIFT_PROMETHEUS_URL/);
  });
});
