// Every parser that takes outside input, fed what fast-check makes up: random
// text, random JSON and YAML documents, and the shipped files with their
// lines shuffled, cut and replaced. None of them may throw anything but its
// own validation error; each answers with its problems (or accepts).
// Pure: no servers, no network (the webhook's Temporal client points at a
// closed port, so a bad body that reached it would fail here).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import fc from 'fast-check';
import pino from 'pino';
import { stringify } from 'yaml';
import { injectRequestSchema, revertRequestSchema } from '../../model/index.ts';
import { defaultCatalogue, validateRunbook } from '../../runbooks/index.ts';
import { validateRunbookText } from '../../runbooks/loader.ts';
import { checkAuth, handleAlertWebhook } from '../../worker/alerts/webhook.ts';
import { webhookSchema } from '../../worker/alerts/payload.ts';
import { ConfigError, loadConfig } from '../../worker/config.ts';
import { checkBody, verifySignature } from '../../worker/gateway/edge.ts';
import { keyValues, words } from '../../worker/gateway/commands/parse.ts';
import { UsageProblem } from '../../worker/gateway/commands/types.ts';
import { blockActionsSchema, slashCommandSchema } from '../../worker/gateway/payloads.ts';
import { loadExperiment } from '../../worker/gamedays.ts';
import { faultLimits, validateFault } from '../../workflows/index.ts';

const RUNS = Number(process.env.NIGHTSHIFT_PROPERTY_RUNS ?? 300);
const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');
const TRAFFIC_VANISH = read('../../runbooks/traffic-vanish.yaml');
const CART_DROP = read('../../runbooks/experiments/cart-drop.yaml');

/** Strings with the characters parsers trip on: quotes, braces, colons, unicode, NUL, prototype names. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '\0',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    '${params.x}',
    '${steps.__proto__.x}',
    '{{',
    '- [',
    ': :',
    '&a [*a, *a]',
    '!!js/function x',
    '%',
    '0x10',
    '1e999',
    '-0',
    'NaN',
    '../../../../etc/passwd',
    '/dev/zero',
    '/',
    '.',
    'test',
    '10.0.0.0/33',
    '::/129',
    '<!channel>',
  ),
);

/** Any JSON-like value, with nasty strings as keys and leaves. */
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('any'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('any'), { maxKeys: 5 }),
  ),
})).any;

/** A shipped file with lines removed, duplicated, swapped or replaced by nasty text. */
function mutated(text: string): fc.Arbitrary<string> {
  const lines = text.split('\n');
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat(lines.length) }),
    fc.record({ kind: fc.constant('dup' as const), at: fc.nat(lines.length) }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(lines.length), to: fc.nat(lines.length) }),
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(lines.length), with: nasty }),
    fc.record({ kind: fc.constant('append' as const), at: fc.nat(lines.length), with: nasty }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    const out = [...lines];
    for (const e of edits) {
      const at = e.at % Math.max(out.length, 1);
      if (e.kind === 'drop') out.splice(at, 1);
      else if (e.kind === 'dup') out.splice(at, 0, out[at] ?? '');
      else if (e.kind === 'swap') {
        const to = e.to % Math.max(out.length, 1);
        [out[at], out[to]] = [out[to] ?? '', out[at] ?? ''];
      } else if (e.kind === 'replace') out[at] = e.with;
      else out[at] = `${out[at] ?? ''}${e.with}`;
    }
    return out.join('\n');
  });
}

/** Text a person or an attacker might hand a YAML parser. */
const yamlText = (shipped: string) =>
  fc.oneof(
    nasty,
    value.map((v) => stringify(v)),
    value.map((v) => JSON.stringify(v)),
    mutated(shipped),
  );

const isProblemList = (problems: unknown) =>
  Array.isArray(problems) &&
  problems.every(
    (p) =>
      typeof p === 'string' ||
      (typeof p === 'object' && p !== null && typeof (p as { path: unknown }).path === 'string'),
  );

