// The host relay, run as the lab runs it: a connection to its address on a
// relayed port reaches the loopback server on that port, both ways, and
// several at once. (Here on 127.0.0.2, which needs no lab; in the lab on
// 10.200.0.1.)
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { freePort } from '../../../lab/ports.ts';
import { RELAY_HOST_ENV, RELAY_MAIN, RELAY_PORTS_ENV } from '../../../lab/relay/index.ts';

describe('the host relay', () => {
  let relay: ChildProcess | undefined;
  const servers: Server[] = [];

  afterAll(async () => {
    relay?.kill('SIGTERM');
    if (relay && relay.exitCode === null) await once(relay, 'exit');
    for (const s of servers) s.close();
  });

  test('pipes each relayed port to the same port on 127.0.0.1', async () => {
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => res.end(`${port} got ${body} from ${req.socket.remoteAddress}`));
      });
      await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
      servers.push(server);
    }
    relay = spawn(process.execPath, ['--no-warnings', RELAY_MAIN], {
      env: { ...process.env, [RELAY_HOST_ENV]: '127.0.0.2', [RELAY_PORTS_ENV]: ports.join(',') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(relay.stdout!, 'data');
    const answers = await Promise.all(
      ports.flatMap((port) =>
        [1, 2, 3].map(async (n) =>
          (await fetch(`http://127.0.0.2:${port}/`, { method: 'POST', body: `m${n}` })).text(),
        ),
      ),
    );
    expect(answers).toEqual(ports.flatMap((port) => [1, 2, 3].map((n) => `${port} got m${n} from 127.0.0.1`)));
    // A port it was not given is not opened.
    await expect(fetch(`http://127.0.0.2:${await freePort()}/`)).rejects.toThrow();
  });
});
