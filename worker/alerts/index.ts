// Public face of the alert path: config, parsing, routing, the webhook handler.
export * from './config.ts';
export * from './matchers.ts';
export * from './payload.ts';
export * from './route.ts';
export * from './webhook.ts';
export * from './http.ts';
export * from './runs.ts';
