// The rule that puts the DNS delay in front of CoreDNS: pods' UDP queries to
// the cluster DNS address are DNAT'ed to the delay proxy on the host, as a
// node-local DNS cache sits in front of a cluster's DNS. Replies go back
// through conntrack, so a pod still sees them come from the DNS address.
// One nftables table of the lab's own; removing it twice is not an error.
import { DNS_IP, HOST_IP, PORTS } from '../topology.ts';
import { run } from '../sh.ts';

export const DNS_DELAY_TABLE = 'nightshift-lab-dns-delay';

function ruleset(): string {
  return `table ip ${DNS_DELAY_TABLE} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${DNS_IP} udp dport ${PORTS.dns} dnat to ${HOST_IP}:${PORTS.dnsDelay}
  }
}
`;
}

/** Sends the pods' DNS through the delay proxy (replacing the table if it is there). */
export async function divertDns(): Promise<void> {
  await removeDiversion();
  await run('nft', ['-f', '-'], { input: ruleset() });
}

/** DNS goes straight to CoreDNS again. */
export async function removeDiversion(): Promise<void> {
  await run('nft', ['delete', 'table', 'ip', DNS_DELAY_TABLE], { okCodes: [1] });
}

/** Whether the diversion is in place (for status and for `lab down`'s report). */
export async function diverted(): Promise<boolean> {
  const tables = await run('nft', ['list', 'tables', 'ip']).catch(() => '');
  return tables.split('\n').some((line) => line.trim() === `table ip ${DNS_DELAY_TABLE}`);
}
