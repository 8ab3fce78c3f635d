// One TCP connection piped both ways to an upstream, each side closed with
// the other: the host relay's and the gateway ingress's whole data path.
import { connect, type Socket } from 'node:net';

export function splice(client: Socket, to: { host: string; port: number }): void {
  const upstream = connect(to);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
  client.pipe(upstream).pipe(client);
}
