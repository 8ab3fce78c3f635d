// The crash drill: traffic-vanish's shape (gather, diagnose, a decision in
// Slack, the chosen fix, a route patch with its undo, verify, report) on the
// crash activities, so a matrix of kills needs no cluster.
import {
  defaultCatalogue,
  extendCatalogue,
  formatProblem,
  validateRunbook,
  type CompiledRunbook,
} from '../../runbooks/index.ts';

export const crashCatalogue = extendCatalogue(defaultCatalogue, {
  collectors: { 'crash-evidence': { activity: 'crashEvidence', description: 'fixed findings; can be held' } },
  actions: {
    'crash-restart': { activity: 'crashRestart', destructive: false, description: 'a restart stamped with its key' },
    'crash-route-patch': {
      activity: 'crashRoutePatch',
      undo: 'crashRouteUnpatch',
      destructive: false,
      description: 'a route patch stamped with its key',
    },
  },
  probes: { 'crash-probe': { activity: 'crashProbe', description: 'counts its calls' } },
  builtins: { diagnose: 'crashDiagnose', notify: 'notify' },
});

export const CRASH_STEPS = ['gather', 'choose', 'fix', 'shift', 'check'] as const;
export type CrashStep = (typeof CRASH_STEPS)[number];

function compile(): CompiledRunbook {
  const result = validateRunbook(
    {
      name: 'crash-drill',
      title: 'Traffic vanishes (crash drill)',
      parameters: { namespace: { type: 'string', default: 'staging' } },
      steps: [
        { id: 'gather', kind: 'gather', collectors: [{ collector: 'crash-evidence', timeout: '20s' }] },
        { id: 'diagnose', kind: 'diagnose' },
        {
          id: 'choose',
          kind: 'decide',
          question: 'Traffic vanishes in ${params.namespace}. Apply a fix?',
          optionsFrom: { step: 'diagnose' },
          deciders: { roles: ['responder', 'approver'] },
          timeout: '30m',
          default: 'deny',
        },
        { id: 'fix', kind: 'act', fromDecision: 'choose', timeout: '10s' },
        { id: 'shift', kind: 'act', action: 'crash-route-patch', compensate: true, timeout: '10s' },
        {
          id: 'check',
          kind: 'verify',
          probe: 'crash-probe',
          condition: { path: 'result.calls', op: 'gte', value: 2 },
          deadline: '5m',
          interval: '1s',
        },
        { id: 'tell', kind: 'notify', message: 'crash drill in ${params.namespace}: ${steps.choose.choice}' },
      ],
    },
    { catalogue: crashCatalogue },
  );
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('; '));
  return result.runbook;
}

export const crashRunbook = compile();
