// nightshift's own record of policy versions it has seen: every time the
// Kubernetes collector reads a policy whose content changed, the new content
// is kept (the last 10 per policy), so restore-policy knows what came before.
// Stored as one JSON file per policy under the data directory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export interface PolicyVersion {
  hash: string;
  seenAt: string;
  resourceVersion?: string;
  /** The policy's content: { spec } or { specs } (Cilium), as JSON. */
  content: unknown;
}

export interface PolicyKey {
  kind: string;
  namespace?: string;
  name: string;
}

export interface PolicyHistory {
  /** Keep this content as the newest version unless it already is; true when it was new. */
  record(key: PolicyKey, content: unknown, resourceVersion: string | undefined, seenAt: string): Promise<boolean>;
  /** Oldest first. */
  versions(key: PolicyKey): Promise<PolicyVersion[]>;
}

const versionsSchema = z.array(
  z.object({ hash: z.string(), seenAt: z.string(), resourceVersion: z.string().optional(), content: z.unknown() }),
);

/** Canonical JSON (sorted keys), so equal content hashes equally. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export const contentHash = (content: unknown) =>
  createHash('sha256').update(canonical(content)).digest('hex').slice(0, 16);

/** The part of a policy object that restore-policy puts back. */
export function policyContent(object: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(object.spec !== undefined ? { spec: object.spec } : {}),
    ...(object.specs !== undefined ? { specs: object.specs } : {}),
  };
}

export class FilePolicyHistory implements PolicyHistory {
  private readonly dir: string;
  private readonly keep: number;

  constructor(dir: string, keep = 10) {
    this.dir = dir;
    this.keep = keep;
  }

  private file(key: PolicyKey): string {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
    return join(this.dir, `${safe(key.kind)}.${safe(key.namespace ?? '_cluster')}.${safe(key.name)}.json`);
  }

  async versions(key: PolicyKey): Promise<PolicyVersion[]> {
    try {
      return versionsSchema.parse(JSON.parse(await readFile(this.file(key), 'utf8')));
    } catch {
      return [];
    }
  }

  async record(
    key: PolicyKey,
    content: unknown,
    resourceVersion: string | undefined,
    seenAt: string,
  ): Promise<boolean> {
    const list = await this.versions(key);
    const hash = contentHash(content);
    if (list[list.length - 1]?.hash === hash) return false;
    list.push({ hash, seenAt, ...(resourceVersion ? { resourceVersion } : {}), content });
    await mkdir(this.dir, { recursive: true });
    const file = this.file(key);
    // A temporary file of this writer's own: the recorder and a collector may record at once.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(list.slice(-this.keep), null, 1));
    await rename(tmp, file);
    return true;
  }
}
