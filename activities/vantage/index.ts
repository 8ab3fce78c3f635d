// Public face of the node agent's vantage points: its activities, and the
// pieces the control side also uses to measure from its own namespace.
export { createVantageActivities, type VantageActivities, type VantageDeps } from './activities.ts';
export { NetnsLocator, podResolvConf, type Located, type LocatorOptions } from './locate.ts';
export { runLookups } from './lookups.ts';
export { measureRuns, selfTime } from './loopback.ts';
export { GLIBC_DEFAULTS, parseResolvConf, searchOrder, attemptTimeoutMs } from './resolvconf.ts';
export { splitServer } from './resolver.ts';
export { privateDir } from './cache.ts';
export { dnsIn, MeasureError, Measurers, tcpIn } from './run.ts';
export { sampleTcp, type TcpPlan } from './tcp.ts';
