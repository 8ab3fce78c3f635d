// The Slack stand-in as another process sees it (the lab runs it as its own
// process): its workspace's messages, and a person's click or slash command,
// through the control endpoints its page uses (/_state, /_click, /_command).
import type { ClickInput } from './interact.ts';
import type { Delivery } from './sign.ts';
import type { Message } from './workspace.ts';

export interface StandinClient {
  url: string;
  messages(): Promise<Message[]>;
  /** The click as the stand-in sent it to the gateway (the gateway's answer). */
  click(input: ClickInput): Promise<Delivery>;
  command(input: { user: string; text: string; channel?: string }): Promise<Delivery>;
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`the Slack stand-in answered ${res.status} to ${init?.method ?? 'GET'} ${url}: ${text}`);
  return JSON.parse(text) as T;
}

export function standinClient(url: string): StandinClient {
  const post = <T>(path: string, body: unknown) =>
    call<T>(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  return {
    url,
    async messages() {
      return (await call<{ messages: Message[] }>(`${url}/_state`)).messages;
    },
    click: (input) => post('/_click', input),
    command: (input) => post('/_command', input),
  };
}
