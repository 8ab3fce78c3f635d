// What every stand-in API method shares: its signature, Slack-style errors,
// and zod helpers for form fields that carry JSON, numbers or booleans.
import { z } from 'zod';
import type { Workspace } from '../workspace.ts';

export interface MethodContext {
  ws: Workspace;
  /** Base URL of the stand-in, for upload URLs and permalinks. */
  baseUrl: string;
}

export interface Method<S extends z.ZodType = z.ZodType> {
  args: S;
  run(args: z.infer<S>, ctx: MethodContext): Record<string, unknown>;
}

export function method<S extends z.ZodType>(
  args: S,
  run: (args: z.infer<S>, ctx: MethodContext) => Record<string, unknown>,
): Method {
  return { args, run } as Method;
}

/** A Slack error code, answered as {ok: false, error}. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

/** A form field holding JSON (form bodies stringify objects), or the value itself (JSON bodies). */
export function json<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
}

export const flag = z.preprocess((v) => (typeof v === 'string' ? v === 'true' || v === '1' : v), z.boolean());
export const count = z.coerce.number().int().min(1).max(1000);

export const metadataSchema = z.strictObject({
  event_type: z.string().regex(/^[a-zA-Z0-9_]{1,255}$/),
  event_payload: z.record(z.string(), z.unknown()),
});

export function channelOf(ctx: MethodContext, ref: string): string {
  const channel = ctx.ws.channel(ref);
  if (!channel) throw new ApiError('channel_not_found');
  return channel.id;
}
