// A fixture process inside a network namespace (nsenter --net, so bpffs stays
// visible), driven by JSON lines: one command out, one answer back.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export class NsProcess {
  readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private stderr = '';

  private constructor(child: ChildProcess) {
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Starts test/faults/fixtures/<fixture>.ts in `netns` and waits for it to be ready. */
  static async start(netns: string, fixture: 'server' | 'client', args: string[] = []): Promise<NsProcess> {
    const script = fileURLToPath(new URL(`../fixtures/${fixture}.ts`, import.meta.url));
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc = new NsProcess(child);
    await proc.next(20_000);
    return proc;
  }

  private async next(timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error(`fixture exited (${this.child.exitCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`fixture gave no answer in ${timeoutMs} ms: ${this.stderr}`);
      await new Promise<void>((done) => {
        this.waiter = done;
        setTimeout(done, 100);
      });
    }
    return JSON.parse(this.lines.shift() ?? 'null');
  }

  async send<T>(command: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
    return (await this.next(timeoutMs)) as T;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export interface TcpResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/** A client and a server fixture in a topology, with the calls tests make. */
export class Traffic {
  readonly client: NsProcess;
  readonly server: NsProcess;

  private constructor(client: NsProcess, server: NsProcess) {
    this.client = client;
    this.server = server;
  }

  static async start(clientNs: string, serverNs: string): Promise<Traffic> {
    const server = await NsProcess.start(serverNs, 'server', ['--tcp', '8080,8081', '--udp', '9000,9053']);
    const client = await NsProcess.start(clientNs, 'client');
    return new Traffic(client, server);
  }

  tcp(host: string, port: number, timeoutMs = 1500): Promise<TcpResult> {
    return this.client.send({ op: 'tcp', host, port, timeoutMs });
  }

  udp(host: string, port: number, count: number): Promise<{ sent: number }> {
    return this.client.send({ op: 'udp', host, port, count });
  }

  ping(host: string, port: number, everyMs = 20): Promise<{ ok: boolean }> {
    return this.client.send({ op: 'ping', host, port, everyMs });
  }

  stopPing(): Promise<{ sent: number }> {
    return this.client.send({ op: 'stop' });
  }

  stats(): Promise<Record<string, { received: number; unique: number }>> {
    return this.server.send({ op: 'stats' });
  }

  reset(): Promise<unknown> {
    return this.server.send({ op: 'reset' });
  }

  async stop(): Promise<void> {
    await Promise.all([this.client.stop(), this.server.stop()]);
  }
}
