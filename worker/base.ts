// The light face of worker/: what every nightshift process needs before it
// does anything (config, logging, where the tools are, the Temporal dev
// server), cheap to import. The lab's own processes (simulator, probe, lab
// gateway, Hubble stand-in) stand on this; the rest go through index.ts.
export * from './config.ts';
export * from './devserver.ts';
export * from './logger.ts';
export * from './tools.ts';
