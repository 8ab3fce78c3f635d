// The stand-in's HTTP server: the Web API under /api/, the upload target,
// response_url replies, the channel page and its JSON, and the call record.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { guarded, guardServer, type GuardLog } from '../http-guard.ts';
import { callMethod } from './api.ts';
import { createInteractor, InteractionError, type Interactor } from './interact.ts';
import { PAGE } from './page.ts';
import { BOT, Workspace, type Channel, type Person } from './workspace.ts';

export interface StandinOptions {
  port: number;
  host?: string;
  /** The bot token the API accepts. */
  token: string;
  /** Signs what the page sends to the gateway. */
  signingSecret: string;
  /** The gateway's Slack endpoint, e.g. http://127.0.0.1:3000/slack/events (a function when it is known later). */
  gatewayUrl: string | (() => string);
  channels?: Channel[];
  people?: Person[];
  groups?: Record<string, string[]>;
  /** Where a request that could not be served is logged. */
  log?: GuardLog;
  /**
   * The stand-in's address as its clients reach it, for the URLs it hands out
   * (response_url, upload_url, url_private): e.g. the lab's host relay, where
   * the gateway and worker run in pods. Default: where it listens.
   */
  publicUrl?: string;
}

export interface Standin {
  url: string;
  apiUrl: string;
  workspace: Workspace;
  interactor: Interactor;
  stop(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

const responseSchema = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: z.boolean().optional(),
  delete_original: z.boolean().optional(),
});
const commandSchema = z.object({ user: z.string().min(1), text: z.string(), channel: z.string().optional() });
const clickSchema = z.object({
  user: z.string().min(1),
  channel: z.string().min(1),
  ts: z.string().min(1),
  actionId: z.string().min(1),
});

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BodyTooLarge(`body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** A query parameter; the guard has already checked that the target parses. */
function query(req: IncomingMessage, name: string): string | null {
  return new URL(req.url ?? '/', 'http://standin').searchParams.get(name);
}

/**
 * Why a request to a control endpoint (`/_command`, `/_click`) is refused, or
 * undefined: it must be JSON (a content type a cross-site form cannot send
 * without a CORS preflight, which the stand-in never grants), and a browser
 * must say it comes from the stand-in's own page (Sec-Fetch-Site, Origin).
 */
export function crossSiteProblem(req: IncomingMessage): string | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return `control endpoints take application/json, not ${type || '(none)'}`;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (${site})`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const host = URL.canParse(origin) ? new URL(origin).host : undefined;
    if (!host || host !== req.headers.host) return `request from another origin refused (${origin.slice(0, 100)})`;
  }
  return undefined;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function startStandin(options: StandinOptions): Promise<Standin> {
  const ws = new Workspace({
    ...(options.channels ? { channels: options.channels } : {}),
    ...(options.people ? { people: options.people } : {}),
    ...(options.groups ? { groups: options.groups } : {}),
  });
  let baseUrl = '';
  const interactor = createInteractor(ws, {
    baseUrl: () => baseUrl,
    gatewayUrl: options.gatewayUrl,
    signingSecret: options.signingSecret,
  });

  const routes: [
    string,
    RegExp,
    (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => Promise<void>,
  ][] = [
    [
      'POST',
      /^\/api\/([\w.]+)$/,
      async (req, res, m) => {
        const raw = (await readBody(req)).toString('utf8');
        send(res, 200, callMethod(m[1] ?? '', req, raw, options.token, { ws, baseUrl }));
      },
    ],
    [
      'POST',
      /^\/upload\/(F\w+)$/,
      async (req, res, m) => {
        const file = ws.files.get(m[1] ?? '');
        if (!file) return send(res, 404, 'no such upload', 'text/plain');
        file.content = await readBody(req);
        ws.record({ method: 'upload', args: { file: file.id, bytes: file.content.length }, ok: true });
        send(res, 200, `OK - ${file.content.length}`, 'text/plain');
      },
    ],
    [
      'GET',
      /^\/files\/(F\w+)$/,
      async (_req, res, m) => {
        const file = ws.files.get(m[1] ?? '');
        if (!file?.content) return send(res, 404, 'no such file', 'text/plain');
        send(res, 200, file.content.toString('utf8'), 'text/plain; charset=utf-8');
      },
    ],
    [
      'POST',
      /^\/respond\/(\w+)$/,
      async (req, res, m) => {
        const target = interactor.responder(m[1] ?? '');
        const parsed = responseSchema.safeParse(parseJson(await readBody(req)));
        ws.record({
          method: 'response_url',
          args: parsed.success ? parsed.data : {},
          ok: Boolean(target && parsed.success),
        });
        if (!target) return send(res, 404, 'unknown response_url', 'text/plain');
        if (!parsed.success) return send(res, 400, 'invalid JSON body', 'text/plain');
        respond(ws, target, parsed.data);
        send(res, 200, 'ok', 'text/plain');
      },
    ],
    ['GET', /^\/$/, async (_req, res) => send(res, 200, PAGE, 'text/html; charset=utf-8')],
    [
      'GET',
      /^\/_state$/,
      async (req, res) => {
        const user = query(req, 'user') ?? '';
        send(res, 200, {
          bot: BOT,
          channels: ws.channels,
          people: ws.people,
          messages: ws.messages,
          ephemerals: ws.ephemerals.filter((e) => e.user === user),
        });
      },
    ],
    [
      'GET',
      /^\/_calls$/,
      async (req, res) => {
        const method = query(req, 'method');
        send(res, 200, method ? ws.calls.filter((c) => c.method === method) : ws.calls);
      },
    ],
    [
      'POST',
      /^\/_command$/,
      async (req, res) => {
        const refused = crossSiteProblem(req);
        if (refused) return send(res, 403, { error: refused });
        const parsed = commandSchema.safeParse(parseJson(await readBody(req)));
        if (!parsed.success) return send(res, 400, { error: 'expected {user, text}' });
        send(res, 200, await interactor.command(parsed.data));
      },
    ],
    [
      'POST',
      /^\/_click$/,
      async (req, res) => {
        const refused = crossSiteProblem(req);
        if (refused) return send(res, 403, { error: refused });
        const parsed = clickSchema.safeParse(parseJson(await readBody(req)));
        if (!parsed.success) return send(res, 400, { error: 'expected {user, channel, ts, actionId}' });
        send(res, 200, await interactor.click(parsed.data));
      },
    ],
  ];

  const server = createServer(
    guarded(async (req, res, path) => {
      for (const [verb, pattern, handle] of routes) {
        const match = pattern.exec(path);
        if (!match || req.method !== verb) continue;
        try {
          await handle(req, res, match);
        } catch (err) {
          if (!(err instanceof InteractionError || err instanceof BodyTooLarge)) throw err;
          if (!res.headersSent) send(res, err instanceof BodyTooLarge ? 413 : 400, { error: err.message });
        }
        return;
      }
      send(res, 404, { error: `no route ${req.method} ${path}` });
    }, options.log),
  );
  guardServer(server, options.log);
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host ?? '127.0.0.1', () => done());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
  baseUrl = options.publicUrl?.replace(/\/$/, '') ?? url;
  return {
    url,
    apiUrl: `${url}/api/`,
    workspace: ws,
    interactor,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A response_url reply: ephemeral to the person, into the channel, or replacing the clicked message. */
function respond(
  ws: Workspace,
  target: { user: string; channel: string; messageTs?: string },
  reply: z.infer<typeof responseSchema>,
): void {
  const original = target.messageTs ? ws.message(target.channel, target.messageTs) : undefined;
  if (reply.delete_original && original) {
    ws.messages.splice(ws.messages.indexOf(original), 1);
    return;
  }
  if (reply.replace_original && original) {
    original.text = reply.text ?? original.text;
    if (reply.blocks) original.blocks = reply.blocks;
    return;
  }
  const ts = ws.nextTs();
  if (reply.response_type === 'in_channel') {
    ws.messages.push({
      ts,
      channel: target.channel,
      user: BOT.userId,
      bot_id: BOT.botId,
      text: reply.text ?? '',
      ...(reply.blocks ? { blocks: reply.blocks } : {}),
    });
    return;
  }
  ws.ephemerals.push({
    channel: target.channel,
    user: target.user,
    text: reply.text ?? '',
    ...(reply.blocks ? { blocks: reply.blocks } : {}),
    ts,
    via: 'response_url',
  });
}
