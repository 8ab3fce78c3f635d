// Ports for test and benchmark servers: free, never handed out twice, and
// outside the kernel's ephemeral range, where outgoing connections take theirs.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../../lab/ports.ts';

test('freePort gives distinct ports below the ephemeral range that a server can listen on', async () => {
  const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
  expect(new Set(ports).size).toBe(50);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(Math.max(ephemeralLow, 32_768));
  }
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(ports[0], '127.0.0.1', done);
  });
  await new Promise((done) => server.close(done));
});
