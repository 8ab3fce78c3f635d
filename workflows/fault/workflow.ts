// The fault lifetime: validate, resolve, check capabilities, record the undo,
// inject on each target's node, read a verdict, hold until the deadline (or
// an abort, a failed stop condition, a cancellation), then revert in a
// non-cancellable scope and return the counters. Every way out runs the
// same revert.
import * as wf from '@temporalio/workflow';
import type { InjectRequest, NodeTarget } from '../../model/index.ts';
import { ErrorType, failure, PROTECTED_PEERS_ROLE } from '../../model/index.ts';
import { agent, control, errorMessage, errorType, probe, revertingAgent } from './activities.ts';
import { faultAbortSignal, faultStatusQuery, type FaultInput, type FaultStatus } from './messages.ts';
import { validateFault, type ValidFault } from './spec.ts';
import { FaultRun, sum } from './state.ts';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Errors that mean "this fault may not or cannot run here", not "something broke". */
const REFUSALS: string[] = [ErrorType.InvalidInput, ErrorType.Unsupported, ErrorType.Refused, ErrorType.Forbidden];
/**
 * Stop conditions name catalogue probes only (a probe name is no longer taken
 * as any activity's name), and the requester's roles reach the node agents.
 * Runs recorded before it replay as they ran.
 */
export const CATALOGUE_PROBES_PATCH = 'fault-catalogue-probes';

export async function faultWorkflow(input: FaultInput): Promise<FaultStatus> {
  const faultId = wf.workflowInfo().workflowId;
  const run = new FaultRun(faultId, input, new Date());
  wf.setHandler(faultStatusQuery, () => run.status);
  wf.setHandler(faultAbortSignal, (request) => run.end('aborted', new Date(), request.reason));

  const checked = validateFault(input.spec, input.limits, { legacyProbes: !wf.patched(CATALOGUE_PROBES_PATCH) });
  const problems = [
    ...(SAFE_ID.test(faultId) ? [] : [`faultId: "${faultId}" must be letters, digits, "-", "_" or "."`]),
  ];
  if (!checked.ok) problems.push(...checked.problems);
  if (problems.length > 0 || !checked.ok) {
    run.refuse(problems, new Date());
    run.finish(new Date());
    throw failure(ErrorType.InvalidInput, `fault ${faultId} refused:\n  - ${problems.join('\n  - ')}`, run.status);
  }
  const fault = checked.fault;
  run.accept(fault);

  let failed: unknown;
  try {
    await live(run, fault, input);
  } catch (err) {
    failed = err;
    if (wf.isCancellation(err)) run.end('cancelled', new Date());
    else if (REFUSALS.includes(errorType(err) ?? '')) run.refuse([errorMessage(err)], new Date());
    else run.fail(errorMessage(err), new Date());
  }
  await wf.CancellationScope.nonCancellable(() => revert(run));
  run.finish(new Date());
  if (failed !== undefined) {
    if (wf.isCancellation(failed)) throw failed;
    throw wf.ApplicationFailure.create({
      type: errorType(failed) ?? ErrorType.Transient,
      message: `fault ${faultId} ${run.status.state === 'refused' ? 'refused' : 'failed'}: ${errorMessage(failed)}`,
      nonRetryable: true,
      details: [run.status],
    });
  }
  return run.status;
}

async function live(run: FaultRun, fault: ValidFault, input: FaultInput): Promise<void> {
  const targets = await resolveTargets(fault, input);
  run.setTargets(targets);
  await checkCapabilities(fault, targets);
  const deadline = new Date(Date.now() + fault.durationMs);
  const allowProtected = (input.requestedBy?.roles ?? []).includes(PROTECTED_PEERS_ROLE);
  const requests: InjectRequest[] = targets.map((target, i) => ({
    faultId: run.status.faultId,
    key: `t${i}`,
    target,
    kind: fault.kind,
    match: fault.match,
    magnitude: fault.magnitude,
    deadline: deadline.toISOString(),
    ...(allowProtected ? { allowProtected } : {}),
  }));
  const plans = await Promise.all(requests.map((r) => agent(r.target.node).inject({ ...r, dryRun: true })));
  run.record(
    plans.map((p) => p.plan),
    deadline,
  );
  await wf.upsertMemo({ nodes: [...new Set(targets.map((t) => t.node))], deadline: deadline.toISOString() });
  if (input.dryRun) {
    run.end('dry-run', new Date());
    return;
  }
  if (run.ended) return;
  // An inject in flight finishes even on cancellation, so the revert after it sees what it did.
  await wf.CancellationScope.nonCancellable(() =>
    Promise.all(requests.map(async (r) => run.injected(await agent(r.target.node).inject(r)))),
  );
  run.holding();
  await endedWithin(run, Math.min(fault.verdictAfterMs, deadline.getTime() - Date.now()));
  if (!run.ended) {
    try {
      run.setCounters(await readCounters(run), new Date());
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      // No verdict yet is not a reason to end the fault: the final counters give one.
      wf.log.warn('could not read fault counters for the verdict', { error: errorMessage(err) });
    }
  }
  await hold(run, fault, deadline);
}

