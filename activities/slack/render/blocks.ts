// Small Block Kit builders with Slack's size limits applied, so a long
// finding or label can never make a post fail with invalid_blocks.

/** A Block Kit block as sent on the wire (the stand-in checks the shapes). */
export interface SlackBlock {
  type: string;
  block_id?: string;
  [field: string]: unknown;
}

/** A message nightshift wants to exist, identified by a stable key. */
export interface Draft {
  key: string;
  text: string;
  blocks: SlackBlock[];
  /** Small facts kept in the message metadata and handed back on the next render. */
  memo?: Record<string, string>;
}

const LIMITS = { section: 3000, header: 150, button: 75, context: 2000, field: 2000 };

/** Longest fallback `text` of a message (what notifications show); escaped like everything else. */
export const FALLBACK = 300;

/** Longest single piece of evidence (a finding, an error, an explanation), so one cannot crowd out the rest. */
export const PIECE = 300;

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escape the three characters Slack's mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const header = (text: string): SlackBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, LIMITS.header), emoji: true },
});

export const section = (markdown: string): SlackBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(markdown, LIMITS.section) },
});

export const fields = (pairs: [string, string][]): SlackBlock => ({
  type: 'section',
  fields: pairs
    .slice(0, 10)
    .map(([name, value]) => ({ type: 'mrkdwn', text: clip(`*${name}*\n${value}`, LIMITS.field) })),
});

export const context = (markdown: string): SlackBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(markdown, LIMITS.context) }],
});

export const divider = (): SlackBlock => ({ type: 'divider' });

export interface ButtonSpec {
  text: string;
  actionId: string;
  value: string;
  style?: 'primary' | 'danger';
}

export const actions = (blockId: string, buttons: ButtonSpec[]): SlackBlock => ({
  type: 'actions',
  block_id: clip(blockId, 255),
  elements: buttons.slice(0, 25).map((b) => ({
    type: 'button',
    text: { type: 'plain_text', text: clip(b.text, LIMITS.button), emoji: true },
    action_id: clip(b.actionId, 255),
    value: b.value,
    ...(b.style ? { style: b.style } : {}),
  })),
});

/** "▰▰▰▱▱ 62%" for a confidence between 0 and 1. */
export function bar(confidence: number): string {
  const filled = Math.max(0, Math.min(5, Math.round(confidence * 5)));
  return `${'▰'.repeat(filled)}${'▱'.repeat(5 - filled)} ${Math.round(confidence * 100)}%`;
}

/** "4m 05s", "1h 02m", "12s". */
export function elapsed(fromIso: string, to: Date): string {
  const seconds = Math.max(0, Math.round((to.getTime() - Date.parse(fromIso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A Slack date token that renders in the reader's time zone, with a fallback. */
export function when(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${seconds}^{time}|${iso.slice(11, 19)} UTC>`;
}
