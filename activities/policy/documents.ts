// The edge of the analyser: policy documents (YAML or JSON, one or many,
// `kind: List` too) parsed with zod into raw objects of the kinds we read.
// Anything else is reported, not dropped silently.
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { Unsupported } from './types.ts';

export const selectorSchema = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
      .optional(),
  })
  .loose();

export const metadataSchema = z
  .object({
    name: z.string().min(1),
    namespace: z.string().optional(),
    generation: z.number().optional(),
    resourceVersion: z.string().optional(),
    creationTimestamp: z.string().optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    managedFields: z.array(z.object({ time: z.string().optional() }).loose()).optional(),
  })
  .loose();

const objectSchema = z
  .object({ apiVersion: z.string().optional(), kind: z.string(), metadata: metadataSchema })
  .loose();

export type PolicyObject = z.infer<typeof objectSchema>;

export const POLICY_KINDS = ['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'] as const;

export interface Loaded {
  objects: PolicyObject[];
  skipped: Unsupported[];
}

/** Policy objects from already-parsed values (API answers, JSON), flattening lists. */
export function policyObjects(values: unknown[], origin = 'input'): Loaded {
  const objects: PolicyObject[] = [];
  const skipped: Unsupported[] = [];
  const visit = (value: unknown, where: string) => {
    if (value === null || value === undefined) return;
    const list = z
      .object({ items: z.array(z.unknown()) })
      .loose()
      .safeParse(value);
    if (
      list.success &&
      (value as { kind?: unknown }).kind !== undefined &&
      String((value as { kind: unknown }).kind).endsWith('List')
    ) {
      list.data.items.forEach((item, i) => visit(item, `${where}.items[${i}]`));
      return;
    }
    const parsed = objectSchema.safeParse(value);
    if (!parsed.success) {
      skipped.push({ policy: where, path: '', note: `not a Kubernetes object: ${z.prettifyError(parsed.error)}` });
    } else if (!(POLICY_KINDS as readonly string[]).includes(parsed.data.kind)) {
      skipped.push({
        policy: `${parsed.data.kind}/${parsed.data.metadata.name}`,
        path: 'kind',
        note: `kind ${parsed.data.kind} is not a policy the analyser reads (${POLICY_KINDS.join(', ')})`,
      });
    } else {
      objects.push(parsed.data);
    }
  };
  values.forEach((value, i) => visit(value, values.length > 1 ? `${origin}[${i}]` : origin));
  return { objects, skipped };
}

/** Policy objects from YAML or JSON text with one or more documents. */
export function policyObjectsFromText(text: string, origin: string): Loaded {
  const docs = parseAllDocuments(text);
  const values: unknown[] = [];
  const skipped: Unsupported[] = [];
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (doc.errors.length) {
      skipped.push({
        policy: `${origin} document ${i + 1}`,
        path: '',
        note: `YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'error'}`,
      });
      continue;
    }
    values.push(doc.toJS());
  }
  const loaded = policyObjects(values, origin);
  return { objects: loaded.objects, skipped: [...skipped, ...loaded.skipped] };
}

/** Report every key of `value` not in `known`, as unsupported at `path`. */
export function unknownKeys(
  value: unknown,
  known: readonly string[],
  policy: string,
  path: string,
  out: Unsupported[],
): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      out.push({ policy, path: path ? `${path}.${key}` : key, note: 'field not evaluated by the analyser' });
  }
}

/** When the object last changed: the newest managedFields time, else its creation. */
export function changedAt(meta: PolicyObject['metadata']): string | undefined {
  const times = (meta.managedFields ?? []).flatMap((f) => (f.time ? [f.time] : [])).sort();
  return times[times.length - 1] ?? meta.creationTimestamp;
}
