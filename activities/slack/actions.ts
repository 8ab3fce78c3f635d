// What a decision button carries, shared by the renderer (which makes the
// buttons) and the gateway (which reads the click). Parsed with zod: a click
// is input from outside.
import { z } from 'zod';

/** Every decision button's action_id starts with this; the option id follows. */
export const DECIDE_ACTION_PREFIX = 'nightshift:decide:';
export const DECIDE_ACTION = /^nightshift:decide:/;

export const decideValueSchema = z.strictObject({
  /** Workflow id of the run. */
  r: z.string().min(1).max(400),
  /** The decide step. */
  s: z.string().min(1).max(100),
  /** The option id (or "deny"). */
  o: z.string().min(1).max(100),
});

export type DecideValue = z.infer<typeof decideValueSchema>;

export function decideActionId(option: string): string {
  return `${DECIDE_ACTION_PREFIX}${option}`;
}

export function encodeDecideValue(value: DecideValue): string {
  return JSON.stringify(value);
}

/** The button's value, or why it cannot be read. */
export function decodeDecideValue(
  text: string | undefined,
): { ok: true; value: DecideValue } | { ok: false; problem: string } {
  if (!text) return { ok: false, problem: 'the button has no value' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the button value is not JSON' };
  }
  const parsed = decideValueSchema.safeParse(raw);
  if (!parsed.success)
    return { ok: false, problem: `the button value is malformed (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  return { ok: true, value: parsed.data };
}