describe('runbook documents', () => {
  test('YAML text: accepted, or refused with its problems; never thrown', () => {
    fc.assert(
      fc.property(yamlText(TRAFFIC_VANISH), (text) => {
        const result = validateRunbookText(text);
        expect(result.ok || isProblemList(result.problems)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test('parsed documents of any shape: accepted or refused, never thrown', () => {
    fc.assert(
      fc.property(value, (document) => {
        const result = validateRunbook(document);
        expect(result.ok || isProblemList(result.problems)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fault specs and node-agent requests', () => {
  const limits = faultLimits({ maxDuration: '30m', allowedNamespaces: ['production'], maxPods: 10 });
  const portSpec = fc.oneof(
    fc.integer({ min: -5, max: 70_000 }),
    nasty,
    fc.record({ from: fc.integer(), to: fc.integer() }),
  );
  const nearlyValid = fc.record(
    {
      target: fc.oneof(
        fc.record({ node: nasty, interface: nasty, netns: nasty }, { requiredKeys: [] }),
        fc.record({ namespace: nasty, selector: fc.oneof(nasty, fc.dictionary(nasty, nasty)) }, { requiredKeys: [] }),
      ),
      kind: fc.oneof(fc.constantFrom('drop', 'delay'), nasty),
      match: fc.record(
        {
          direction: fc.oneof(fc.constantFrom('ingress', 'egress'), nasty),
          protocol: fc.oneof(fc.constantFrom('tcp', 'udp', 'icmp', 'any'), nasty),
          dstPorts: portSpec,
          srcPorts: portSpec,
          peers: fc.array(
            fc.oneof(
              nasty,
              fc.ipV4().map((ip) => `${ip}/24`),
              fc.ipV6().map((ip) => `${ip}/64`),
            ),
          ),
        },
        { requiredKeys: [] },
      ),
      magnitude: fc.record(
        { percent: fc.double(), delayMs: fc.integer(), jitterMs: fc.integer(), ratePps: fc.integer() },
        { requiredKeys: [] },
      ),
      duration: fc.oneof(fc.constantFrom('30s', '5m', '2h', '0s', '1h30m'), nasty),
      stopWhen: fc.array(
        fc.record({ probe: fc.oneof(fc.constantFrom('checkout-probe', 'cordonNode'), nasty), every: nasty }),
      ),
      verdictAfter: nasty,
    },
    { requiredKeys: [] },
  );

  test('validateFault: any value is accepted or refused with its problems, never thrown', () => {
    fc.assert(
      fc.property(fc.oneof(value, nearlyValid), (spec) => {
        const result = validateFault(spec, limits);
        if (!result.ok) {
          expect(isProblemList(result.problems)).toBe(true);
          return;
        }
        // What it accepted, it accepts again as it sent it on, with the same meaning.
        expect(validateFault(result.spec, limits)).toMatchObject({ ok: true, fault: result.fault });
        // A stop condition that got through names a catalogue probe.
        for (const stop of result.fault.stopWhen) expect(Object.keys(defaultCatalogue.probes)).toContain(stop.probe);
      }),
      { numRuns: RUNS },
    );
  });

  test("the node agent's request schemas never throw on what arrives", () => {
    fc.assert(
      fc.property(value, (request) => {
        expect(typeof injectRequestSchema.safeParse(request).success).toBe('boolean');
        expect(typeof revertRequestSchema.safeParse(request).success).toBe('boolean');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('game-day experiments', () => {
  const config = loadConfig({});
  test('experiment text: accepted or refused with its problems, never thrown', () => {
    fc.assert(
      fc.property(yamlText(CART_DROP), (text) => {
        const result = loadExperiment(text, config, defaultCatalogue);
        expect(result.ok || isProblemList(result.problems)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('Alertmanager payloads', () => {
  const config = loadConfig({ NIGHTSHIFT_ALERTS_TOKEN: 'sekret' });
  // A real client that can reach nothing: a bad body that got as far as Temporal would fail the property.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const log = pino({ level: 'silent' });
  const headers = fc.dictionary(
    fc.constantFrom('authorization', 'content-type', 'content-length', 'x-other'),
    fc.oneof(
      nasty,
      nasty.map((t) => `Bearer ${t}`),
      nasty.map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
    ),
  );

  test('any body, any headers: answered with 4xx and a reason, never thrown, never sent on', async () => {
    // 400 a bad body, 401 bad credentials, 415 a body not declared application/json.
    await fc.assert(
      fc.asyncProperty(
        headers,
        fc.oneof(
          value.map((v) => JSON.stringify(v)),
          nasty,
        ),
        async (given, body) => {
          const answer = await handleAlertWebhook(
            { headers: { ...given, authorization: 'Bearer sekret' }, body: Buffer.from(body) },
            {
              config,
              client,
              log,
              runbooks: (name) => {
                throw new Error(`a made-up body reached routing (runbook ${name})`);
              },
            },
          );
          if (answer.status === 200) throw new Error(`accepted a made-up body: ${body}`);
          expect([400, 401, 415]).toContain(answer.status);
          expect(typeof answer.body.error).toBe('string');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('credentials of any shape are checked without throwing', () => {
    fc.assert(
      fc.property(headers, (given) => {
        const denied = checkAuth(config.alerts, { headers: given, body: Buffer.alloc(0) });
        expect(denied === undefined || denied.status === 401).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  test('the payload schema never throws', () => {
    fc.assert(
      fc.property(value, (payload) => {
        expect(typeof webhookSchema.safeParse(payload).success).toBe('boolean');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('Slack payloads', () => {
  const secret = 'slack-signing-secret';
  const contentType = fc.oneof(
    fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', undefined),
    nasty,
  );
  const form = fc.oneof(
    nasty,
    fc.dictionary(nasty, nasty).map((d) => new URLSearchParams(d).toString()),
    value.map((v) => `payload=${encodeURIComponent(JSON.stringify(v))}`),
    value.map((v) => JSON.stringify(v)),
  );

  test('the edge lets any body pass, refuses it (400, 415) or acks it as unhandled with a message; it never throws', () => {
    fc.assert(
      fc.property(contentType, form, (type, body) => {
        const verdict = checkBody(type, body);
        if (verdict.ok) return;
        if ('rejection' in verdict) expect([400, 415]).toContain(verdict.rejection.status);
        else expect(verdict.unhandled.text).toMatch(/\S/);
      }),
      { numRuns: RUNS },
    );
  });

  test('signatures of any shape are checked without throwing', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('x-slack-signature', 'x-slack-request-timestamp', 'x-other'), nasty),
        nasty,
        (headers, body) => {
          const rejection = verifySignature(secret, headers, body);
          expect(rejection?.status).toBe(401); // nothing made up carries a valid signature
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('command text splits into words, and k=v arguments fail only as a usage problem', () => {
    fc.assert(
      fc.property(nasty, (text) => {
        const split = words(text);
        expect(split.every((w) => typeof w === 'string')).toBe(true);
        try {
          keyValues(split);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageProblem);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('the command and interaction schemas never throw', () => {
    fc.assert(
      fc.property(value, (payload) => {
        expect(typeof slashCommandSchema.safeParse(payload).success).toBe('boolean');
        expect(typeof blockActionsSchema.safeParse(payload).success).toBe('boolean');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-config-property-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const names = fc.constantFrom(
    'TEMPORAL_ADDRESS',
    'TEMPORAL_UI_PORT',
    'NIGHTSHIFT_HTTP_PORT',
    'LOG_LEVEL',
    'NIGHTSHIFT_FAULT_MAX_DURATION',
    'NIGHTSHIFT_FAULT_ALLOWED_NAMESPACES',
    'NIGHTSHIFT_FAULT_PROTECTED_PEERS',
    'NIGHTSHIFT_PRODUCTION_NAMESPACES',
    'NIGHTSHIFT_SLACK_SOCKET_MODE',
    'NIGHTSHIFT_SLACK_MODE',
    'SLACK_API_URL',
    'NIGHTSHIFT_ALERTS_MAX_RUNS_PER_MINUTE',
    'NIGHTSHIFT_ALERTS_DEDUPE_BY',
  );
  let files = 0;

  test('any environment and any config file: a config, or one ConfigError naming every problem', () => {
    fc.assert(
      fc.property(fc.dictionary(names, nasty), fc.option(yamlText('temporal:\n  address: x:1\n')), (env, text) => {
        const file = join(dir, `config-${files++}.yaml`);
        if (text !== null) writeFileSync(file, text);
        try {
          const config = loadConfig({ ...env, ...(text !== null ? { NIGHTSHIFT_CONFIG: file } : {}) });
          expect(typeof config.temporal.address).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
