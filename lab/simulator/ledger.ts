// The simulator's record of the pods it runs on this machine: their network
// namespaces, veths, IPs and process ids. Written to <lab>/pods.json on every
// change so `lab status` can show it and `lab down` can undo it even when
// the simulator is gone.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeJsonAtomic } from '../files.ts';

export const ledgerProcessSchema = z.object({
  container: z.string(),
  pid: z.number().int().positive(),
  startTime: z.number().int().nonnegative(),
});

export const ledgerPodSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  node: z.string(),
  nodeNetns: z.string(),
  netns: z.string(),
  hostVeth: z.string(),
  ip: z.string(),
  /** The pod runs in its node's namespace (`netns`), which is not the pod's to remove. */
  hostNetwork: z.boolean().optional(),
  processes: z.array(ledgerProcessSchema),
});
export type LedgerPod = z.infer<typeof ledgerPodSchema>;

const ledgerSchema = z.object({ pods: z.array(ledgerPodSchema) });

export function readLedger(path: string): LedgerPod[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  try {
    const parsed = ledgerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.pods : [];
  } catch {
    return [];
  }
}

export class Ledger {
  readonly path: string;
  private readonly pods = new Map<string, LedgerPod>();

  constructor(path: string) {
    this.path = path;
  }

  get(uid: string): LedgerPod | undefined {
    return this.pods.get(uid);
  }

  all(): LedgerPod[] {
    return [...this.pods.values()];
  }

  put(pod: LedgerPod): void {
    this.pods.set(pod.uid, pod);
    this.save();
  }

  remove(uid: string): void {
    this.pods.delete(uid);
    this.save();
  }

  private save(): void {
    writeJsonAtomic(this.path, { pods: this.all() });
  }
}
