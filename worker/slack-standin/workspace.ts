// The stand-in's one workspace, in memory: channels, people, messages and
// their threads, ephemeral messages, files, and a record of every API call.
import { randomBytes } from 'node:crypto';

export interface Person {
  id: string;
  name: string;
  realName: string;
}

export interface Channel {
  id: string;
  name: string;
}

export interface StoredFile {
  id: string;
  name: string;
  title: string;
  length: number;
  content?: Buffer;
}

export interface Message {
  ts: string;
  channel: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  files?: { id: string; name: string; title: string }[];
  edited?: { user: string; ts: string };
}

export interface Ephemeral {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  ts: string;
  via: 'chat.postEphemeral' | 'response_url';
}

export interface RecordedCall {
  seq: number;
  at: string;
  method: string;
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
}

export const BOT = { userId: 'U0NIGHTSHIFT', botId: 'B0NIGHTSHIFT', name: 'nightshift' };
export const TEAM = { id: 'T0STANDIN', domain: 'nightshift-standin' };

export const DEFAULT_CHANNELS: Channel[] = [{ id: 'C0INCIDENTS', name: 'incidents' }];
export const DEFAULT_PEOPLE: Person[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice (on call)' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob (approver)' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol (viewer)' },
  { id: 'U0MALLORY', name: 'mallory', realName: 'Mallory (no role)' },
];

export class Workspace {
  readonly channels: Channel[];
  readonly people: Person[];
  readonly groups: Record<string, string[]>;
  readonly messages: Message[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly files = new Map<string, StoredFile>();
  readonly calls: RecordedCall[] = [];
  private lastSecond = 0;
  private counter = 0;

  constructor(options: { channels?: Channel[]; people?: Person[]; groups?: Record<string, string[]> } = {}) {
    this.channels = options.channels ?? DEFAULT_CHANNELS;
    this.people = options.people ?? DEFAULT_PEOPLE;
    this.groups = options.groups ?? {};
  }

  /** A unique, increasing message timestamp in Slack's "seconds.micro" form. */
  nextTs(): string {
    const second = Math.floor(Date.now() / 1000);
    if (second > this.lastSecond) {
      this.lastSecond = second;
      this.counter = 0;
    }
    this.counter += 1;
    return `${this.lastSecond}.${String(this.counter).padStart(6, '0')}`;
  }

  /** A channel by id, "#name" or name. */
  channel(ref: string): Channel | undefined {
    const name = ref.replace(/^#/, '');
    return this.channels.find((c) => c.id === ref || c.name === name);
  }

  person(id: string): Person | undefined {
    return this.people.find((p) => p.id === id);
  }

  message(channel: string, ts: string): Message | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Top-level messages (and thread parents), newest first, as conversations.history gives them. */
  history(channel: string): Message[] {
    return this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts)).reverse();
  }

  /** A thread: its parent first, then the replies oldest first. */
  thread(channel: string, ts: string): Message[] {
    return this.messages.filter((m) => m.channel === channel && (m.ts === ts || m.thread_ts === ts));
  }

  newFileId(): string {
    return `F${randomBytes(5).toString('hex').toUpperCase()}`;
  }

  record(call: Omit<RecordedCall, 'seq' | 'at'>): void {
    this.calls.push({ seq: this.calls.length + 1, at: new Date().toISOString(), ...call });
  }
}
