// A run of lookups the way a busy pod makes them: `concurrency` lanes, each
// with its own resolver state (as each thread has its own in glibc), names
// taken in turn. Past its first lookup, a lane starts another only while a
// lost query could still show before the end; at the end whatever is in
// flight is cut and reported as it stands (PENDING, with the time it has
// waited so far).
import type { DnsLookupPlan, DnsLookupSample } from '../../model/index.ts';
import { lookup, type LaneState } from './resolver.ts';

export async function runLookups(plan: DnsLookupPlan): Promise<DnsLookupSample[]> {
  const results: DnsLookupSample[] = [];
  const rotation = { next: 0 };
  let next = 0;
  const lanes = Math.max(1, Math.min(plan.concurrency, plan.lookups));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      const lane: LaneState = {
        singleRequest: plan.resolver.singleRequest,
        singleRequestReopen: plan.resolver.singleRequestReopen,
      };
      // Each lane's first lookup starts whatever the time (fewer samples, never none).
      while (
        next < plan.lookups &&
        Date.now() < plan.endBy &&
        (next < lanes || Date.now() + plan.lossAfterMs <= plan.endBy)
      ) {
        const index = next++;
        const name = plan.names[index % plan.names.length] as string;
        results[index] = await lookup(name, {
          conf: plan.resolver,
          lane,
          rotation,
          lossAfterMs: plan.lossAfterMs,
          endBy: plan.endBy,
        });
      }
    }),
  );
  return results.filter((r): r is DnsLookupSample => r !== undefined);
}
