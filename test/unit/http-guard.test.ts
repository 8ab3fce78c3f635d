// The guard every nightshift HTTP server stands behind, without Temporal: a
// handler that throws (at once or later) is answered 500 and logged, and the
// server keeps serving; the process-level last resort logs what nothing caught.
import { serve, json } from '../../worker/gateway/server.ts';
import { Metrics } from '../../model/index.ts';
import { keepServing, requestPath } from '../../worker/http-guard.ts';

function recorder() {
  const lines: { level: string; details: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    log: {
      warn: (details: Record<string, unknown>, message: string) => lines.push({ level: 'warn', details, message }),
      error: (details: Record<string, unknown>, message: string) => lines.push({ level: 'error', details, message }),
    },
  };
}

test.each([
  ['/healthz', '/healthz'],
  ['/a/b?x=1', '/a/b'],
  ['http://example/healthz', '/healthz'],
  ['', '/'],
  ['http://[/', undefined],
  ['http://a:b@[::1/x', undefined],
])('the path of %j is %j', (target, path) => {
  expect(requestPath(target)).toBe(path);
});

test('a handler that throws, at once or later, gets a 500 and a log line; the server keeps serving', async () => {
  const { lines, log } = recorder();
  const server = await serve(
    [
      { method: 'GET', path: '/healthz', handler: (_req, res) => json(res, 200, { ok: true }) },
      {
        method: 'GET',
        path: '/throws',
        handler: () => {
          throw new Error('thrown at once');
        },
      },
      { method: 'GET', path: '/rejects', handler: async () => Promise.reject(new Error('rejected later')) },
    ],
    new Metrics(),
    0,
    '127.0.0.1',
    log,
  );
  try {
    const base = `http://127.0.0.1:${server.port}`;
    for (const path of ['/throws', '/rejects']) {
      const answer = await fetch(`${base}${path}`);
      expect(answer.status).toBe(500);
      expect(await answer.json()).toEqual({ error: 'internal error' });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    }
    expect(lines.map((l) => `${l.level} ${String(l.details.err)}`)).toEqual([
      'error thrown at once',
      'error rejected later',
    ]);
  } finally {
    await server.close();
  }
});

test('the process-level last resort logs what nothing caught, until it is removed', () => {
  const { lines, log } = recorder();
  const before = process.listenerCount('uncaughtException');
  const remove = keepServing(log);
  expect(process.listenerCount('uncaughtException')).toBe(before + 1);
  try {
    process.emit('uncaughtException', new Error('an emitter without an error listener'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        details: expect.objectContaining({ err: 'an emitter without an error listener' }),
      }),
    ]);
  } finally {
    remove();
  }
  expect(process.listenerCount('uncaughtException')).toBe(before);
});
