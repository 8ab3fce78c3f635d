// Public face of in-namespace measurements (DNS lookups, TCP connects).
export { dnsFrom, netnsExists, NETNS_DIR, NetnsError, privateDir, tcpFrom } from './run.ts';
export type { TcpPlan, TcpSample } from './tcp.ts';
