// Reports read well and are safe: every section is there, the chart shows the
// fault window and the decisions, and nothing from the evidence can inject HTML.
import { renderHtml, renderMarkdown, type ReportInput } from '../../activities/reports/index.ts';
import type { RunStatus } from '../../model/index.ts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 26, 3, 0, s)).toISOString();

const status: RunStatus = {
  runbook: 'traffic-vanish',
  title: 'Traffic between pods vanished',
  state: 'completed',
  requestedBy: { id: 'alertmanager', name: 'alert CheckoutErrorBudgetBurn', via: 'alert' },
  params: { namespace: 'production' },
  steps: [
    {
      id: 'gather',
      kind: 'gather',
      title: 'gather',
      status: 'done',
      startedAt: at(1),
      endedAt: at(4),
      result: {
        collectors: {},
        findings: [
          {
            kind: 'flows.dropped',
            severity: 'critical',
            summary:
              'production/checkout-frontend → production/cart-service-v1:80 dropped ×412 <script>alert(1)</script>',
            source: 'flows',
          },
          { kind: 'dns.ok', severity: 'info', summary: 'DNS p95 1.2 ms', source: 'dns' },
        ],
      },
    },
    {
      id: 'choose',
      kind: 'decide',
      title: 'choose',
      status: 'done',
      startedAt: at(5),
      endedAt: at(30),
      result: { choice: 'stop-fault' },
    },
    {
      id: 'fix',
      kind: 'act',
      title: 'fix',
      status: 'done',
      startedAt: at(30),
      endedAt: at(31),
      result: { summary: 'aborted fault cart-drop' },
    },
    {
      id: 'check',
      kind: 'verify',
      title: 'check',
      status: 'done',
      startedAt: at(31),
      endedAt: at(41),
      result: { ok: true, attempts: 3 },
    },
  ],
  decisions: [
    { step: 'choose', option: 'stop-fault', by: { id: 'U0BOB', name: 'bob', via: 'slack' }, at: at(30), auto: false },
  ],
  diagnosis: {
    hypotheses: [
      {
        id: 'pod-to-pod-drop',
        title: 'Packets between two workloads are dropped',
        confidence: 0.92,
        explanation: 'Dropped flows from frontend to cart.',
        evidence: ['flows.dropped'],
        remediations: [
          { id: 'stop-fault', title: 'Stop the chaos fault', action: 'stop-fault', params: {}, destructive: false },
        ],
      },
    ],
  },
  compensations: [],
  startedAt: at(0),
  endedAt: at(42),
  alerts: [],
};

const input: ReportInput = {
  runId: 'alert-abc-1',
  status,
  series: Array.from({ length: 50 }, (_, i) => ({
    t: Date.parse(at(0)) / 1000 - 5 + i,
    requests: 20,
    failures: i > 5 && i < 36 ? 20 : 0,
    successRate: i > 5 && i < 36 ? 0 : 1,
    p95Ms: 12,
  })),
  faults: [{ id: 'cart-drop', label: 'drop on production/app=cart-service-v1', from: at(-2), to: at(31) }],
  generatedAt: at(50),
};

describe('incident report', () => {
  test('Markdown has the summary, diagnosis, findings worst first, decisions, actions and a timeline', () => {
    const md = renderMarkdown(input);
    expect(md).toMatch(/^# Traffic between pods vanished: completed/);
    expect(md).toContain('- traffic: 600 of 1000 probe requests failed; worst second 0% success, worst p95 12 ms');
    expect(md).toContain(
      '1. **Packets between two workloads are dropped** (`pod-to-pod-drop`, 92%) — Dropped flows from frontend to cart.',
    );
    expect(md.indexOf('**critical**')).toBeLessThan(md.indexOf('**info**'));
    expect(md).toContain('**stop-fault** chosen at `choose` by bob');
    expect(md).toContain('- `check` (verify): traffic verified after 3 probe(s)');
    expect(md).toContain('| 03:00:30 | decided stop-fault by bob |');
    expect(md).toContain('`cart-drop`: drop on production/app=cart-service-v1');
  });

  test('HTML is one self-contained page with the chart, and evidence text is escaped', () => {
    const html = renderHtml(input);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)="http/);
    expect(html).toContain('<svg');
    expect((html.match(/class="fault"/g) ?? []).length).toBe(1);
    expect(html).toContain('decided stop-fault by bob');
    expect(html).toMatch(/<path d="M[\d.]+,[\d.]+ L/);
  });

  test('without probe data the chart says so instead of drawing nothing', () => {
    expect(renderHtml({ ...input, series: [] })).toContain('no probe data for this run');
  });
});
