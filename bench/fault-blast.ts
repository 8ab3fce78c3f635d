// The sender and receiver of bench/fault-iptables.ts, one process each,
// started inside a network namespace. JSON lines on stdout.
//   node fault-blast.ts recv <port>            counts datagrams; "count" on stdin prints and resets
//   node fault-blast.ts send <host> <port> <ms> sends 64-byte datagrams as fast as it can for <ms>
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';

const [mode, a = '', b = '', c = ''] = process.argv.slice(2);

async function receive(port: number): Promise<void> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 16 * 1024 * 1024 });
  let count = 0;
  socket.on('message', () => (count += 1));
  await new Promise<void>((done) => socket.bind(port, '0.0.0.0', done));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'count') continue;
    process.stdout.write(`${JSON.stringify({ received: count })}\n`);
    count = 0;
  }
  socket.close(); // stdin closed: the bench is done with us
}

async function send(host: string, port: number, ms: number): Promise<void> {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((done) => socket.connect(port, host, done));
  const payload = Buffer.alloc(64);
  let sent = 0;
  const started = performance.now();
  const until = started + ms;
  while (performance.now() < until) {
    // A burst, then a turn of the event loop so send callbacks and errors drain.
    for (let i = 0; i < 256; i++) {
      socket.send(payload);
      sent += 1;
    }
    await new Promise((done) => setImmediate(done));
  }
  await new Promise((done) => setTimeout(done, 50));
  socket.close();
  process.stdout.write(`${JSON.stringify({ sent, ms: performance.now() - started })}\n`);
}

if (mode === 'recv') await receive(Number(a));
else if (mode === 'send') await send(a, Number(b), Number(c));
else throw new Error('usage: fault-blast.ts recv <port> | send <host> <port> <ms>');
