// Pod churn under traffic: rounds of `kubectl rollout restart` of the
// frontend and cart v1 (new pods, namespaces and veths; the old ones go),
// each judged by the probe over the whole round, next to a baseline round of
// the same length in which nothing changes. Run as root:
//   node bench/lab-rollout.ts [rounds]
// Brings up a lab of its own, prints every round (failed requests and why)
// and, last, one JSON line with the totals.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { labDown, labUp, probeSummary, type ProbeSummary } from '../lab/index.ts';
import { freePort } from '../lab/index.ts';
import { loadConfig, TOOLS_BIN } from '../worker/index.ts';

const rounds = Number(process.argv[2] ?? 10);
const DEPLOYMENTS = ['checkout-frontend', 'cart-service-v1'];
/** Answers to requests sent before a change can take up to the probe's timeout. */
const IN_FLIGHT_MS = 3000;
const exec = promisify(execFile);

interface Tally {
  requests: number;
  failures: number;
  roundsWithFailures: number;
  reasons: Record<string, number>;
}

const tally = (): Tally => ({ requests: 0, failures: 0, roundsWithFailures: 0, reasons: {} });

function add(t: Tally, s: ProbeSummary): void {
  t.requests += s.requests;
  t.failures += s.failures;
  if (s.failures > 0) t.roundsWithFailures++;
  for (const [reason, n] of Object.entries(s.failureReasons ?? {})) t.reasons[reason] = (t.reasons[reason] ?? 0) + n;
}

const perMille = (t: Tally) => (t.requests ? (1000 * t.failures) / t.requests : 0);

function line(label: string, s: ProbeSummary, seconds: number): string {
  const why = Object.entries(s.failureReasons ?? {})
    .map(([r, n]) => `${n}× ${r}`)
    .join('; ');
  return `${label} ${seconds} s: ${s.requests} requests, ${s.failures} failed${why ? ` (${why})` : ''}`;
}

const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-lab-bench-'));
const config = loadConfig({
  NIGHTSHIFT_DATA_DIR: dataDir,
  TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
  TEMPORAL_UI_PORT: String(await freePort()),
});
const kubectl = (args: string[]) =>
  exec(join(TOOLS_BIN, 'kubectl'), ['--kubeconfig', join(dataDir, 'lab', 'kubeconfig'), '-n', 'production', ...args], {
    timeout: 180_000,
  });
const podNames = async () => {
  const { stdout } = await kubectl([
    'get',
    'pods',
    '-l',
    `app in (${DEPLOYMENTS.join(',')})`,
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  return stdout.split(/\s+/).filter(Boolean);
};
const churn = tally();
const quiet = tally();
try {
  await labUp({ config });
  await sleep(5000);
  for (let i = 1; i <= rounds; i++) {
    const old = await podNames();
    const started = Date.now();
    await kubectl(['rollout', 'restart', ...DEPLOYMENTS.map((d) => `deployment/${d}`)]);
    for (const d of DEPLOYMENTS) await kubectl(['rollout', 'status', `deployment/${d}`, '--timeout=120s']);
    // The round lasts until the old pods and their namespaces are gone.
    for (let wait = 0; wait < 120 && (await podNames()).some((name) => old.includes(name)); wait++) await sleep(500);
    await sleep(IN_FLIGHT_MS);
    const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
    const restart = await probeSummary(seconds);
    add(churn, restart);
    console.log(line(`round ${i} restart`, restart, seconds));
    await sleep(seconds * 1000);
    const baseline = await probeSummary(seconds);
    add(quiet, baseline);
    console.log(line(`round ${i} baseline`, baseline, seconds));
  }
} finally {
  await labDown(dataDir).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  `\nfailed per 1000 requests: restart ${perMille(churn).toFixed(2)}, baseline ${perMille(quiet).toFixed(2)}; ` +
    `rounds with a failure: restart ${churn.roundsWithFailures}/${rounds}, baseline ${quiet.roundsWithFailures}/${rounds}`,
);
console.log(
  JSON.stringify({
    rounds,
    restart: { ...churn, perMille: perMille(churn) },
    baseline: { ...quiet, perMille: perMille(quiet) },
  }),
);
