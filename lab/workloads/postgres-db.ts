// postgres-db: a stand-in that speaks a one-line protocol on PORT (5432):
// "PING\n" is answered "PONG\n" (or "ERROR\n" when told to misbehave).
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { decide } from './lib/misbehave.ts';
import { workload } from './lib/service.ts';

const sockets = new Set<Socket>();
const server = createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffer = '';
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      void answer(socket, line);
    }
  });
});

async function answer(socket: Socket, line: string): Promise<void> {
  const { delayMs, fail } = decide(w.sw.current);
  if (delayMs > 0) await sleep(delayMs);
  if (socket.destroyed) return;
  const known = line.toUpperCase() === 'PING';
  const result = !known ? 'unknown' : fail ? 'error' : 'ok';
  w.metrics.inc('db_commands_total', 'Commands answered, by result (ok, error, unknown)', { result });
  if (!known) socket.write('ERROR unknown command\n');
  else socket.write(fail ? 'ERROR injected failure\n' : 'PONG\n');
}

const w = workload('postgres-db', async () => {
  server.close();
  for (const socket of sockets) socket.end();
});
server.listen(w.port);
