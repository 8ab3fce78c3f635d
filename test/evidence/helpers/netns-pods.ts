// Two "pods" for tests: network namespaces whose eth0 pairs with a veth in a
// third, the "node", where a bridge joins them (as a lab node's cbr0 does);
// an HTTP server in the second that answers 500 on /fail; all removed by
// stop(). Needs root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TestPod {
  netns: string;
  ip: string;
}

export interface PodPair {
  client: TestPod;
  server: TestPod;
  /** The node namespace and each pod's host-side veth in it. */
  node: { netns: string; client: string; server: string };
  port: number;
  /** curl from the client to the server; returns the HTTP status. */
  request(path: string): string;
  /** Send UDP datagrams from the client to the server. */
  udp(port: number, count: number): void;
  exec(netns: string, command: string[]): string;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export async function startPodPair(
  subnet = `10.${150 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`,
): Promise<PodPair> {
  const tag = randomBytes(3).toString('hex');
  const client: TestPod = { netns: `nstest-c-${tag}`, ip: `${subnet}.1` };
  const server: TestPod = { netns: `nstest-s-${tag}`, ip: `${subnet}.2` };
  const port = 8080;
  const node = { netns: `nstest-n-${tag}`, client: 'lxcclient', server: 'lxcserver' };
  for (const ns of [client.netns, server.netns, node.netns]) sh('ip', ['netns', 'add', ns]);
  sh('ip', ['-n', node.netns, 'link', 'add', 'br0', 'type', 'bridge']);
  sh('ip', ['-n', node.netns, 'link', 'set', 'br0', 'up']);
  for (const [pod, host] of [
    [client, node.client],
    [server, node.server],
  ] as const) {
    sh('ip', ['-n', node.netns, 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns]);
    sh('ip', ['-n', node.netns, 'link', 'set', host, 'master', 'br0', 'up']);
    sh('ip', ['-n', pod.netns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', pod.netns, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', pod.netns, 'link', 'set', 'lo', 'up']);
  }
  const code = `require('node:http').createServer((q, s) => { s.writeHead(q.url === '/fail' ? 500 : 200); s.end('x'); }).listen(${port}, '${server.ip}')`;
  const httpd: ChildProcess = spawn('nsenter', [`--net=/run/netns/${server.netns}`, process.execPath, '-e', code], {
    stdio: 'ignore',
  });
  const exec = (netns: string, command: string[]) => sh('nsenter', [`--net=/run/netns/${netns}`, ...command]);
  for (let i = 0; i < 50; i++) {
    try {
      exec(client.netns, ['curl', '-s', '-o', '/dev/null', '--max-time', '1', `http://${server.ip}:${port}/ready`]);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    client,
    server,
    node,
    port,
    exec,
    request: (path) =>
      exec(client.netns, [
        'curl',
        '-s',
        '-o',
        '/dev/null',
        '--max-time',
        '2',
        '-w',
        '%{http_code}',
        `http://${server.ip}:${port}${path}`,
      ]),
    udp: (udpPort, count) => {
      exec(client.netns, [
        'bash',
        '-c',
        `for i in $(seq ${count}); do echo hi > /dev/udp/${server.ip}/${udpPort}; done`,
      ]);
    },
    async stop() {
      httpd.kill('SIGTERM');
      for (const ns of [client.netns, server.netns, node.netns]) {
        try {
          sh('ip', ['netns', 'del', ns]);
        } catch {
          // already gone
        }
      }
    },
  };
}
