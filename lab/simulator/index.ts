// Public face of simulator/ for the rest of the lab (the process itself is main.ts):
// where it records pods, and how its pod namespaces are recognised.
export { readLedger, type LedgerPod } from './ledger.ts';
export { RESOLV_MARKER } from './podnet.ts';
