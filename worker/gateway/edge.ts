// The Slack endpoint's edge: before Bolt sees a request, its headers,
// timestamp (five minutes either way) and v0 signature are checked (401 with
// the reason, nothing else happens), then its body's shape: what is not a
// Slack shape at all gets 400/415; a signed Slack shape nightshift does not
// handle is acked with an ephemeral message saying so. The buffered body is
// handed on, so Bolt does not read it again.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { escapeSlack } from '../../activities/index.ts';
import { COMMAND, eventsSchema, interactionSchema, slashCommandSchema } from './payloads.ts';

export const MAX_AGE_SECONDS = 5 * 60;
const MAX_BODY = 1024 * 1024;

export type Rejection = { status: 400 | 401 | 413 | 415; reason: string };

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function verifySignature(
  secret: string,
  headers: IncomingMessage['headers'],
  body: string,
  nowMs = Date.now(),
): Rejection | undefined {
  const signature = headers['x-slack-signature'];
  const stamp = headers['x-slack-request-timestamp'];
  if (typeof signature !== 'string' || !signature) return { status: 401, reason: 'missing x-slack-signature header' };
  if (typeof stamp !== 'string' || !stamp) return { status: 401, reason: 'missing x-slack-request-timestamp header' };
  if (!/^\d{1,12}$/.test(stamp)) return { status: 401, reason: 'malformed x-slack-request-timestamp header' };
  if (Math.abs(nowMs / 1000 - Number(stamp)) > MAX_AGE_SECONDS)
    return { status: 401, reason: 'request timestamp is more than five minutes away (replay?)' };
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${stamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { status: 401, reason: 'signature mismatch' };
  return undefined;
}

/**
 * A signed request in a shape Slack sends but nightshift does not handle (an
 * interaction type other than block_actions, a payload that is not JSON, a
 * command that is not /nightshift, a field missing): it is acked at once with
 * an ephemeral message saying so, and that message also goes to the
 * response_url when there is one (Slack shows nothing of an interaction's ack).
 */
export type Unhandled = { kind: string; text: string; responseUrl?: string };

export type BodyVerdict = { ok: true } | { ok: false; rejection: Rejection } | { ok: false; unhandled: Unhandled };

const issue = (error: z.ZodError) => {
  const first = error.issues[0];
  return first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'invalid body';
};

/** A string from a parsed value, shortened, with Slack's control characters escaped (it is echoed back). */
const shown = (value: unknown, max = 40) => escapeSlack(String(value).slice(0, max)).replace(/`/g, "'");

function urlIn(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const url: unknown = (payload as { response_url?: unknown }).response_url;
  return typeof url === 'string' && URL.canParse(url) && /^https?:/.test(url) ? url : undefined;
}

function interaction(raw: string): BodyVerdict {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      unhandled: {
        kind: 'payload-not-json',
        text: 'nightshift could not read that: its payload is not JSON. Nothing changed.',
      },
    };
  }
  const type = payload !== null && typeof payload === 'object' ? (payload as { type?: unknown }).type : undefined;
  const responseUrl = urlIn(payload);
  const reply = (kind: string, text: string): BodyVerdict => ({
    ok: false,
    unhandled: { kind, text, ...(responseUrl ? { responseUrl } : {}) },
  });
  if (type !== 'block_actions')
    return reply(
      'interaction-type',
      `nightshift does not handle ${typeof type === 'string' ? `\`${shown(type)}\`` : 'untyped'} interactions (only buttons in its messages). Nothing changed.`,
    );
  const parsed = interactionSchema.safeParse(payload);
  return parsed.success
    ? { ok: true }
    : reply(
        'interaction-shape',
        `nightshift could not read that click (${shown(issue(parsed.error), 120)}). Nothing changed.`,
      );
}

function command(form: Record<string, string>): BodyVerdict {
  const reply = (kind: string, text: string): BodyVerdict => ({
    ok: false,
    unhandled: { kind, text: `${text} Nothing changed.` },
  });
  if (form.command !== undefined && form.command !== COMMAND)
    return reply('command', `This app answers ${COMMAND} only; \`${shown(form.command)}\` is not one of its commands.`);
  const parsed = slashCommandSchema.safeParse(form);
  return parsed.success
    ? { ok: true }
    : reply('command-shape', `nightshift could not read that command (${shown(issue(parsed.error), 120)}).`);
}

/** What to do with a signed body: hand it to Bolt, refuse it (not a Slack shape), or answer it as unhandled. */
export function checkBody(contentType: string | undefined, body: string): BodyVerdict {
  const type = (contentType ?? '').split(';')[0]?.trim();
  if (type === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(body));
    return typeof form.payload === 'string' ? interaction(form.payload) : command(form);
  }
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { ok: false, rejection: { status: 400, reason: 'body is not JSON' } };
    }
    const parsed = eventsSchema.safeParse(json);
    if (parsed.success) return { ok: true };
    // Acked, so Slack does not retry an event nightshift has no use for.
    return { ok: false, unhandled: { kind: 'event', text: 'nightshift does not handle this event.' } };
  }
  return { ok: false, rejection: { status: 415, reason: `unsupported content type ${type || '(none)'}` } };
}

/** Tell the person through the response_url; best effort, after the ack. */
async function tell(url: string, text: string): Promise<void> {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
    signal: AbortSignal.timeout(5_000),
  });
}

async function buffer(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface EdgeHooks {
  /** A request refused (4xx). */
  reject?: (rejection: Rejection) => void;
  /** A signed request nightshift acked without handling. */
  unhandled?: (unhandled: Unhandled) => void;
  /** A response_url reply that could not be sent. */
  failedToTell?: (err: unknown) => void;
}

export function slackEdge(secret: string, next: Handler, hooks: EdgeHooks = {}): Handler {
  return (req, res) => {
    const reject = (rejection: Rejection) => {
      hooks.reject?.(rejection);
      res.writeHead(rejection.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: rejection.reason }));
    };
    const answer = (unhandled: Unhandled) => {
      hooks.unhandled?.(unhandled);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response_type: 'ephemeral', text: unhandled.text }));
      if (unhandled.responseUrl) tell(unhandled.responseUrl, unhandled.text).catch((err) => hooks.failedToTell?.(err));
    };
    buffer(req)
      .then((raw) => {
        if (!raw) return reject({ status: 413, reason: 'body too large' });
        const body = raw.toString('utf8');
        // Slack's certificate check carries no signature and asks for nothing but a 200.
        if (new URLSearchParams(body).get('ssl_check') === '1') return res.writeHead(200).end();
        const rejection = verifySignature(secret, req.headers, body);
        if (rejection) return reject(rejection);
        const verdict = checkBody(req.headers['content-type'], body);
        if ('rejection' in verdict) return reject(verdict.rejection);
        if ('unhandled' in verdict) return answer(verdict.unhandled);
        // Bolt reads a body already buffered here instead of the spent stream.
        Object.assign(req, { rawBody: raw });
        next(req, res);
      })
      .catch(() => reject({ status: 400, reason: 'could not read the body' }));
  };
}
