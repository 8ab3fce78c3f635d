// One test bed for a fault test file: a client/server namespace pair with
// traffic between them, a node agent for the server side, the dev-server
// harness, and after every test the check that nothing of a fault is left.
import { CLEAN, leftovers } from './clean.ts';
import { createTopology, type Topology } from './netns.ts';
import { Traffic } from './nsproc.ts';
import { nodeName, startHarness, type Harness } from './workers.ts';

export interface Bed {
  readonly topology: Topology;
  readonly traffic: Traffic;
  readonly harness: Harness;
  readonly node: string;
  /** Fault ids the after-each check must find gone. */
  readonly ids: string[];
}

export function useFaultBed(): Bed {
  let topology: Topology | undefined;
  let traffic: Traffic | undefined;
  let harness: Harness | undefined;
  const node = nodeName();
  const ids: string[] = [];

  beforeAll(async () => {
    topology = await createTopology();
    traffic = await Traffic.start(topology.client, topology.server);
    harness = await startHarness({ agents: [{ node, nodeNetns: topology.server }] });
  });

  afterEach(async () => {
    if (topology) expect(await leftovers(topology, ids)).toEqual(CLEAN);
  });

  afterAll(async () => {
    await harness?.stop();
    await traffic?.stop();
    await topology?.destroy();
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the fault test bed has no ${what} (did beforeAll fail?)`);
    return value;
  };
  return {
    get topology() {
      return ready(topology, 'topology');
    },
    get traffic() {
      return ready(traffic, 'traffic');
    },
    get harness() {
      return ready(harness, 'harness');
    },
    node,
    ids,
  };
}
