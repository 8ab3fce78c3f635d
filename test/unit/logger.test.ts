// Secrets never reach a log line, however deep they sit in what is logged.
import { Writable } from 'node:stream';
import { createLogger, TemporalPinoLogger } from '../../worker/logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ destination, level: 'debug' }) };
}

describe('logging', () => {
  test('tokens, signing secrets and authorization headers are redacted', () => {
    const { lines, log } = capture();
    log.info(
      {
        slack: { botToken: 'xoxb-123-secret', signingSecret: 'shh-signing', appToken: 'xapp-1-secret' },
        req: { headers: { authorization: 'Bearer abc.def', 'x-slack-signature': 'v0=deadbeef' } },
        temporal: { apiKey: 'tmprl-key' },
        config: { alerts: { auth: { password: 'hunter2' } } },
      },
      'starting',
    );
    const text = lines.join('');
    for (const secret of [
      'xoxb-123-secret',
      'shh-signing',
      'xapp-1-secret',
      'Bearer abc.def',
      'v0=deadbeef',
      'tmprl-key',
      'hunter2',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('starting');
  });

  test('the Temporal runtime logger goes through the same redaction', () => {
    const { lines, log } = capture();
    new TemporalPinoLogger(log).warn('activity failed', { token: 'xoxb-leak', attempt: 2 });
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 40, msg: 'activity failed', token: '[redacted]', attempt: 2 });
  });
});
