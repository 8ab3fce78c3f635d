// Slowing the lab's DNS from TypeScript (tests, the demo): a delay in front
// of CoreDNS, set and taken away through the proxy's admin endpoint.
import { PORTS } from '../topology.ts';

export { DNS_DELAY_TABLE, diverted, removeDiversion } from './nft.ts';

const ADMIN = `http://127.0.0.1:${PORTS.dnsDelayAdmin}/delay`;

/** Every pod's DNS query waits `delayMs` before CoreDNS sees it; undefined takes the delay away. */
export async function setDnsDelay(delayMs: number | undefined): Promise<void> {
  const res = await fetch(ADMIN, {
    method: delayMs === undefined ? 'DELETE' : 'PUT',
    ...(delayMs === undefined ? {} : { body: JSON.stringify({ delayMs }) }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`the lab's DNS delay answered ${res.status}: ${await res.text()}`);
}
