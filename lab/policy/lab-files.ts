// Where the lab's policy agent keeps its things, so the agent, the Hubble
// stand-in that reads its drops and `lab down` agree: its pins under the
// lab's pin root (removed by `lab down`), its build, its identities and its
// L7 proxies' configs and events (l7/) in the lab dir.
import { join } from 'node:path';
import { BPF_PIN_ROOT } from '../paths.ts';

export function labPolicyFiles(labRoot: string): {
  buildDir: string;
  pins: string;
  identities: string;
  l7Dir: string;
} {
  return {
    buildDir: join(labRoot, 'build'),
    pins: join(BPF_PIN_ROOT, 'policy'),
    identities: join(labRoot, 'policy-identities.json'),
    l7Dir: join(labRoot, 'l7'),
  };
}
