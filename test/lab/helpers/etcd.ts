// Asking the lab's etcd members what they see: their leader (through the
// v3 JSON gateway) and which peers they count as down (from /metrics).
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

const statusSchema = z.object({ header: z.object({ member_id: z.string() }), leader: z.string() });

export async function etcdLeader(clientUrl: string): Promise<{ memberId: string; leader: string }> {
  const res = await fetch(`${clientUrl}/v3/maintenance/status`, {
    method: 'POST',
    body: '{}',
    signal: AbortSignal.timeout(3000),
  });
  const status = statusSchema.parse(await res.json());
  return { memberId: BigInt(status.header.member_id).toString(16), leader: BigInt(status.leader).toString(16) };
}

/** Remote member ids (hex) whose peer connection this member reports inactive. */
async function inactivePeers(clientUrl: string): Promise<string[]> {
  const text = await fetch(`${clientUrl}/metrics`, { signal: AbortSignal.timeout(3000) }).then((r) => r.text());
  return [...text.matchAll(/^etcd_network_active_peers\{Local="[0-9a-f]+",Remote="([0-9a-f]+)"\} 0$/gm)].map(
    (m) => m[1] ?? '',
  );
}

/** Wait until the member sees some peer down (`down`) or every peer up (`up`); returns the down peers. */
export async function etcdPeersSeenDown(
  clientUrl: string,
  timeoutMs: number,
  want: 'down' | 'up' = 'down',
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const down = await inactivePeers(clientUrl);
    if ((want === 'down') === down.length > 0 || Date.now() > deadline) return down;
    await sleep(250);
  }
}

/** The leader the given members agree on, once they do and it is not `notThis` (undefined if never in time). */
export async function etcdAgreedLeader(
  clientUrls: string[],
  timeoutMs: number,
  notThis?: string,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let leaders: string[] = [];
  while (Date.now() < deadline) {
    leaders = (await Promise.all(clientUrls.map((url) => etcdLeader(url).catch(() => undefined)))).map(
      (s) => s?.leader ?? '',
    );
    if (leaders.every((l) => l !== '' && l !== '0' && l !== notThis && l === leaders[0])) return leaders[0];
    await sleep(250);
  }
  return undefined;
}
