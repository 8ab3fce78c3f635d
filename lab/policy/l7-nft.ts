// The pod's side of L7 enforcement: an nftables table of ours in the pod's
// network namespace that redirects the connections its proxy must see
// (TCP to an enforced port, arriving on eth0, from a client the config
// sends to the proxy) to the proxy's port. REDIRECT keeps the client's
// address, so the proxy knows who asks; the reply leaves with the enforced
// port as its source (conntrack), so the client and the datapath's
// conntrack see the connection they opened. Replacing the table is one
// nft transaction: a connection meets the old table or the new one.
import { run } from '../sh.ts';
import { UPLINK } from '../topology.ts';
import type { L7Config } from './l7-config.ts';

export const L7_TABLE = 'nightshift_l7';

/** The whole table, as `nft -f` reads it (deleting an older one in the same transaction). */
export function nftScript(config: L7Config): string {
  const chains = config.ports.map((p) => {
    const rules = p.sources.map((s) => {
      const match = s.prefix === '0.0.0.0/0' ? '' : `ip saddr ${s.prefix} `;
      // nft maps a port only after a transport match in the same rule.
      return `    ${match}${s.proxy ? `meta l4proto tcp redirect to :${p.proxyPort}` : 'return'}`;
    });
    return `  chain port_${p.port} {\n${rules.join('\n')}\n  }`;
  });
  const jumps = config.ports.map((p) => `    iifname "${UPLINK}" tcp dport ${p.port} jump port_${p.port}`);
  return [
    `table ip ${L7_TABLE} {}`,
    `delete table ip ${L7_TABLE}`,
    `table ip ${L7_TABLE} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...jumps,
    '  }',
    ...chains,
    '}',
    '',
  ].join('\n');
}

const inNetns = (netns: string, args: string[], input?: string) =>
  run('ip', ['netns', 'exec', netns, 'nft', ...args], {
    ...(input === undefined ? {} : { input }),
    okCodes: input === undefined ? [1] : [],
  });

export async function applyNft(netns: string, config: L7Config): Promise<void> {
  await inNetns(netns, ['-f', '-'], nftScript(config));
}

/** Remove the table; a namespace or table already gone is fine. */
export async function removeNft(netns: string): Promise<void> {
  await inNetns(netns, ['delete', 'table', 'ip', L7_TABLE]).catch(() => undefined);
}

/** Whether the table is there (tests, status). */
export async function hasNft(netns: string): Promise<boolean> {
  const out = await run('ip', ['netns', 'exec', netns, 'nft', 'list', 'tables', 'ip']).catch(() => '');
  return out.split('\n').some((line) => line.trim() === `table ip ${L7_TABLE}`);
}
