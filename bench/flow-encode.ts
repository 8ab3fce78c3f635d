// What sending a flow costs the lab's Hubble Relay stand-in: encoding each
// stored flow for every answer that carries it, against passing through the
// bytes it encoded once when it stored the flow (what the stand-in does), side
// by side on the same flows. Then the relay client's cost of reading a flow:
// decoding it, and its FlowRecord made from the decoded form (as the client
// reads the stream: no second check, peers read once per answer) against the
// same made through responseSchema (as text captures are read), side by side;
// decoding alone is the floor.
//
//   node bench/flow-encode.ts [--flows 20000] [--rounds 5] [--json]
//
// No lab or server needed: the flows come from the stand-in's own conversion
// of flowtap records (shop traffic: connection openings, HTTP, DNS).
import { parseArgs } from 'node:util';
import { fromWire, observerService, responseSchema, toRecord, type PeerCache } from '../activities/index.ts';
import { serializeResponse } from '../lab/index.ts';
import { shopFlows } from '../test/evidence/helpers/tap.ts';

const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const wanted = Number(values.flows);
const rounds = Number(values.rounds);

const flows = shopFlows(wanted);

const method = observerService().definition.GetFlows as unknown as {
  responseSerialize(m: unknown): Buffer;
  responseDeserialize(b: Buffer): unknown;
};
const send = serializeResponse(method.responseSerialize);
const encoded = flows.map((m) => method.responseSerialize(m));

/** CPU µs per flow of one pass. */
const cpu = (pass: () => void): number => {
  const start = process.cpuUsage();
  pass();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / wanted;
};
const encodeEach = () => {
  for (const m of flows) send(m);
};
const passThrough = () => {
  for (const bytes of encoded) send(bytes);
};
const decodeOnly = () => {
  for (const bytes of encoded) method.responseDeserialize(bytes);
};
const readChecked = () => {
  for (const bytes of encoded) {
    const parsed = responseSchema.safeParse(method.responseDeserialize(bytes));
    if (parsed.success && parsed.data.flow) toRecord(parsed.data.flow, parsed.data.node_name);
  }
};
const readWire = () => {
  const peers: PeerCache = new Map();
  for (const bytes of encoded) {
    const response = fromWire(method.responseDeserialize(bytes));
    if (response?.flow) toRecord(response.flow, response.node_name, peers);
  }
};

const results: {
  encodeUs: number;
  storedUs: number;
  decodeUs: number;
  checkedUs: number;
  wireUs: number;
}[] = [];
for (let round = 0; round < rounds; round++) {
  // Alternate the order so neither side always runs on the warmer heap.
  const [encodeUs, storedUs] =
    round % 2 ? [cpu(encodeEach), cpu(passThrough)] : [cpu(passThrough), cpu(encodeEach)].reverse();
  const [checkedUs, wireUs] =
    round % 2 ? [cpu(readChecked), cpu(readWire)] : [cpu(readWire), cpu(readChecked)].reverse();
  results.push({
    encodeUs: encodeUs as number,
    storedUs: storedUs as number,
    decodeUs: cpu(decodeOnly),
    checkedUs: checkedUs as number,
    wireUs: wireUs as number,
  });
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
const summary = {
  flows: wanted,
  rounds,
  encodePerAnswerUs: median(results.map((r) => r.encodeUs)),
  encodedWhenStoredUs: median(results.map((r) => r.storedUs)),
  clientDecodeUs: median(results.map((r) => r.decodeUs)),
  clientCheckedUs: median(results.map((r) => r.checkedUs)),
  clientReadUs: median(results.map((r) => r.wireUs)),
};
if (values.json) console.log(JSON.stringify({ ...summary, results }));
else {
  const f = (n: number) => n.toFixed(2).padStart(6);
  console.log(`${wanted} flows, median of ${rounds} rounds, CPU µs per flow`);
  console.log(`  stand-in, encoding for each answer: ${f(summary.encodePerAnswerUs)}`);
  console.log(
    `  stand-in, bytes encoded when stored: ${f(summary.encodedWhenStoredUs)}  (${(summary.encodedWhenStoredUs / summary.encodePerAnswerUs).toFixed(3)} of it)`,
  );
  console.log(`  client, decoding only (the floor):    ${f(summary.clientDecodeUs)}`);
  console.log(`  client, through responseSchema:      ${f(summary.clientCheckedUs)}`);
  console.log(
    `  client, from the decoded form:       ${f(summary.clientReadUs)}  (${(summary.clientReadUs / summary.clientCheckedUs).toFixed(3)} of it)`,
  );
}
