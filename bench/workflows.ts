// Workflows for the runbook benchmark: the interpreter, and the baseline it is
// measured against — a bare workflow that runs one trivial activity.
import { proxyActivities } from '@temporalio/workflow';
import type { StepCall } from '../model/index.ts';
import { presets } from '../workflows/index.ts';

export { runbookWorkflow } from '../workflows/index.ts';

const { testCollect } = proxyActivities<{ testCollect(call: StepCall): Promise<unknown> }>(presets.short);

export async function bareWorkflow(call: StepCall): Promise<unknown> {
  return testCollect(call);
}
