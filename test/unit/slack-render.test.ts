// What a run's thread shows when every string in it comes from an alert, a
// parameter or a person: escaped everywhere (blocks and the fallback text a
// notification shows), so none of it mentions `@channel` or makes a link, and
// bounded, so one long finding cannot crowd out the rest.
import { renderRun } from '../../activities/index.ts';
import type { RunStatus } from '../../model/index.ts';

const HOSTILE = '<!channel> & <https://evil.example|click here> <!here>';

function hostileRun(): RunStatus {
  const finding = (summary: string) => ({
    kind: 'flows.drop',
    severity: 'critical' as const,
    summary,
    source: HOSTILE,
  });
  return {
    runbook: 'traffic-vanish',
    title: `Traffic vanishes ${HOSTILE}`,
    state: 'waiting',
    requestedBy: { id: 'alertmanager', name: `alert ${HOSTILE}`, via: 'alert' },
    params: { namespace: HOSTILE },
    currentStep: 'choose',
    steps: [
      {
        id: 'gather',
        kind: 'gather',
        title: `Gather ${HOSTILE}`,
        status: 'done',
        result: {
          collectors: {
            flows: {
              collector: 'flows',
              ok: true,
              durationMs: 5,
              findings: [finding(HOSTILE), finding('x'.repeat(5000))],
            },
            dns: { collector: 'dns', ok: false, durationMs: 5, error: HOSTILE, findings: [] },
          },
        },
      },
      { id: 'diagnose', kind: 'diagnose', title: 'Diagnose', status: 'done' },
      { id: 'act', kind: 'act', title: 'Act', status: 'failed', error: HOSTILE },
      { id: 'choose', kind: 'decide', title: 'Choose', status: 'running' },
    ],
    diagnosis: {
      hypotheses: [
        {
          id: 'pod-to-pod-drop',
          title: HOSTILE,
          confidence: 0.9,
          explanation: HOSTILE,
          evidence: [HOSTILE],
          remediations: [{ id: 'stop', title: HOSTILE, action: 'stop-fault', params: {}, destructive: false }],
        },
      ],
    },
    pendingDecision: {
      step: 'choose',
      question: `Apply a fix in ${HOSTILE}?`,
      options: [{ id: 'stop', label: HOSTILE, action: 'stop-fault' }],
      deadline: '2026-11-26T03:15:00Z',
      default: 'deny',
      deciders: { roles: ['responder'], users: [] },
      secondPerson: true,
    },
    decisions: [],
    compensations: [],
    startedAt: '2026-11-26T03:00:00Z',
    alerts: [],
    abort: { reason: HOSTILE },
  };
}

/** Every mrkdwn text in blocks: what Slack parses for mentions and links (plain_text it shows as it is). */
function mrkdwn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwn);
  if (value === null || typeof value !== 'object') return [];
  const node = value as Record<string, unknown>;
  const own = node.type === 'mrkdwn' && typeof node.text === 'string' ? [node.text] : [];
  return [...own, ...Object.values(node).flatMap(mrkdwn)];
}

test("no mrkdwn and no fallback text of the thread carries a mention or a link from the run's strings", () => {
  const thread = renderRun('run-1', hostileRun(), new Date('2026-11-26T03:05:00Z'));
  const drafts = [thread.parent, ...thread.replies];
  expect(drafts.map((d) => d.key)).toEqual([
    'run-1',
    'run-1#evidence:gather',
    'run-1#diagnosis',
    'run-1#decision:choose',
  ]);
  for (const draft of drafts) {
    const parsed = [draft.text, ...mrkdwn(draft.blocks)];
    expect(parsed.length).toBeGreaterThan(1);
    for (const text of parsed) expect(text).not.toMatch(/<!channel>|<!here>|<https:/);
    expect(draft.text.length).toBeLessThanOrEqual(300);
  }
  // Escaped, not dropped: the person still reads what was there.
  expect(thread.parent.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;');
  const decision = thread.replies.find((d) => d.key === 'run-1#decision:choose');
  expect(decision?.text).toContain('Decision needed: Apply a fix in &lt;!channel&gt;');
});

test('one long finding is cut, and the others are still shown', () => {
  const thread = renderRun('run-1', hostileRun(), new Date('2026-11-26T03:05:00Z'));
  const evidence = JSON.stringify(thread.replies.find((d) => d.key === 'run-1#evidence:gather')?.blocks);
  expect(evidence).toContain('x'.repeat(200));
  expect(evidence).not.toContain('x'.repeat(400));
  expect(evidence).toContain('&lt;!channel&gt;');
});

test('a decision says which options need four eyes, and who has given the first of two approvals', () => {
  const run = hostileRun();
  run.requestedBy = { id: 'alertmanager', name: 'alert CheckoutDown', via: 'alert' };
  run.pendingDecision = {
    ...run.pendingDecision!,
    options: [
      { id: 'restart', label: 'Restart DNS', action: 'rollout-restart', fourEyes: ['destructive', 'kube-system'] },
      { id: 'stop', label: 'Stop the fault', action: 'stop-fault' },
    ],
    twoPeople: true,
    firstApproval: {
      option: 'restart',
      by: { id: 'U0ALICE', name: 'alice', via: 'slack' },
      at: '2026-11-26T03:04:00Z',
    },
  };
  const thread = renderRun('run-1', run, new Date('2026-11-26T03:05:00Z'));
  const text = mrkdwn(thread.replies.find((d) => d.key === 'run-1#decision:choose')?.blocks).join('\n');
  expect(text).toContain('🔒 *Restart DNS* changes destructive, kube-system');
  expect(text).not.toContain('*Stop the fault* changes');
  expect(text).toContain('an alert started this run: two people must choose these, the second an approver');
  expect(text).toMatch(/✋ <@U0ALICE> chose \*Restart DNS\* .*it runs when an approver other than them chooses it too/);
});
