// What keeps an HTTP server alive whatever arrives: the request target read
// defensively (a target `new URL()` cannot read is a 400, never a throw),
// malformed requests answered 400 by `clientError`, and a last resort around
// every handler that logs, answers 500 if it still can, and keeps serving.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface GuardLog {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

/** The path of a request target, or undefined when it cannot be read. */
export function requestPath(target: string | undefined): string | undefined {
  const raw = target || '/';
  if (!URL.canParse(raw, 'http://gateway')) return undefined;
  return new URL(raw, 'http://gateway').pathname;
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Answer a socket the HTTP parser gave up on (400, 431 or 408) when it can still be written to, else just close it. */
function answerBadRequest(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = JSON.stringify({ error: `${reason.toLowerCase()} (${err.code ?? 'unreadable'})` });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export type Dispatch = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>;

/**
 * A request listener that reads the path defensively (400 when it cannot),
 * then dispatches; a throw or rejection from `dispatch` is logged and, when
 * nothing was sent yet, answered 500. The server keeps serving either way.
 */
export function guarded(dispatch: Dispatch, log: GuardLog | undefined, onBadTarget?: () => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const lastResort = (err: unknown) => {
      log?.error({ err: errorMessage(err), method: req.method }, 'a request handler failed; still serving');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal error' }));
      } else if (!res.writableEnded) res.end();
    };
    try {
      const path = requestPath(req.url);
      if (path === undefined) {
        onBadTarget?.();
        log?.warn({ method: req.method, target: String(req.url).slice(0, 200) }, 'unreadable request target');
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'the request target is not a readable URL path' }));
        return;
      }
      Promise.resolve(dispatch(req, res, path)).catch(lastResort);
    } catch (err) {
      lastResort(err);
    }
  };
}

/** Answer what the HTTP parser refuses (400) and log server errors instead of dying of them. */
export function guardServer(server: Server, log: GuardLog | undefined, onClientError?: (code: string) => void): void {
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    onClientError?.(err.code ?? 'unknown');
    if (err.code !== 'ECONNRESET') log?.warn({ err: err.message, code: err.code }, 'malformed HTTP request refused');
    answerBadRequest(err, socket);
  });
}

/**
 * The process's last resort, for the gateway and `nightshift dev`: an error
 * nothing caught (an event emitter without an error listener, a stray
 * rejection) is logged and the process keeps serving, instead of taking the
 * gateway (and in `dev` the control worker) down. Returns the uninstaller.
 */
export function keepServing(log: GuardLog): () => void {
  const uncaught = (err: unknown) =>
    log.error(
      { err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined },
      'uncaught error; still serving',
    );
  const unhandled = (reason: unknown) => log.error({ err: errorMessage(reason) }, 'unhandled rejection; still serving');
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', unhandled);
  return () => {
    process.off('uncaughtException', uncaught);
    process.off('unhandledRejection', unhandled);
  };
}
