// Public face of the metrics helpers: parse /metrics text, read histograms,
// remember earlier scrapes so a quantile can cover a window.
export * from './histogram.ts';
export * from './prometheus.ts';
export * from './memory.ts';
export * from './fetch.ts';
export * from './promql.ts';
