// Slack's v0 request signature: HMAC-SHA256 over "v0:<timestamp>:<body>"
// with the signing secret. The stand-in signs what it sends to the gateway;
// tests use the same function to make good and bad requests.
import { createHmac } from 'node:crypto';

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** Headers Slack sends with a form body; `timestamp` in seconds, now by default. */
export function signForm(
  secret: string,
  fields: Record<string, string>,
  timestamp = Math.floor(Date.now() / 1000),
): SignedRequest {
  const body = new URLSearchParams(fields).toString();
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature(secret, timestamp, body),
    },
  };
}

export interface Delivery {
  status: number;
  body: string;
  /** Time from sending to the full answer: for the gateway, the ack latency. */
  ms: number;
}

export async function deliver(
  url: string,
  request: SignedRequest,
  extraHeaders: Record<string, string> = {},
): Promise<Delivery> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...request.headers, ...extraHeaders },
    body: request.body,
  });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}
