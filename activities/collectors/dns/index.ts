// Public face of the DNS collector and its pieces.
export { createDnsCollector, type DnsDeps } from './collector.ts';
export type { DnsEvidence } from './findings.ts';
export { corednsStats, type CorednsStats } from './coredns.ts';
export { dnsStats, type DnsTargetStats } from './stats.ts';
export { NODELOCAL_DNS } from './targets.ts';
