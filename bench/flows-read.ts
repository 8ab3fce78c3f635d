// Benchmark: what the flows collector's reading of a 30 s window costs
// against the lab's Hubble Relay stand-in, with the HTTP question asking for
// answers only (Hubble's http_status_code filter: what the collector asks)
// beside the same question asking for every HTTP event (requests too, as it
// asked before), in alternating order in the same rounds on the same lab. The
// summary counts only responses, so the requests were read for nothing.
//
//   node bench/flows-read.ts [--rounds 10] [--namespace production] [--json]   (lab up)
import { parseArgs } from 'node:util';
import { budget, createHubbleClient, readRelay, windowQuestions, type RelayQuestions } from '../activities/index.ts';
import { HUBBLE_RELAY_ADDRESS } from '../lab/index.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    namespace: { type: 'string', default: 'production' },
    json: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number, not "${values.rounds}"`);
const namespace = values.namespace;

const answersOnly = windowQuestions(namespace);
const everyHttpEvent = answersOnly.map((question) => ({
  ...question,
  whitelist: question.whitelist.map(({ http_status_code: _codes, ...rest }) => rest),
}));
const variants = { 'answers only': answersOnly, 'every HTTP event': everyHttpEvent };
type Variant = keyof typeof variants;

const hubble = createHubbleClient(HUBBLE_RELAY_ADDRESS);
const samples: Record<Variant, { ms: number; flows: number; http: number }[]> = {
  'answers only': [],
  'every HTTP event': [],
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

try {
  for (let round = 0; round < rounds + 1; round++) {
    const order = (
      round % 2 ? ['every HTTP event', 'answers only'] : ['answers only', 'every HTTP event']
    ) as Variant[];
    for (const variant of order) {
      const q: RelayQuestions = { namespace, maxFlows: 10_000, recentFlows: 2000, windowQuestions: variants[variant] };
      const start = performance.now();
      const answer = await readRelay(hubble, q, new Date(Date.now() - 30_000), budget(8000));
      const ms = performance.now() - start;
      if (answer.errors.length) throw new Error(`${variant}: ${answer.errors.join('; ')}`);
      // The first round warms the connection and the stand-in: not counted.
      if (round > 0)
        samples[variant].push({ ms, flows: answer.records.length, http: answer.records.filter((r) => r.http).length });
    }
  }
} finally {
  hubble.close();
}

const figures = Object.fromEntries(
  (Object.keys(samples) as Variant[]).map((v) => [
    v,
    {
      medianMs: Math.round(median(samples[v].map((s) => s.ms))),
      flows: median(samples[v].map((s) => s.flows)),
      httpFlows: median(samples[v].map((s) => s.http)),
    },
  ]),
) as Record<Variant, { medianMs: number; flows: number; httpFlows: number }>;
const ratio = figures['answers only'].medianMs / figures['every HTTP event'].medianMs;
if (values.json) console.log(JSON.stringify({ rounds, namespace, figures, ratio }));
else {
  for (const [v, f] of Object.entries(figures))
    console.log(`${v.padEnd(17)} ${String(f.medianMs).padStart(5)} ms  ${f.flows} flows (${f.httpFlows} HTTP)`);
  console.log(`answers only / every HTTP event: ${ratio.toFixed(2)} (median of ${rounds} rounds, 30 s window)`);
}
