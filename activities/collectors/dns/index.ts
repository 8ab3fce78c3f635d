// Public face of the DNS collector and its pieces.
export { createDnsCollector, type DnsDeps, type DnsEvidence } from './collector.ts';
export { corednsStats, type CorednsStats } from './coredns.ts';
export { sampleDns, type DnsPlan, type DnsSample } from './sampler.ts';
export { dnsStats, type DnsTargetStats } from './stats.ts';
export { NODELOCAL_DNS } from './targets.ts';
