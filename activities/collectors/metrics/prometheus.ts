// The Prometheus text exposition format (version 0.0.4), parsed into samples.
// Enough for etcd's and CoreDNS's /metrics: HELP/TYPE comments, labels with
// escapes, +Inf/-Inf/NaN, optional timestamps.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  types: Record<string, string>;
  /** Lines that could not be read; reported, never fatal. */
  skipped: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parsePrometheus(text: string): Scrape {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type) types[type[1] as string] = type[2] as string;
      continue;
    }
    const sample = parseSample(line);
    if (sample) samples.push(sample);
    else skipped++;
  }
  return { samples, types, skipped };
}

function parseSample(line: string): Sample | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest);
    if (!parsed) return undefined;
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  const [valueText] = rest.trim().split(/\s+/);
  const value = parseValue(valueText ?? '');
  return value === undefined ? undefined : { name, labels, value };
}

function parseLabels(text: string): { labels: Record<string, string>; length: number } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, length: i + 1 };
    const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (!key || text[i + key.length] !== '=' || text[i + key.length + 1] !== '"') return undefined;
    i += key.length + 2;
    let value = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        i++;
        value += text[i] === 'n' ? '\n' : (text[i] ?? '');
      } else {
        value += text[i];
      }
    }
    if (text[i] !== '"') return undefined;
    labels[key] = value;
    i++;
  }
  return undefined;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  return text !== '' && !Number.isNaN(value) ? value : undefined;
}

/** Samples of one metric whose labels include every given label. */
export function select(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

/** Sum of a metric's samples (a counter or gauge across label sets), or undefined when absent. */
export function sum(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = select(scrape, name, labels);
  return found.length ? found.reduce((total, s) => total + s.value, 0) : undefined;
}