/** Waits up to ms for the run to end; true if it did. (condition() takes a 0 timeout as none.) */
async function endedWithin(run: FaultRun, ms: number): Promise<boolean> {
  return ms > 0 ? wf.condition(() => run.ended, ms) : run.ended;
}

async function resolveTargets(fault: ValidFault, input: FaultInput): Promise<NodeTarget[]> {
  const { target } = fault;
  if (target.type === 'direct') {
    return [{ node: target.node, interface: target.interface, ...(target.netns ? { netns: target.netns } : {}) }];
  }
  const pods = await control.resolveFaultTargets({ namespace: target.namespace, selector: target.selector });
  if (pods.length > input.limits.maxPods) {
    throw failure(
      ErrorType.Refused,
      `target: the selector matches ${pods.length} pods, more than the limit of ${input.limits.maxPods}`,
    );
  }
  return pods.map((p) => ({ node: p.node, pod: p.pod }));
}

async function checkCapabilities(fault: ValidFault, targets: NodeTarget[]): Promise<void> {
  const nodes = [...new Set(targets.map((t) => t.node))];
  const caps = await Promise.all(nodes.map((node) => agent(node).capabilities()));
  for (const c of caps) {
    if (c.attachMode === 'none') {
      throw failure(ErrorType.Unsupported, `node ${c.node} cannot attach faults: ${c.problems.join('; ')}`);
    }
    if (fault.kind === 'delay' && !c.fq) {
      throw failure(
        ErrorType.Unsupported,
        `node ${c.node} cannot delay packets: its kernel lacks sch_fq (the fq qdisc that holds packets ` +
          'until their departure time); nothing was attached',
      );
    }
  }
}

async function readCounters(run: FaultRun) {
  const nodes = [...new Set(run.status.undo.map((u) => u.node))];
  const results = await Promise.all(nodes.map((node) => agent(node).counters({ faultId: run.status.faultId })));
  return sum(results.map((r) => r.total));
}

/** Waits for the deadline, an abort or a failed stop condition; cancellation throws. */
async function hold(run: FaultRun, fault: ValidFault, deadline: Date): Promise<void> {
  const probes = new wf.CancellationScope();
  const watching = probes.run(() => Promise.all(fault.stopWhen.map((stop, i) => watch(run, stop, i))));
  watching.catch(() => undefined);
  try {
    const ended = await endedWithin(run, deadline.getTime() - Date.now());
    if (!ended) run.end('duration', new Date());
  } finally {
    probes.cancel();
  }
}

async function watch(run: FaultRun, stop: ValidFault['stopWhen'][number], index: number): Promise<void> {
  const check = probe(stop.probe, stop.activity ?? stop.probe, stop.everyMs);
  const { workflowId } = wf.workflowInfo();
  const stepId = `stop-${index}`;
  while (!run.ended) {
    try {
      await check({
        params: stop.params,
        context: { workflowId, runbook: 'fault', stepId, key: `${workflowId}/${stepId}` },
      });
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      run.end('stop-condition', new Date(), `${stop.probe} failed: ${errorMessage(err)}`);
      return;
    }
    await wf.sleep(stop.everyMs);
  }
}

/** Reverts every recorded attachment, node by node; a failing node does not stop the others. */
async function revert(run: FaultRun): Promise<void> {
  const nodes = [...new Set(run.status.undo.map((u) => u.node))];
  if (nodes.length === 0 || run.status.end?.reason === 'dry-run') return;
  run.reverting();
  await Promise.all(
    nodes.map(async (node) => {
      try {
        run.reverted(await revertingAgent(node).revert({ faultId: run.status.faultId }));
      } catch (err) {
        run.revertFailed(node, errorMessage(err));
      }
    }),
  );
  const final = run.status.reverts.flatMap((r) => r.attachments.flatMap((a) => (a.counters ? [a.counters] : [])));
  if (final.length > 0) run.setCounters(sum(final), new Date());
}
