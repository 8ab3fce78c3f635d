// The Web API endpoint: POST /api/<method> with a form or JSON body and a
// Bearer token (or a `token` form field), answered the way Slack answers:
// HTTP 200 with {ok: true, ...} or {ok: false, error}. Every call is recorded.
import type { IncomingMessage } from 'node:http';
import { sameSecret } from '../secret-compare.ts';
import { chatMethods } from './methods/chat.ts';
import { ApiError, type Method, type MethodContext } from './methods/common.ts';
import { conversationMethods } from './methods/conversations.ts';
import { fileMethods } from './methods/files.ts';
import { identityMethods } from './methods/identity.ts';

const METHODS: Record<string, Method> = { ...chatMethods, ...conversationMethods, ...fileMethods, ...identityMethods };

export type ApiAnswer =
  { ok: true; [field: string]: unknown } | { ok: false; error: string; response_metadata?: { messages: string[] } };

/** Parse a form or JSON body into fields; undefined when it is neither. */
export function parseBody(contentType: string | undefined, raw: string): Record<string, unknown> | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim();
  if (type === 'application/x-www-form-urlencoded' || (type === '' && raw === ''))
    return Object.fromEntries(new URLSearchParams(raw));
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(raw || '{}');
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? { ...parsed } : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function tokenOf(req: IncomingMessage, fields: Record<string, unknown>): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  return typeof fields.token === 'string' ? fields.token : undefined;
}

function withoutToken(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([name]) => name !== 'token'));
}

export function callMethod(
  name: string,
  req: IncomingMessage,
  raw: string,
  token: string,
  ctx: MethodContext,
): ApiAnswer {
  const fields = parseBody(req.headers['content-type'], raw);
  const args = withoutToken(fields ?? {});
  const answer = answerCall(name, req, fields, token, ctx);
  ctx.ws.record({ method: name, args, ok: answer.ok, ...(answer.ok ? {} : { error: answer.error }) });
  return answer;
}

function answerCall(
  name: string,
  req: IncomingMessage,
  fields: Record<string, unknown> | undefined,
  token: string,
  ctx: MethodContext,
): ApiAnswer {
  const method = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
  if (!method) return { ok: false, error: 'unknown_method' };
  if (!fields) return { ok: false, error: 'invalid_form_data' };
  const given = tokenOf(req, fields);
  if (!given) return { ok: false, error: 'not_authed' };
  if (!sameSecret(given, token)) return { ok: false, error: 'invalid_auth' };
  const parsed = method.args.safeParse(withoutToken(fields));
  if (!parsed.success) {
    const messages = parsed.error.issues.map((i) => `[ERROR] ${i.message} [json-pointer:/${i.path.join('/')}]`);
    const blocks = parsed.error.issues.some((i) => i.path[0] === 'blocks');
    return { ok: false, error: blocks ? 'invalid_blocks' : 'invalid_arguments', response_metadata: { messages } };
  }
  try {
    return { ok: true, ...method.run(parsed.data, ctx) };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: err.code };
    return { ok: false, error: 'internal_error' };
  }
}
