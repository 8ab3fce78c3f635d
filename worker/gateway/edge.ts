// The Slack endpoint's edge: before Bolt sees a request, its headers,
// timestamp (five minutes either way) and v0 signature are checked (401 with
// the reason, nothing else happens), then its body's shape (400 with the
// reason). The buffered body is handed on, so Bolt does not read it again.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { eventsSchema, interactionSchema, slashCommandSchema } from './payloads.ts';

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

/** Why the body is not something nightshift handles, or undefined when it is. */
export function checkBody(contentType: string | undefined, body: string): Rejection | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim();
  const issue = (error: z.ZodError) => {
    const first = error.issues[0];
    return first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'invalid body';
  };
  if (type === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(body));
    if (typeof form.payload === 'string') {
      let payload: unknown;
      try {
        payload = JSON.parse(form.payload);
      } catch {
        return { status: 400, reason: 'payload is not JSON' };
      }
      const parsed = interactionSchema.safeParse(payload);
      return parsed.success ? undefined : { status: 400, reason: issue(parsed.error) };
    }
    const parsed = slashCommandSchema.safeParse(form);
    return parsed.success ? undefined : { status: 400, reason: issue(parsed.error) };
  }
  if (type === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { status: 400, reason: 'body is not JSON' };
    }
    const parsed = eventsSchema.safeParse(json);
    return parsed.success ? undefined : { status: 400, reason: issue(parsed.error) };
  }
  return { status: 415, reason: `unsupported content type ${type || '(none)'}` };
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

export function slackEdge(
  secret: string,
  next: Handler,
  onReject: (rejection: Rejection) => void = () => undefined,
): Handler {
  return (req, res) => {
    const reject = (rejection: Rejection) => {
      onReject(rejection);
      res.writeHead(rejection.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: rejection.reason }));
    };
    buffer(req)
      .then((raw) => {
        if (!raw) return reject({ status: 413, reason: 'body too large' });
        const body = raw.toString('utf8');
        // Slack's certificate check carries no signature and asks for nothing but a 200.
        if (new URLSearchParams(body).get('ssl_check') === '1') return res.writeHead(200).end();
        const rejection = verifySignature(secret, req.headers, body) ?? checkBody(req.headers['content-type'], body);
        if (rejection) return reject(rejection);
        // Bolt reads a body already buffered here instead of the spent stream.
        Object.assign(req, { rawBody: raw });
        next(req, res);
      })
      .catch(() => reject({ status: 400, reason: 'could not read the body' }));
  };
}
